/// What a model description must agree with: deit's supported architecture (refused by name,
/// `.unsupported`, before the tensor schema is checked) and the tensors (`.format`, saying which
/// source says what).
extension ModelDescription {
    /// Refuses the parts of the architecture the description names and deit does not run yet.
    /// One check per feature, so each can be dropped when the forward pass learns it.
    func checkSupported() throws(DeiTError) {
        let name = architecture.map { "architecture \(quotedName($0.value)): " } ?? ""
        if let timmClass, !textIs(timmClass, "VisionTransformer", "VisionTransformerDistilled", "Cait") {
            throw DeiTError(.unsupported, "\(name)timm's \(timmClass) (from the architecture table) is not supported; deit runs VisionTransformer models")
        }
        if let part = unusualPart {
            throw DeiTError(.unsupported, "\(name)\(part.key) '\(part.value)' (from the architecture table) is not supported")
        }
        // Register tokens, no class token, qk_norm, pre_norm and the LayerNorm epsilon are run; the
        // activation must be one the MLP has (exact GELU fused into fc1, or QuickGELU).
        if let act = activation, !textIs(act.value, "gelu"), !textIs(act.value, "quick_gelu") {
            throw DeiTError(.unsupported, "\(name)act_layer '\(act.value)' (from \(act.source.name)) is not supported; deit runs exact GELU and quick_gelu")
        }
        if let tokens = regTokens, tokens.value > 0, distilled?.value == true {
            throw DeiTError(.unsupported, "\(name)register tokens (reg_tokens=\(tokens.value) from \(tokens.source.name)) with a distillation token are not supported")
        }
    }

    /// The LayerNorm epsilon the forward pass uses: the described `norm_eps`, else timm's ViT 1e-6.
    var layerNormEpsilon: Float { normEps.map { Float($0.value) } ?? 1e-6 }

    /// The MLP activation the forward pass uses (checkSupported refused any other).
    var mlpActivation: Activation {
        if let act = activation, textIs(act.value, "quick_gelu") { return .quickGELU }
        return .gelu
    }

    /// Every described number the tensors also show must match them.
    func check(against config: ModelConfig) throws(DeiTError) {
        if let timmClass, textIs(timmClass, "Cait") != (config.cait != nil) {
            throw DeiTError(.format, "architecture table says timm's \(timmClass), the tensors \(config.cait != nil ? "are a CaiT (blocks_token_only, attn.proj_l)" : "have no CaiT class-attention or talking-heads tensors")")
        }
        try agree(embedDim, config.embedDim, "embed_dim", tensors: "patch_embed.proj.weight")
        try agree(depth, config.depth, "depth", tensors: "blocks.*")
        try agree(patchSize, config.patchSize, "patch_size", tensors: "patch_embed.proj.weight")
        try agree(numClasses, config.numClasses, "num_classes", tensors: "head.weight")
        if let distilled, distilled.value != config.distilled {
            throw DeiTError(.format, "distilled: \(distilled.source.name) says \(distilled.value ? "yes" : "no"), the tensors \(config.distilled ? "have" : "have no") dist_token")
        }
        // The options the forward pass runs (global_pool is applied, not checked: only a description can say it).
        try agree(layerScale, config.layerScale, "LayerScale (init_values)", tensors: "blocks.*.ls1.gamma")
        try agree(noEmbedClass, config.noEmbedClass, "no_embed_class", tensors: "pos_embed")
        try agree(qkvBias, config.qkvBias, "qkv_bias", tensors: "blocks.*.attn.qkv.bias")
        try agree(classToken, config.classToken, "class_token", tensors: "cls_token")
        try agree(regTokens, config.regTokens, "reg_tokens", tensors: "reg_token")
        try agree(qkNorm, config.qkNorm, "qk_norm", tensors: "blocks.*.attn.q_norm.weight")
        try agree(preNorm, config.preNorm, "pre_norm", tensors: "norm_pre.weight")
        // fc_norm only when a source sets it: timm's default (None: follow global_pool) is what the
        // tensors show, and a model built with fc_norm=False and avg pooling is legitimate.
        if let fact = fcNorm, let value = fact.value {
            try agree(Described(value, fact.source), config.fcNorm, "fc_norm", tensors: "fc_norm.weight")
        }
        if let names = labelNames, names.count != config.numClasses {
            throw DeiTError(.format, "config.json key 'label_names' has \(names.count) names, the tensors (head.weight) \(config.numClasses) classes")
        }
        if let heads = numHeads, heads.value < 1 || config.embedDim % heads.value != 0 {
            throw DeiTError(.format, "num_heads '\(heads.value)' does not divide embed dim \(config.embedDim) (num_heads from \(heads.source.name))")
        }
    }

    private func agree(_ fact: Described<Bool>?, _ actual: Bool, _ key: String, tensors: String) throws(DeiTError) {
        if let fact, fact.value != actual {
            throw DeiTError(.format, "\(key): \(fact.source.name) says \(fact.value ? "yes" : "no"), the tensors (\(tensors)) \(actual ? "yes" : "no")")
        }
    }

    private func agree(_ fact: Described<Int>?, _ actual: Int, _ key: String, tensors: String) throws(DeiTError) {
        if let fact, fact.value != actual {
            throw DeiTError(.format, "\(key): \(fact.source.name) says \(fact.value), the tensors (\(tensors)) \(actual)")
        }
    }
}
