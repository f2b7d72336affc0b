import DeiTRuntime
import Foundation
import Testing

// timm ViT-family options (issue 13, item 2): which ones the schema derives and runs (LayerScale,
// qkv_bias=False, fc_norm / average pooling, no_embed_class), and which known options it refuses
// with .unsupported naming them. Numerical agreement with timm is in ConformanceTests
// (deit3_layerscale_d2, vit_avgpool_fcnorm, vit_avgpool_norm).

private let twoHeads = [("num_heads", "2")]

/// A small model's config (D 8, 2×2 patches of 2, depth 2, 3 classes, 2 heads) with `change` applied.
private func config(distilled: Bool = false, _ change: (inout ModelConfig) -> Void = { _ in }) -> ModelConfig {
    var config = ModelConfig(imageSize: 4, patchSize: 2, embedDim: 8, depth: 2, numHeads: 2, mlpHiddenDim: 16,
                             numClasses: 3, distilled: distilled)
    change(&config)
    return config
}

/// The tensors a checkpoint of `config` holds, as the schema lists them.
private func tensors(_ config: ModelConfig) -> [TestTensor] {
    CheckpointSchema.deit.tensors(of: config).map { TestTensor.f32($0.name, $0.shape) }
}

private func derived(_ tensors: [TestTensor], metadata: [(String, String)] = twoHeads) throws -> ModelConfig {
    try TestSafetensors.file(tensors, metadata: metadata).withUnsafeBytes { try Checkpoint(bytes: $0).config }
}

private func error(_ tensors: [TestTensor], metadata: [(String, String)] = twoHeads) -> DeiTError? {
    checkpointError(TestSafetensors.file(tensors, metadata: metadata))
}

@Suite struct ArchitectureFeatureTests {
    static let options: [(String, ModelConfig)] = [
        ("LayerScale", config { $0.layerScale = true }),
        ("qkv_bias=False", config { $0.qkvBias = false }),
        ("fc_norm + avg", config { $0.fcNorm = true; $0.globalPool = .average }),
        ("no_embed_class", config { $0.noEmbedClass = true }),
        ("no_embed_class distilled", config(distilled: true) { $0.noEmbedClass = true }),
        ("all", config { $0.layerScale = true; $0.qkvBias = false; $0.fcNorm = true; $0.globalPool = .average
                         $0.noEmbedClass = true }),
        ("qk_norm", config { $0.qkNorm = true }),
        ("pre_norm (no patch bias)", config { $0.preNorm = true }),
        ("registers", config { $0.regTokens = 3 }),
        ("registers, no_embed_class", config { $0.regTokens = 4; $0.noEmbedClass = true }),
        ("no class token + registers + fc_norm", config { $0.classToken = false; $0.regTokens = 4; $0.noEmbedClass = true
                                                         $0.fcNorm = true; $0.globalPool = .average }),
    ]

    @Test(arguments: ArchitectureFeatureTests.options)
    func eachOptionIsDerivedFromTheTensorsWithItsParameterCount(_ name: String, _ expected: ModelConfig) throws {
        let list = tensors(expected)
        // A model without a class token needs its pooling described (timm's default is the class token).
        let metadata = expected.classToken ? twoHeads : twoHeads + [("global_pool", "avg")]
        #expect(try derived(list, metadata: metadata) == expected, "\(name)")
        #expect(expected.parameterCount == list.reduce(0) { $0 + $1.data.count / 4 }, "\(name)")
    }

    @Test func noEmbedClassPositionEmbeddingCoversThePatchesOnly() {
        let plain = tensors(config()), deit3 = tensors(config { $0.noEmbedClass = true })
        #expect(plain.first { $0.name == "pos_embed" }?.shape == [1, 5, 8])
        #expect(deit3.first { $0.name == "pos_embed" }?.shape == [1, 4, 8])
    }

    @Test func averagePoolingWithoutFcNormIsReadFromMetadata() throws {
        let plain = tensors(config())
        #expect(try derived(plain).globalPool == .token)
        #expect(try derived(plain, metadata: twoHeads + [("global_pool", "avg")]) == config { $0.globalPool = .average })
        #expect(try derived(plain, metadata: twoHeads + [("global_pool", "token")]).globalPool == .token)
        // fc_norm defaults to average pooling (timm: use_fc_norm follows global_pool), "token" overrides it.
        let fcNorm = tensors(config { $0.fcNorm = true })
        #expect(try derived(fcNorm).globalPool == .average)
        #expect(try derived(fcNorm, metadata: twoHeads + [("global_pool", "token")]) == config { $0.fcNorm = true })
    }

