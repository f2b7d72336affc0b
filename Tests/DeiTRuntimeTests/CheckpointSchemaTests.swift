import DeiTRuntime
import Foundation
import Testing

// The DeiT/ViT schema and config derivation (Checkpoint / ModelConfig(header:)): the real DeiT-Ti
// weights, synthetic models of other shapes, every tensor removed or mis-shaped in turn, and the
// architecture limits.

/// The real DeiT-Ti weights in the shared data ($DEIT_SHARED or ../shared; never copied into the repository).
private let realCheckpointPath = (TestData.shared ?? URL(fileURLWithPath: "/nonexistent"))
    .appendingPathComponent("models/deit-tiny-in1k.safetensors").path

private func config(_ bytes: [UInt8], limits: LoadLimits = .default) throws -> ModelConfig {
    try bytes.withUnsafeBytes { try Checkpoint(bytes: $0, limits: limits).config }
}

private let twoHeads = [("num_heads", "2")]

@Suite struct CheckpointSchemaTests {
    // The real weights live outside the repository; without them this test is skipped.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: realCheckpointPath),
                   Comment(rawValue: TestData.sharedMissing)))
    func realDeiTTinyDerivesItsConfigAndHasFiniteWeights() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: realCheckpointPath))
        try data.withUnsafeBytes { raw in
            let clock = ContinuousClock()
            let start = clock.now
            let checkpoint = try Checkpoint(bytes: raw)
            let parseTime = clock.now - start
            let config = checkpoint.config
            #expect(config == ModelConfig(imageSize: 224, patchSize: 16, embedDim: 192, depth: 12, numHeads: 3,
                                          mlpHiddenDim: 768, numClasses: 1000, distilled: false))
            #expect(config.parameterCount == 5_717_416)
            #expect(config.numTokens == 197)
            #expect(checkpoint.file.tensors.count == 152)
            #expect(checkpoint.file.tensors.reduce(0) { $0 + $1.elementCount } == config.parameterCount)
            #expect(checkpoint.tensor("pos_embed")?.shape == [1, 197, 192])
            #expect(checkpoint.tensor("blocks.11.mlp.fc2.bias")?.shape == [192])
            #expect(checkpoint.tensor("blocks.12.mlp.fc2.bias") == nil)
            #expect(parseTime < .milliseconds(100), "header validation took \(parseTime)")

            var floats = [Float](repeating: .nan, count: 1000 * 192)
            for tensor in checkpoint.file.tensors {
                try floats.withUnsafeMutableBufferPointer { buffer in
                    try checkpoint.readFloats(tensor, from: raw, into: buffer.baseAddress!)
                }
                let finite = floats[0..<tensor.elementCount].allSatisfy { $0.isFinite }
                #expect(finite, "\(tensor.name)")
            }
        }
    }

    // MARK: Synthetic architectures

    @Test func tinyModelDerivesEveryField() throws {
        let derived = try config(TestSafetensors.file(TestSafetensors.deit(dim: 8, patch: 2, grid: 3, depth: 3,
                                                                          hidden: 24, classes: 5),
                                                      metadata: twoHeads))
        #expect(derived == ModelConfig(imageSize: 6, patchSize: 2, embedDim: 8, depth: 3, numHeads: 2,
                                       mlpHiddenDim: 24, numClasses: 5, distilled: false))
        #expect(derived.numTokens == 10)
    }

    @Test func distilledModelHasTwoPrefixTokens() throws {
        let derived = try config(TestSafetensors.file(TestSafetensors.deit(distilled: true), metadata: twoHeads))
        #expect(derived.distilled)
        #expect(derived.numTokens == 2 + 4)
        #expect(derived.parameterCount == TestSafetensors.deit(distilled: true).reduce(0) { $0 + $1.data.count / 4 })
    }

    @Test func headCountIsDOver64WithoutMetadata() throws {
        let derived = try config(TestSafetensors.file(TestSafetensors.deit(dim: 128, grid: 1, depth: 1, hidden: 8)))
        #expect(derived.numHeads == 2)
        #expect(derived.headDim == 64)
    }

    @Test(arguments: [("1", 1), ("2", 2), ("4", 4), ("8", 8)])
    func headCountFromMetadata(text: String, heads: Int) throws {
        #expect(try config(TestSafetensors.file(TestSafetensors.deit(), metadata: [("num_heads", text)])).numHeads == heads)
    }

    @Test(arguments: ["16", "-2", "+2", " 2", "2.0", "", "99999999999999999999999"])
    func badHeadCountMetadataIsAFormatError(text: String) {
        let error = checkpointError(TestSafetensors.file(TestSafetensors.deit(), metadata: [("num_heads", text)]))
        #expect(error?.status == .format, "\(error?.message ?? "loaded")")
        #expect(error?.message.contains("num_heads") == true)
    }

    @Test func halfAndBFloat16CheckpointsLoad() throws {
        for dtype in ["F16", "BF16"] {
            let bytes = TestSafetensors.file(TestSafetensors.deit(dtype: dtype), metadata: twoHeads)
            #expect(try config(bytes).embedDim == 8)
        }
    }

    // MARK: Every tensor, one at a time

    @Test func removingAnyTensorIsRejectedNamingIt() {
        let tensors = TestSafetensors.deit(distilled: true)
        for removed in tensors.indices {
            var remaining = tensors
            let name = remaining.remove(at: removed).name
            let error = checkpointError(TestSafetensors.file(remaining, metadata: twoHeads))
            if name == "dist_token" {  // then head_dist.* are the odd ones out
                expectError(error, .format, "unexpected tensor 'head_dist.")
            } else if name == "cls_token" {  // the distillation token then has no class token before it
                expectError(error, .format, "unexpected tensor 'dist_token'")
            } else {
                expectError(error, .format, "missing tensor '\(name)'")
            }
        }
    }

    @Test func misShapingAnyTensorIsRejectedNamingIt() {
        let tensors = TestSafetensors.deit(distilled: true)
        for changed in tensors.indices {
            var mutated = tensors
            mutated[changed].shape.append(1)  // same bytes, one more dimension
            let error = checkpointError(TestSafetensors.file(mutated, metadata: twoHeads))
            expectError(error, .format, "tensor '\(tensors[changed].name)' has shape")
        }
    }

    @Test func unsupportedDTypeOnAnyTensorIsRejectedNamingIt() {
        let tensors = TestSafetensors.deit()
        for (index, dtype) in zip(tensors.indices, ["I64", "F64", "U8", "I32", "BOOL", "F8_E4M3"].cycled()) {
            var mutated = tensors
            mutated[index] = TestSafetensors.converted(tensors[index], to: dtype)
            let error = checkpointError(TestSafetensors.file(mutated, metadata: twoHeads))
            expectError(error, .unsupported, "tensor '\(tensors[index].name)' has dtype \(dtype)")
        }
    }

    @Test(arguments: [
        "blocks.99999999999999999999.norm1.weight",
        "blocks.9223372036854775808.norm1.weight",
        "blocks.256.norm1.weight",
    ])
    func hugeBlockIndicesHitTheDepthLimit(name: String) {
        let tensors = TestSafetensors.deit() + [TestTensor.f32(name, [8])]
        expectError(checkpointError(TestSafetensors.file(tensors, metadata: twoHeads)), .outOfMemory, "maxDepth limit (256)")
    }

    @Test func aHugeBlockIndexUnderAHugeLimitIsAGapNotAnAllocation() {
        let tensors = TestSafetensors.deit(depth: 1) + [TestTensor.f32("blocks.1000000000000000000.norm1.weight", [8])]
        let bytes = TestSafetensors.file(tensors, metadata: twoHeads)
        expectError(checkpointError(bytes, limits: LoadLimits(maxDepth: .max)), .format,
                    "missing tensor 'blocks.1.norm1.weight': block 1 is absent but block 1000000000000000000 exists")
    }

    @Test(arguments: ["blocks.", "blocks.0", "blocks.0.", "blocks..norm1.weight", "blocks.-1.norm1.weight",
                      "blocks.+1.norm1.weight", "blocks.1e0.norm1.weight", "blocks.00.norm1.weight",
                      "blocks.0.norm1.weight.extra", "blocks.0.norm1", "Blocks.0.norm1.weight", "cls_token ",
                      "head.weight\u{0}", "blocks.0.norm3.weight"])
    func namesOutsideTheSchemaAreRejected(name: String) {
        let tensors = TestSafetensors.deit() + [TestTensor.f32(name, [8])]
        expectError(checkpointError(TestSafetensors.file(tensors, metadata: twoHeads)), .format, "unexpected tensor")
    }

    @Test func blocksMustStartAtZeroWithoutGaps() {
        let tensors = TestSafetensors.deit(depth: 1).map { tensor -> TestTensor in
            var renamed = tensor
            renamed.name = tensor.name.replacingOccurrences(of: "blocks.0.", with: "blocks.1.")
            return renamed
        }
        expectError(checkpointError(TestSafetensors.file(tensors, metadata: twoHeads)), .format,
                    "missing tensor 'blocks.0.norm1.weight': block 0 is absent but block 1 exists")
    }

    @Test func hiddenWidthMustMatchInEveryBlock() {
        var tensors = TestSafetensors.deit(depth: 2, hidden: 16)
        for index in tensors.indices where tensors[index].name.hasPrefix("blocks.1.mlp.") {
            let shape = tensors[index].shape.map { $0 == 16 ? 24 : $0 }
            tensors[index] = TestTensor.f32(tensors[index].name, shape)
        }
        expectError(checkpointError(TestSafetensors.file(tensors, metadata: twoHeads)), .format,
                    "tensor 'blocks.1.mlp.fc1.weight' has shape [24, 8]; expected [16, 8]")
    }

    @Test func positionEmbeddingMustCoverASquareGrid() throws {
        // G² tokens alone is DeiT III's no_embed_class (pos_embed for the patches only).
        for (tokens, grid) in [(1, 1), (4, 2), (9, 3)] {
            var tensors = TestSafetensors.deit(grid: grid)
            let index = tensors.firstIndex { $0.name == "pos_embed" }!
            tensors[index] = TestTensor.f32("pos_embed", [1, tokens, 8])
            let derived = try config(TestSafetensors.file(tensors, metadata: twoHeads))
            #expect(derived.noEmbedClass && derived.gridSize == grid && derived.numTokens == tokens + 1)
        }
        for tokens in [3, 6, 7, 8] {  // 1 + G² for G = 2 is 5; neither 1 + G² nor G²
            var tensors = TestSafetensors.deit()
            let index = tensors.firstIndex { $0.name == "pos_embed" }!
            tensors[index] = TestTensor.f32("pos_embed", [1, tokens, 8])
            expectError(checkpointError(TestSafetensors.file(tensors, metadata: twoHeads)), .format,
                        "tensor 'pos_embed' has \(tokens) tokens")
        }
    }

    @Test func inputChannelsOtherThanThreeAndRectangularPatchesAreUnsupported() {
        for shape in [[8, 1, 2, 2], [8, 4, 2, 2], [8, 3, 2, 4]] {
            var tensors = TestSafetensors.deit()
            let index = tensors.firstIndex { $0.name == "patch_embed.proj.weight" }!
            tensors[index] = TestTensor.f32("patch_embed.proj.weight", shape)
            expectError(checkpointError(TestSafetensors.file(tensors, metadata: twoHeads)), .unsupported,
                        "tensor 'patch_embed.proj.weight'")
        }
    }

    // MARK: Architecture limits → .outOfMemory naming the limit

    @Test func architectureLimitsAreEnforcedAtTheirBoundary() throws {
        let bytes = TestSafetensors.file(TestSafetensors.deit(dim: 8, patch: 2, grid: 2, depth: 2, hidden: 16, classes: 3),
                                         metadata: twoHeads)
        let cases: [(LoadLimits, LoadLimits, String)] = [
            (LoadLimits(maxEmbedDim: 7), LoadLimits(maxEmbedDim: 8), "maxEmbedDim limit (7)"),
            (LoadLimits(maxDepth: 1), LoadLimits(maxDepth: 2), "maxDepth limit (1)"),
            (LoadLimits(maxMLPHiddenDim: 15), LoadLimits(maxMLPHiddenDim: 16), "maxMLPHiddenDim limit (15)"),
            (LoadLimits(maxClasses: 2), LoadLimits(maxClasses: 3), "maxClasses limit (2)"),
            (LoadLimits(maxPatchSize: 1), LoadLimits(maxPatchSize: 2), "maxPatchSize limit (1)"),
            (LoadLimits(maxTokens: 4), LoadLimits(maxTokens: 5), "maxTokens limit (4)"),
        ]
        for (tooSmall, justEnough, message) in cases {
            expectError(checkpointError(bytes, limits: tooSmall), .outOfMemory, message)
            #expect(checkpointError(bytes, limits: justEnough) == nil, "\(message)")
        }
    }

    @Test func defaultLimitsAdmitTheLargeTimmModels() {
        let limits = LoadLimits.default
        // ViT-L/16 at 384: D 1024, depth 24, H 4096, T 577; ViT-G/14 at 518: D 1664, depth 48, H 8192, T 1370.
        #expect(limits.maxEmbedDim >= 1664 && limits.maxDepth >= 48 && limits.maxMLPHiddenDim >= 8192)
        #expect(limits.maxTokens >= 1370 && limits.maxClasses >= 21_843 && limits.maxPatchSize >= 32)
        #expect(limits.maxHeaderBytes == 100_000_000)
        #expect(limits.maxFileBytes >= 4 << 30)
    }
}

private extension Array {
    /// Repeats the elements forever (for zip).
    func cycled() -> UnfoldSequence<Element, Int> {
        sequence(state: 0) { index in
            defer { index = (index + 1) % count }
            return self[index]
        }
    }
}
