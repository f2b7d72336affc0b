import DeiTRuntime
import Foundation
import Testing

// CaiT (issue 13, item 5): what loading derives from a CaiT's tensors and what it refuses, naming
// the tensor. Numerical agreement with timm is in ConformanceTests (cait_xxs24_d2, cait_384_small,
// cait_avgpool_headless) and ResolutionTests (cait_xxs24_d2_at160).

/// A small CaiT (D 8, 2×2 patches of 2, 2 patch blocks, 3 classes) with `heads` heads and
/// `classBlocks` class-attention blocks; `qkvBias` for the qkv / q, k, v Linear layers.
private func caitConfig(heads: Int = 2, classBlocks: Int = 2, qkvBias: Bool = true) -> ModelConfig {
    var config = ModelConfig(imageSize: 4, patchSize: 2, embedDim: 8, depth: 2, numHeads: heads, mlpHiddenDim: 16,
                             numClasses: 3, distilled: false)
    config.layerScale = true
    config.noEmbedClass = true
    config.qkvBias = qkvBias
    config.cait = CaiTConfig(classAttentionDepth: classBlocks, classAttentionHiddenDim: 16)
    return config
}

/// timm's CaiT tensors for `config` (LayerScale under CaiT's names gamma_1 / gamma_2).
private func caitTensors(_ config: ModelConfig) -> [TestTensor] {
    let d = config.embedDim, h = config.numHeads, hidden = config.cait?.classAttentionHiddenDim ?? 0
    var list = CheckpointSchema.deit.tensors(of: config).map { tensor -> TestTensor in
        let name = tensor.name.replacingOccurrences(of: "ls1.gamma", with: "gamma_1")
            .replacingOccurrences(of: "ls2.gamma", with: "gamma_2")
        return TestTensor.f32(name, tensor.shape)
    }
    for block in 0..<config.depth {
        for mix in ["proj_l", "proj_w"] {
            list.append(.f32("blocks.\(block).attn.\(mix).weight", [h, h]))
            list.append(.f32("blocks.\(block).attn.\(mix).bias", [h]))
        }
    }
    for block in 0..<(config.cait?.classAttentionDepth ?? 0) {
        let p = "blocks_token_only.\(block)."
        list += [.f32(p + "norm1.weight", [d]), .f32(p + "norm1.bias", [d]), .f32(p + "norm2.weight", [d]),
                 .f32(p + "norm2.bias", [d]), .f32(p + "attn.proj.weight", [d, d]), .f32(p + "attn.proj.bias", [d]),
                 .f32(p + "mlp.fc1.weight", [hidden, d]), .f32(p + "mlp.fc1.bias", [hidden]),
                 .f32(p + "mlp.fc2.weight", [d, hidden]), .f32(p + "mlp.fc2.bias", [d]),
                 .f32(p + "gamma_1", [d]), .f32(p + "gamma_2", [d])]
        for linear in ["q", "k", "v"] {
            list.append(.f32(p + "attn.\(linear).weight", [d, d]))
            if config.qkvBias { list.append(.f32(p + "attn.\(linear).bias", [d])) }
        }
    }
    return list
}

private func caitError(_ tensors: [TestTensor], metadata: [(String, String)] = []) -> DeiTError? {
    checkpointError(TestSafetensors.file(tensors, metadata: metadata))
}

@Suite struct CaiTLoadingTests {
    @Test(arguments: [(2, 2, true), (4, 1, false), (1, 0, true)])
    func aCaiTIsDerivedFromItsTensorsWithItsHeadsFromProjL(_ heads: Int, _ classBlocks: Int, _ qkvBias: Bool) throws {
        let expected = caitConfig(heads: heads, classBlocks: classBlocks, qkvBias: qkvBias)
        let list = caitTensors(expected)
        // No num_heads anywhere: D/64 would not even divide D = 8; attn.proj_l's [h, h] says h.
        let config = try TestSafetensors.file(list).withUnsafeBytes { try Checkpoint(bytes: $0).config }
        #expect(config == (classBlocks == 0 ? { var c = expected; c.cait?.classAttentionHiddenDim = 0; return c }() : expected))
        #expect(config.parameterCount == list.reduce(0) { $0 + $1.data.count / 4 })
    }

