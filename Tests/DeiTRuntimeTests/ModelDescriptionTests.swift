@testable import DeiTRuntime
import Foundation
import Testing

// The model description (Loading/ModelDescription*.swift): its sources and precedence, the
// architecture table, config.json parsing (malformed cases refused naming the key), the checks
// against the tensors, and the committed fixtures whose preprocessing comes from the description
// (Tests/Fixtures/description, generated with timm by scripts/python/gen_description_fixtures.py).

/// A checkpoint of `config` parsed from its header only (the data is never read), so models as
/// wide as ViT-H cost nothing.
private func headerOnly(_ config: ModelConfig, metadata: [(String, String)] = [], configJSON: String? = nil) throws -> Checkpoint {
    var parts: [String] = []
    if !metadata.isEmpty {
        parts.append("\"__metadata__\":{" + metadata.map { "\(TestSafetensors.jsonString($0.0)):\(TestSafetensors.jsonString($0.1))" }.joined(separator: ",") + "}")
    }
    var offset = 0
    for tensor in CheckpointSchema.deit.tensors(of: config) {
        let bytes = 4 * tensor.shape.reduce(1, *)
        parts.append("\"\(tensor.name)\":{\"dtype\":\"F32\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
        offset += bytes
    }
    let prefix = TestSafetensors.frame(header: Array(("{" + parts.joined(separator: ",") + "}").utf8), data: [])
    return try prefix.withUnsafeBytes { raw in
        let file = try SafetensorsFile.parse(prefix: raw, fileSize: prefix.count + offset, limits: .default)
        guard let configJSON else { return try Checkpoint(file: file) }
        return try Array(configJSON.utf8).withUnsafeBytes { json in
            try Checkpoint(file: file, configJSON: json)
        }
    }
}

private func caught(_ body: () throws -> Void) -> DeiTError? {
    do { try body(); return nil } catch { return error as? DeiTError }
}

private func vit(_ dim: Int, patch: Int = 16, grid: Int = 2, depth: Int = 1, classes: Int = 1000, heads: Int = 1) -> ModelConfig {
    ModelConfig(imageSize: patch * grid, patchSize: patch, embedDim: dim, depth: depth, numHeads: heads,
                mlpHiddenDim: 4 * dim, numClasses: classes, distilled: false)
}

@Suite struct ModelDescriptionTests {
    @Test func viTHugeGetsSixteenHeadsOfEightyFromTheTable() throws {
        let huge = vit(1280, patch: 14)
        #expect(try headerOnly(huge).config.numHeads == 20)   // no description: D/64
        let named = try headerOnly(huge, metadata: [("architecture", "vit_huge_patch14_224"), ("depth", "1")])
        #expect(named.config.numHeads == 16 && named.config.headDim == 80)
        #expect(named.description.numHeads?.source == .architectureTable)
        #expect(named.description.depth?.source == .metadata)
    }

    @Test func augregArchitectureGetsHalfMeanAndStdAndTagsMatter() throws {
        let base = vit(768)
        let augreg = try headerOnly(base, metadata: [("architecture", "vit_base_patch16_224"), ("depth", "1")])
        let pre = Preprocessing(description: augreg.description, imageSize: 32)
        #expect(pre.mean.value == SIMD3(repeating: 0.5) && pre.std.value == SIMD3(repeating: 0.5))
        #expect(pre.mean.source == .architectureTable)
        #expect(ClassLabelSource(description: augreg.description, numClasses: 1000).name(0) != nil)
        // The in21k tag: 21 843 pretrained classes, so a 1000-class head is not called ImageNet-1k.
        let in21k = try headerOnly(base, metadata: [("architecture", "vit_base_patch16_224.augreg_in21k"), ("depth", "1")])
        #expect(in21k.description.pretrainedClasses?.value == 21843)
        #expect(ClassLabelSource(description: in21k.description, numClasses: 1000).name(0) == nil)
        // The dino tag has ImageNet's mean/std.
        let dino = try headerOnly(base, metadata: [("architecture", "vit_base_patch16_224.dino"), ("depth", "1")])
        #expect(Preprocessing(description: dino.description, imageSize: 32).mean.value == EvalTransform.imageNetMean)
        // Nothing known: ImageNet defaults, bit for bit.
        let plain = Preprocessing(description: .empty, imageSize: 224)
        #expect(plain.mean.value == EvalTransform.imageNetMean && plain.mean.source == .defaults && plain.cropPct.value == 0.9)
    }

    @Test func disagreementsWithTheTensorsNameTheSource() {
        let error = caught { _ = try headerOnly(vit(384), metadata: [("architecture", "vit_base_patch16_224"), ("depth", "1")]) }
        #expect(error?.status == .format && error?.message.contains("embed_dim: architecture table says 768, the tensors") == true)
        let heads = caught { _ = try headerOnly(vit(64), metadata: [("num_heads", "3")]) }
        #expect(heads?.status == .format && heads?.message.contains("num_heads '3' does not divide embed dim 64 (num_heads from __metadata__)") == true)
        let classes = caught { _ = try headerOnly(vit(64), configJSON: #"{"num_classes": 10}"#) }
        #expect(classes?.status == .format && classes?.message.contains("num_classes: config.json says 10") == true)
        let labels = caught { _ = try headerOnly(vit(64, classes: 3), configJSON: #"{"label_names": ["a", "b"]}"#) }
        #expect(labels?.status == .format && labels?.message.contains("label_names") == true)
    }

    /// The options the forward pass runs are taken from the description, and must agree with the tensors.
    @Test func optionsTheForwardPassRunsMustAgreeWithTheTensors() throws {
        let cases: [([(String, String)], String?, String)] = [
            ([("architecture", "deit3_small_patch16_224"), ("embed_dim", "64"), ("depth", "1"), ("num_heads", "2")], nil,
             "LayerScale (init_values): architecture table says yes, the tensors"),
            ([], #"{"model_args": {"init_values": 1e-5}}"#, "LayerScale (init_values): config.json says yes"),
            ([], #"{"model_args": {"qkv_bias": false}}"#, "qkv_bias: config.json says no"),
            ([], #"{"model_args": {"fc_norm": true}}"#, "fc_norm: config.json says yes"),
            ([], #"{"model_args": {"reg_tokens": 4}}"#, "reg_tokens: config.json says 4, the tensors (reg_token) 0"),
            ([("class_token", "0"), ("global_pool", "avg")], nil, "class_token: __metadata__ says no"),
            ([("qk_norm", "1")], nil, "qk_norm: __metadata__ says yes"),
            ([("pre_norm", "1")], nil, "pre_norm: __metadata__ says yes"),
        ]
        for (metadata, json, expected) in cases {
            let error = caught { _ = try headerOnly(vit(64), metadata: metadata, configJSON: json) }
            #expect(error?.status == .format && error?.message.contains(expected) == true, "\(expected): \(error?.message ?? "loaded")")
        }
        // global_pool is applied, not checked: avg pooling after `norm` is a model timm can build.
        let pooled = try headerOnly(vit(64), configJSON: #"{"global_pool": "avg"}"#)
        #expect(pooled.config.globalPool == .average)
        let token = try headerOnly(vit(64), metadata: [("global_pool", "token")], configJSON: #"{"global_pool": "avg"}"#)
        #expect(token.config.globalPool == .token)
    }

    @Test func featuresDeiTDoesNotRunAreRefusedByName() {
        let cases: [([(String, String)], String?, String)] = [
            ([], #"{"global_pool": "map"}"#, "global_pool 'map' (from config.json) is not supported"),
            ([("global_pool", "map")], #"{"global_pool": "token"}"#, "global_pool 'map' (from __metadata__)"),
            // (A Cait architecture over ViT tensors is a .format disagreement: CaiTLoadingTests.)
            ([("architecture", "vit_base_patch16_dinov3")], nil, "Eva"),
            ([("act_layer", "gelu_tanh")], nil, "act_layer 'gelu_tanh'"),
            ([("distilled", "1"), ("reg_tokens", "2")], nil, "register tokens (reg_tokens=2 from __metadata__) with a distillation token"),
        ]
        for (metadata, json, expected) in cases {
            let error = caught { _ = try headerOnly(vit(64), metadata: metadata, configJSON: json) }
            #expect(error?.status == .unsupported && error?.message.contains(expected) == true, "\(expected): \(error?.message ?? "loaded")")
        }
    }

    @Test func metadataWinsOverConfigJSONWhichWinsOverTheTable() throws {
        let json = #"{"architecture": "vit_base_patch16_224", "model_args": {"depth": 1}, "pretrained_cfg": {"mean": [0.1, 0.2, 0.3], "std": [0.5, 0.5, 0.5], "crop_pct": 0.875, "interpolation": "bilinear"}}"#
        let checkpoint = try headerOnly(vit(768), metadata: [("mean", "0.485,0.456,0.406")], configJSON: json)
        let d = checkpoint.description
        #expect(d.mean?.source == .metadata && d.mean?.value == EvalTransform.imageNetMean)
        #expect(d.std?.source == .configJSON && d.cropPct?.value == 0.875 && d.interpolation?.value == .bilinear)
        #expect(d.numHeads?.source == .architectureTable && d.numHeads?.value == 12)
        #expect(d.depth?.source == .configJSON)
    }

    @Test func malformedConfigJSONIsAFormatErrorNamingTheKey() {
        let cases: [(String, String)] = [
            ("[1]", "expected a JSON object"),
            (#"{"architecture": 5}"#, "'architecture'"),
            (#"{"pretrained_cfg": {"mean": [0.5, 0.5]}}"#, "'pretrained_cfg.mean'"),
            (#"{"pretrained_cfg": {"std": [0.5, 0, 0.5]}}"#, "'pretrained_cfg.std'"),
            (#"{"pretrained_cfg": {"mean": "abc"}}"#, "'pretrained_cfg.mean'"),
            (#"{"pretrained_cfg": {"crop_pct": 1.5}}"#, "'pretrained_cfg.crop_pct'"),
            (#"{"pretrained_cfg": {"crop_pct": "x"}}"#, "'pretrained_cfg.crop_pct'"),
            (#"{"pretrained_cfg": {"interpolation": "cubic"}}"#, "'pretrained_cfg.interpolation'"),
            (#"{"pretrained_cfg": {"crop_mode": "middle"}}"#, "'pretrained_cfg.crop_mode'"),
            (#"{"pretrained_cfg": {"input_size": [3, 224]}}"#, "'pretrained_cfg.input_size'"),
            (#"{"pretrained_cfg": 7}"#, "'pretrained_cfg' is not a JSON object"),
            (#"{"model_args": {"num_heads": -1}}"#, "'model_args.num_heads'"),
            (#"{"model_args": {"num_heads": {"a": 1}}}"#, "'model_args.num_heads'"),
            (#"{"model_args": {"class_token": "maybe"}}"#, "'model_args.class_token'"),
            (#"{"model_args": {"init_values": "x"}}"#, "'model_args.init_values'"),
            (#"{"label_names": "abc"}"#, "'label_names'"),
            (#"{"label_names": ["a", 1]}"#, "'label_names'[1]"),
            (#"{"global_pool": "token", "model_args": {"global_pool": "avg"}}"#, "'model_args.global_pool'"),
            (#"{"num_classes": 1000"#, "config.json"),
            ("{\"architecture\": \"a\u{01}\"}", "config.json"),
        ]
        for (json, expected) in cases {
            let error = caught { _ = try headerOnly(vit(64), configJSON: json) }
            #expect(error?.status == .format && error?.message.contains(expected) == true, "\(json): \(error?.message ?? "loaded")")
        }
        let bad = caught { _ = try headerOnly(vit(64), metadata: [("crop_pct", "0.9x")]) }
        #expect(bad?.status == .format && bad?.message.contains("__metadata__ key 'crop_pct'") == true)
    }

    @Test func decimalsRoundLikePythonThenTorch() {
        #expect(DescriptionValue.parseDecimal(Array("0.48145466".utf8)) == 0.48145466)
        #expect(DescriptionValue.parseDecimal(Array("1e-06".utf8)) == 1e-6)
        #expect(DescriptionValue.parseDecimal(Array("-2.5E+3".utf8)) == -2500)
        #expect(DescriptionValue.parseDecimal(Array("1.".utf8)) == 1 && DescriptionValue.parseDecimal(Array(".".utf8)) == nil)
        let fact = DescriptionFact(text: "0.485,0.456,0.406", source: .metadata, origin: "test")
        #expect((try? DescriptionValue.triple(fact, positive: false)) == EvalTransform.imageNetMean)
    }

    /// deit's preprocessing of the photo's PIL pixels must equal timm's resolve_data_config +
    /// create_transform bit for bit, and its logits timm's.
    @Test(arguments: ["vit_augreg_d1", "vit_meta_squash_d1"])
    func descriptionFixtureClassifiesLikeTimm(_ name: String) throws {
        let directory = TestData.repositoryRoot.appendingPathComponent("Tests/Fixtures/description/\(name)")
        let model = try Model.load(path: directory.appendingPathComponent("model.safetensors").path)
        let session = try Session(model: model, threads: 1)
        let pil = try [UInt8](Data(contentsOf: TestData.repositoryRoot.appendingPathComponent("Tests/Fixtures/images/photo_120x90.jpg.pil.rgb")))
        let expectedInput = try TestData.floats(directory.appendingPathComponent("photo_120x90.jpg.in.f32"))
        let expectedLogits = try TestData.floats(directory.appendingPathComponent("photo_120x90.jpg.logits.f32"))
        try ImageTestData.withPixels(pil, width: 120, height: 90) { pixels in
            try session.prepareInput(pixels)
        }
        let input = Array(session.preparedInput)
        #expect(input.count == expectedInput.count)
        #expect(zip(input, expectedInput).allSatisfy { $0.bitPattern == $1.bitPattern }, "preprocessed tensor differs from timm's")
        session.classifyPreparedInput(count: try TopKCount(3, classes: 10)) { _, _ in }
        let logits = Array(session.lastLogits)
        let scale = max(1, expectedLogits.map(abs).max() ?? 1)
        #expect(zip(logits, expectedLogits).allSatisfy { abs($0 - $1) <= 2e-4 * scale })
        #expect(topK(logits, 3) == topK(expectedLogits, 3))
        if name == "vit_augreg_d1" {
            #expect(model.preprocessing.mean.value == SIMD3(repeating: 0.5) && model.preprocessing.mean.source == .configJSON)
            #expect(model.classLabels.name(3).map { String(cString: $0) } == "label 3")
        } else {
            #expect(model.preprocessing.cropMode.value == .squash && model.preprocessing.interpolation.value == .bilinear)
            #expect(model.classLabels.name(3) == nil)   // 10 classes, no label_names
        }
    }
}
