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
        try refuse(classToken, when: false, "no class token (class_token=0", name)
        if let tokens = regTokens, tokens.value > 0 {
            throw DeiTError(.unsupported, "\(name)register tokens (reg_tokens=\(tokens.value) from \(tokens.source.name)) are not supported yet")
        }
        try refuse(qkNorm, when: true, "qk_norm (", name)
        try refuse(preNorm, when: true, "pre_norm (", name)
        if let eps = normEps, Float(eps.value) != Float(1e-6) {
            throw DeiTError(.unsupported, "\(name)LayerNorm eps \(raw[DescriptionKey.normEps.rawValue]?.text ?? "") (from \(eps.source.name)) is not supported yet; deit uses timm's 1e-6")
        }
        if let act = activation, !textIs(act.value, "gelu") {
            throw DeiTError(.unsupported, "\(name)act_layer '\(act.value)' (from \(act.source.name)) is not supported; deit runs exact GELU")
        }
    }

    private func refuse(_ fact: Described<Bool>?, when value: Bool, _ what: String, _ name: String) throws(DeiTError) {
        if let fact, fact.value == value {
            throw DeiTError(.unsupported, "\(name)\(what) from \(fact.source.name)) is not supported yet")
        }
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