    @Test func aCaiTRunsAndGivesTheSameBitsOnOneAndTwoThreads() throws {
        let bytes = TestSafetensors.file(caitTensors(caitConfig()))
        let model = try bytes.withUnsafeBytes { raw throws(DeiTError) in try Model(bytes: raw) }
        let input = (0..<model.config.inputCount).map { Float($0 % 13) / 13 - 0.5 }
        var outputs: [[Float]] = []
        for threads in [1, 2] {
            let session = try Session(model: model, threads: threads)
            var logits = [Float](repeating: .nan, count: model.config.outputDim)
            try input.withUnsafeBufferPointer { input throws(DeiTError) in
                try logits.withUnsafeMutableBufferPointer { logits throws(DeiTError) in
                    try session.run(input: input, logits: logits)
                }
            }
            outputs.append(logits)
        }
        #expect(outputs[0].allSatisfy { $0.isFinite })
        #expect(outputs[0].elementsEqual(outputs[1]) { $0.bitPattern == $1.bitPattern })
    }

    @Test(arguments: ["blocks.1.attn.proj_w.bias", "blocks.0.attn.proj_l.weight", "blocks_token_only.1.gamma_2",
                      "blocks_token_only.0.attn.k.weight", "blocks_token_only.1.attn.v.bias"])
    func aMissingCaiTTensorIsAFormatErrorNamingIt(_ name: String) {
        let list = caitTensors(caitConfig()).filter { $0.name != name }
        expectError(caitError(list), .format, name.hasSuffix("proj_l.weight") ? "blocks.0.attn.proj_l.weight" : name)
    }

    @Test func unexpectedAndMisShapedCaiTTensorsAreFormatErrors() {
        let base = caitTensors(caitConfig())
        expectError(caitError(base + [.f32("blocks_token_only.0.attn.qkv.weight", [24, 8])]), .format,
                    "'blocks_token_only.0.attn.qkv.weight'")
        expectError(caitError(base + [.f32("blocks.2.attn.proj_l.weight", [2, 2])]), .format, "'blocks.2.attn.proj_l.weight'")
        expectError(caitError(base.filter { !$0.name.hasPrefix("blocks_token_only.0.") }), .format, "class-attention block 0")
        // q/k/v biases follow the patch blocks' qkv bias.
        expectError(caitError(caitTensors(caitConfig(qkvBias: false)) + [.f32("blocks_token_only.0.attn.q.bias", [8])]),
                    .format, "'blocks_token_only.0.attn.q.bias'")
        // proj_l's h must divide D, and every mix must be [h, h].
        let threeHeads = base.map { $0.name.contains("proj_l") || $0.name.contains("proj_w")
            ? TestTensor.f32($0.name, $0.shape.count == 2 ? [3, 3] : [3]) : $0 }
        expectError(caitError(threeHeads), .format, "num_heads '3' does not divide embed dim 8 (num_heads from tensor shapes)")
        let ragged = base.map { $0.name == "blocks.1.attn.proj_w.weight" ? TestTensor.f32($0.name, [2, 3]) : $0 }
        expectError(caitError(ragged), .format, "'blocks.1.attn.proj_w.weight'")
    }

    @Test func theViTShapedPartMustBeACaiTs() {
        let config = caitConfig()
        // No LayerScale.
        expectError(caitError(caitTensors(config).filter { !$0.name.hasSuffix("gamma_1") && !$0.name.hasSuffix("gamma_2")
                                                           || $0.name.hasPrefix("blocks_token_only") }),
                    .format, "gamma_1")
        // pos_embed covering the class token too.
        let withClassPosition = caitTensors(config).map { $0.name == "pos_embed" ? TestTensor.f32("pos_embed", [1, 5, 8]) : $0 }
        expectError(caitError(withClassPosition), .format, "pos_embed")
        // A distillation token.
        expectError(caitError(caitTensors(config) + [.f32("dist_token", [1, 1, 8])]), .format, "dist_token")
    }

    @Test func descriptionAndTensorsMustAgreeOnCaiT() {
        // A described num_heads must match attn.proj_l.
        expectError(caitError(caitTensors(caitConfig()), metadata: [("num_heads", "4")]), .format, "proj_l")
        // The architecture table says Cait: ViT tensors are not one, and a CaiT is not a VisionTransformer.
        var vit = ModelConfig(imageSize: 4, patchSize: 2, embedDim: 8, depth: 2, numHeads: 2, mlpHiddenDim: 16,
                              numClasses: 3, distilled: false)
        vit.layerScale = true
        vit.noEmbedClass = true
        let vitTensors = CheckpointSchema.deit.tensors(of: vit).map { TestTensor.f32($0.name, $0.shape) }
        expectError(caitError(vitTensors, metadata: [("architecture", "cait_xxs24_224")]), .format, "Cait")
        expectError(caitError(caitTensors(caitConfig()), metadata: [("architecture", "deit3_small_patch16_224"), ("num_heads", "2")]),
                    .format, "CaiT")
    }
}