    @Test func maxAndAvgmaxPoolingAreReadFromTheDescription() throws {
        let plain = tensors(config()), fcNorm = tensors(config { $0.fcNorm = true })
        #expect(try derived(plain, metadata: twoHeads + [("global_pool", "max")]) == config { $0.globalPool = .max })
        #expect(try derived(fcNorm, metadata: twoHeads + [("global_pool", "avgmax")])
                == config { $0.fcNorm = true; $0.globalPool = .averageMax })
        let noClass = tensors(config { $0.classToken = false; $0.fcNorm = true })
        #expect(try derived(noClass, metadata: twoHeads + [("global_pool", "max")])
                == config { $0.classToken = false; $0.fcNorm = true; $0.globalPool = .max })
    }

    @Test(arguments: ["map", ""])
    func otherPoolingsAreUnsupported(_ pool: String) {
        expectError(error(tensors(config()), metadata: twoHeads + [("global_pool", pool)]), .unsupported, "global_pool")
    }

    @Test func anUnknownPoolingNameIsAFormatError() {
        expectError(error(tensors(config()), metadata: twoHeads + [("global_pool", "mean")]), .format, "key 'global_pool' is 'mean'")
    }

    @Test(arguments: ["avg", "max", "avgmax"])
    func patchPoolingWithADistillationTokenIsUnsupported(_ pool: String) {
        expectError(error(tensors(config(distilled: true)), metadata: twoHeads + [("global_pool", pool)]),
                    .unsupported, "distillation token")
    }

    @Test func normAndFcNormTogetherAreAFormatError() {
        let both = tensors(config()) + [TestTensor.f32("fc_norm.weight", [8]), TestTensor.f32("fc_norm.bias", [8])]
        expectError(error(both), .format, "'fc_norm.weight'")
        let halfFcNorm = tensors(config { $0.fcNorm = true }).filter { $0.name != "fc_norm.bias" }
        expectError(error(halfFcNorm), .format, "missing tensor 'fc_norm.bias'")
    }

    // MARK: LayerScale

    @Test func originalDeiT3LayerScaleNamesAreAccepted() throws {
        let modern = tensors(config { $0.layerScale = true })
        let original = modern.map { tensor -> TestTensor in
            var renamed = tensor
            renamed.name = tensor.name.replacingOccurrences(of: ".ls1.gamma", with: ".gamma_1")
                .replacingOccurrences(of: ".ls2.gamma", with: ".gamma_2")
            return renamed
        }
        #expect(original.contains { $0.name == "blocks.1.gamma_2" })
        #expect(try derived(original) == config { $0.layerScale = true })
        // Both names for one tensor: which one to use is not ours to guess.
        let both = modern + [TestTensor.f32("blocks.0.gamma_1", [8])]
        expectError(error(both), .format, "duplicate tensor 'blocks.0.ls1.gamma'")
    }

    @Test func layerScaleGammaWithTheWrongShapeIsAFormatErrorNamingIt() {
        for shape in [[16], [1, 8], [8, 1], [7]] {
            var list = tensors(config { $0.layerScale = true })
            let index = list.firstIndex { $0.name == "blocks.1.ls2.gamma" }!
            list[index] = TestTensor.f32("blocks.1.ls2.gamma", shape)
            expectError(error(list), .format, "tensor 'blocks.1.ls2.gamma' has shape")
        }
    }

    @Test func layerScaleMustBeInEveryBlock() {
        for removed in ["blocks.0.ls1.gamma", "blocks.1.ls2.gamma"] {
            let list = tensors(config { $0.layerScale = true }).filter { $0.name != removed }
            expectError(error(list), .format, "missing tensor '\(removed)'")
        }
        let oneBias = tensors(config { $0.qkvBias = false }) + [TestTensor.f32("blocks.1.attn.qkv.bias", [24])]
        expectError(error(oneBias), .format, "missing tensor 'blocks.0.attn.qkv.bias'")
    }

    // MARK: Known options that are refused

    @Test(arguments: [
        ("attn_pool.latent", [1, 1, 8], "attn_pool"),
        ("blocks.0.attn.norm.weight", [8], "scale_attn_norm"),
        ("blocks.0.mlp.norm.weight", [16], "scale_mlp_norm"),
        ("blocks.0.mlp.fc1_g.weight", [16, 8], "gated MLP"),
        ("patch_embed.norm.weight", [8], "patch_embed.norm"),
    ])
    func knownUnsupportedOptionsAreRefusedNamingThem(_ name: String, _ shape: [Int], _ feature: String) {
        let error = error(tensors(config()) + [TestTensor.f32(name, shape)])
        expectError(error, .unsupported, feature)
        expectError(error, .unsupported, "not supported yet")
        expectError(error, .unsupported, "'\(name)'")
    }

    @Test func aModelWithoutAClassTokenNeedsItsPoolingDescribed() {
        let list = tensors(config { $0.classToken = false; $0.fcNorm = true })
        expectError(error(list), .unsupported, "class_token=False")
        expectError(error(list), .unsupported, "needs its global_pool")
        // Token pooling needs the class token (timm asserts it).
        expectError(error(list, metadata: twoHeads + [("global_pool", "token")]), .format, "needs a class token")
        // Removing cls_token from a model whose pos_embed covers it leaves 1 + G² rows: not a grid.
        let damaged = tensors(config()).filter { $0.name != "cls_token" }
        expectError(error(damaged, metadata: twoHeads + [("global_pool", "avg")]), .format, "tensor 'pos_embed' has 5 tokens")
        // A distilled model without its class token is damage.
        let distilled = tensors(config(distilled: true)).filter { $0.name != "cls_token" }
        expectError(error(distilled), .format, "'dist_token'")
    }

    @Test func registersWithADistillationTokenAreUnsupported() {
        let list = tensors(config(distilled: true) { $0.regTokens = 2 })
        expectError(error(list), .unsupported, "register tokens")
    }

    @Test func newOptionTensorsFollowTheirFeature() {
        // norm_pre and the patch bias: timm drops the bias exactly when it adds norm_pre.
        let clip = tensors(config { $0.preNorm = true })
        #expect(!clip.contains { $0.name == "patch_embed.proj.bias" })
        expectError(error(clip + [TestTensor.f32("patch_embed.proj.bias", [8])]), .format, "unexpected tensor 'patch_embed.proj.bias'")
        expectError(error(clip.filter { $0.name != "norm_pre.bias" }), .format, "missing tensor 'norm_pre.bias'")
        // q_norm / k_norm in every block, head_dim wide.
        let qk = tensors(config { $0.qkNorm = true })
        #expect(qk.first { $0.name == "blocks.1.attn.k_norm.weight" }?.shape == [4])
        expectError(error(qk.filter { $0.name != "blocks.1.attn.k_norm.bias" }), .format, "missing tensor 'blocks.1.attn.k_norm.bias'")
        var wide = qk
        let index = wide.firstIndex { $0.name == "blocks.0.attn.q_norm.weight" }!
        wide[index] = TestTensor.f32("blocks.0.attn.q_norm.weight", [8])
        expectError(error(wide), .format, "tensor 'blocks.0.attn.q_norm.weight' has shape")
        // reg_token [1, R, D].
        let regs = tensors(config { $0.regTokens = 2 })
        #expect(regs.first { $0.name == "reg_token" }?.shape == [1, 2, 8])
        var badReg = regs
        let regIndex = badReg.firstIndex { $0.name == "reg_token" }!
        badReg[regIndex] = TestTensor.f32("reg_token", [1, 2, 4])
        expectError(error(badReg), .format, "tensor 'reg_token' has shape")
    }

    @Test func theDescriptionDecidesNoEmbedClassWhenBothReadingsFit() throws {
        // 5 prefix tokens (class + 4 registers) and 9 pos_embed rows: a 3×3 grid with no_embed_class,
        // or a 2×2 grid covering the prefix too. timm's default (the latter) unless described.
        var small = config { $0.regTokens = 4; $0.noEmbedClass = true }
        small.imageSize = 6
        small.trainedGridSize = 3
        let list = tensors(small)
        #expect(list.first { $0.name == "pos_embed" }?.shape == [1, 9, 8])
        #expect(try derived(list).gridSize == 2)
        #expect(try derived(list, metadata: twoHeads + [("no_embed_class", "1")]) == small)
    }

    @Test func aHeadlessModelLoadsWithNoClassesButAHalfHeadIsDamage() throws {
        let headless = tensors(config()).filter { !$0.name.hasPrefix("head.") }
        let derivedConfig = try derived(headless)
        #expect(derivedConfig == config { $0.numClasses = 0 })
        #expect(!derivedConfig.hasHead && derivedConfig.outputDim == 8 && derivedConfig.featureDim == 8)
        #expect(derivedConfig.parameterCount == headless.reduce(0) { $0 + $1.data.count / 4 })
        #expect(tensors(config { $0.numClasses = 0 }).map(\.name) == headless.map(\.name))
        let halfHead = tensors(config()).filter { $0.name != "head.bias" }
        expectError(error(halfHead), .format, "missing tensor 'head.bias'")
        let onlyBias = tensors(config()).filter { $0.name != "head.weight" }
        expectError(error(onlyBias), .format, "missing tensor 'head.weight'")
        // Distilled and headless (timm num_classes=0 makes head_dist Identity too): dist_token, no heads.
        let distilledHeadless = tensors(config(distilled: true)).filter { !$0.name.hasPrefix("head") }
        #expect(try derived(distilledHeadless) == config(distilled: true) { $0.numClasses = 0 })
        let distilledHalf = tensors(config(distilled: true)).filter { !$0.name.hasPrefix("head_dist") }
        expectError(error(distilledHalf), .format, "missing tensor 'head_dist.weight'")
    }

    @Test(arguments: ["blocks.0.ls3.gamma", "blocks.0.ls1.beta", "blocks.0.gamma_3", "ls1.gamma", "fc_norm.scale"])
    func lookalikeNamesStayFormatErrors(_ name: String) {
        expectError(error(tensors(config()) + [TestTensor.f32(name, [8])]), .format, "unexpected tensor")
    }
}
