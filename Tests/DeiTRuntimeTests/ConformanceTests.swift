import DeiTKernelTable
import DeiTRuntime
import Foundation
import Testing

/// Our forward pass against timm's, per block and at the logits (fixtures from
/// scripts/python/gen_fixtures.py; the real DeiT-Ti weights from ../shared when present).
@Suite struct ConformanceTests {
    /// Thread counts every fixture runs with: the single-threaded path, the pool, and more workers
    /// than this machine may have cores.
    static let threadCounts = [1, 2, 4]

    @Test(arguments: try FixtureModel.all(), ConformanceTests.threadCounts)
    func fixtureMatchesTimmPerBlockAndAtLogits(_ fixture: FixtureModel, threads: Int) throws {
        try checkFixture(fixture, threads: threads, kernelSet: nil)
    }

    /// The same check with each kernel set this build has and this CPU runs forced (portable always,
    /// on x86-64), at 1 and 2 threads: every set, not just the one chosen here, keeps timm's answers.
    @Test(arguments: try FixtureModel.all(), KernelChoice.runnable)
    func fixtureMatchesTimmWithEveryKernelSet(_ fixture: FixtureModel, kernelSet: KernelSet) throws {
        for threads in [1, 2] { try checkFixture(fixture, threads: threads, kernelSet: kernelSet) }
    }

    private func checkFixture(_ fixture: FixtureModel, threads: Int, kernelSet: KernelSet?) throws {
        let model = try TestData.model(fixture.directory.appendingPathComponent("model.safetensors"))
        #expect(model.config == fixture.config)
        let session = try Session(model: model, threads: threads, kernelSet: kernelSet)
        if let kernelSet { #expect(session.kernels.set == kernelSet) }
        let c = fixture.config
        let sliceCount = c.numTokens * c.embedDim
        for input in fixture.inputs {
            let x = try TestData.floats(fixture.directory.appendingPathComponent("\(input).in.f32"))
            let expectedLogits = try TestData.floats(fixture.directory.appendingPathComponent("\(input).logits.f32"))
            let expectedBlocks = try TestData.floats(fixture.directory.appendingPathComponent("\(input).blocks.f32"))
            #expect(expectedBlocks.count == (c.depth + 1) * sliceCount)
            var logits = [Float](repeating: .nan, count: c.outputDim)  // headless: the features
            var blocks = [Float](repeating: .nan, count: (c.depth + 1) * sliceCount)
            try x.withUnsafeBufferPointer { input throws(DeiTError) in
                try logits.withUnsafeMutableBufferPointer { logits throws(DeiTError) in
                    try blocks.withUnsafeMutableBufferPointer { blocks throws(DeiTError) in
                        try session.runCapturingTokens(input: input, logits: logits, tokens: blocks)
                    }
                }
            }
            for slice in 0...c.depth {
                let range = slice * sliceCount..<(slice + 1) * sliceCount
                let comparison = Comparison(blocks[range], expectedBlocks[range])
                #expect(comparison.passes,
                        "\(fixture.name)/\(input) block output \(slice): max error \(comparison.maxError) > \(comparison.tolerance)")
            }
            let comparison = Comparison(logits[...], expectedLogits[...])
            #expect(comparison.passes, "\(fixture.name)/\(input) threads \(threads) logits: max error \(comparison.maxError) > \(comparison.tolerance)")
            if c.hasHead {  // a ranking of features means nothing
                #expect(topK(logits, 5) == topK(expectedLogits, 5), "\(fixture.name)/\(input): top-5 differs")
            }
        }
    }

    /// `runFeatures` against timm's `forward_head(forward_features(x), pre_logits=True)`; for a
    /// headless model also the same bits as `run`'s output.
    @Test(arguments: try FixtureModel.all(), [1, 2])
    func featuresMatchTimmPreLogits(_ fixture: FixtureModel, threads: Int) throws {
        let model = try TestData.model(fixture.directory.appendingPathComponent("model.safetensors"))
        let session = try Session(model: model, threads: threads)
        let c = fixture.config
        #expect(c.featureDim == c.embedDim)
        #expect(c.outputDim == (c.hasHead ? c.numClasses : c.embedDim))
        for input in fixture.inputs {
            let x = try TestData.floats(fixture.directory.appendingPathComponent("\(input).in.f32"))
            let expected = try TestData.floats(fixture.directory.appendingPathComponent("\(input).features.f32"))
            #expect(expected.count == c.embedDim)
            var features = [Float](repeating: .nan, count: c.featureDim)
            var output = [Float](repeating: .nan, count: c.outputDim)
            try x.withUnsafeBufferPointer { input throws(DeiTError) in
                try features.withUnsafeMutableBufferPointer { features throws(DeiTError) in
                    try session.runFeatures(input: input, features: features)
                }
                try output.withUnsafeMutableBufferPointer { output throws(DeiTError) in
                    try session.run(input: input, logits: output)
                }
            }
            let comparison = Comparison(features[...], expected[...])
            #expect(comparison.passes, "\(fixture.name)/\(input) threads \(threads) features: max error \(comparison.maxError) > \(comparison.tolerance)")
            if !c.hasHead {
                #expect(output.elementsEqual(features) { $0.bitPattern == $1.bitPattern },
                        "\(fixture.name)/\(input): a headless run's output is not its features")
            }
        }
    }

    /// `runTokens` against timm's `forward_features` (every token after the final norm), for the
    /// fixtures that carry it; and the plain run after it still gives the same logits bit for bit
    /// (the tokens run computes the last block on every row, the plain run on the prefix only).
    @Test(arguments: try FixtureModel.all(), [1, 2])
    func tokensMatchTimmForwardFeatures(_ fixture: FixtureModel, threads: Int) throws {
        let c = fixture.config
        let files = fixture.inputs.map { fixture.directory.appendingPathComponent("\($0).tokens.f32") }
        guard files.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) else { return }
        let model = try TestData.model(fixture.directory.appendingPathComponent("model.safetensors"))
        let session = try Session(model: model, threads: threads)
        for (input, file) in zip(fixture.inputs, files) {
            let x = try TestData.floats(fixture.directory.appendingPathComponent("\(input).in.f32"))
            let expected = try TestData.floats(file)
            #expect(expected.count == c.numTokens * c.embedDim)
            var tokens = [Float](repeating: .nan, count: c.numTokens * c.embedDim)
            var before = [Float](repeating: .nan, count: c.outputDim), after = before
            try x.withUnsafeBufferPointer { input throws(DeiTError) in
                try before.withUnsafeMutableBufferPointer { out throws(DeiTError) in try session.run(input: input, logits: out) }
                try tokens.withUnsafeMutableBufferPointer { out throws(DeiTError) in try session.runTokens(input: input, tokens: out) }
                try after.withUnsafeMutableBufferPointer { out throws(DeiTError) in try session.run(input: input, logits: out) }
            }
            let comparison = Comparison(tokens[...], expected[...])
            #expect(comparison.passes, "\(fixture.name)/\(input) threads \(threads) tokens: max error \(comparison.maxError) > \(comparison.tolerance)")
            #expect(before.elementsEqual(after) { $0.bitPattern == $1.bitPattern }, "\(fixture.name)/\(input)")
        }
        // A wrong count is refused.
        var short = [Float](repeating: 0, count: c.numTokens * c.embedDim - 1)
        let x = [Float](repeating: 0, count: c.inputCount)
        #expect(throws: DeiTError.self) {
            try x.withUnsafeBufferPointer { input throws(DeiTError) in
                try short.withUnsafeMutableBufferPointer { out throws(DeiTError) in try session.runTokens(input: input, tokens: out) }
            }
        }
    }

    /// The checks above capture every block's output, which makes the last block compute all T rows;
    /// a plain run computes only the prefix rows there. Same logits bit for bit (our kernels are row
    /// by row), so the plain run is what the timm comparison checked.
    @Test(arguments: try FixtureModel.all(), [1, 2])
    func plainRunGivesTheCapturedRunsLogitsBitForBit(_ fixture: FixtureModel, threads: Int) throws {
        let model = try TestData.model(fixture.directory.appendingPathComponent("model.safetensors"))
        let session = try Session(model: model, threads: threads)
        let c = fixture.config
        for input in fixture.inputs {
            let x = try TestData.floats(fixture.directory.appendingPathComponent("\(input).in.f32"))
            var plain = [Float](repeating: .nan, count: c.outputDim)
            var captured = [Float](repeating: .nan, count: c.outputDim)
            var blocks = [Float](repeating: .nan, count: (c.depth + 1) * c.numTokens * c.embedDim)
            try x.withUnsafeBufferPointer { input throws(DeiTError) in
                try plain.withUnsafeMutableBufferPointer { logits throws(DeiTError) in
                    try session.run(input: input, logits: logits)
                }
                try captured.withUnsafeMutableBufferPointer { logits throws(DeiTError) in
                    try blocks.withUnsafeMutableBufferPointer { blocks throws(DeiTError) in
                        try session.runCapturingTokens(input: input, logits: logits, tokens: blocks)
                    }
                }
            }
            #expect(plain.allSatisfy { $0.isFinite }, "\(fixture.name)/\(input)")
            #if DEIT_OPENBLAS
            // OpenBLAS picks its blocking by the row count, so fewer rows may round differently.
            let comparison = Comparison(plain[...], captured[...])
            #expect(comparison.passes, "\(fixture.name)/\(input): max error \(comparison.maxError) > \(comparison.tolerance)")
            #else
            #expect(plain.elementsEqual(captured) { $0.bitPattern == $1.bitPattern },
                    "\(fixture.name)/\(input) threads \(threads): max difference \(zip(plain, captured).map { abs($0 - $1) }.max() ?? 0)")
            #endif
        }
    }

    @Test func everyFixtureDtypeIsCovered() throws {
        #expect(Set(try FixtureModel.all().map(\.dtype)).isSuperset(of: ["F32", "F16", "BF16"]))
        #expect(try FixtureModel.all().contains { $0.config.distilled })
        #expect(try FixtureModel.all().contains { $0.config.imageSize == 384 })
        // The timm ViT-family options that run: each against timm in at least one fixture.
        let configs = try FixtureModel.all().map(\.config)
        #expect(configs.contains { $0.layerScale })
        #expect(configs.contains { !$0.qkvBias })
        #expect(configs.contains { $0.globalPool == .average && $0.fcNorm })
        #expect(configs.contains { $0.globalPool == .average && !$0.fcNorm })
        #expect(configs.contains { $0.noEmbedClass })
        #expect(configs.contains { !$0.hasHead })
        #expect(configs.contains { !$0.classToken && $0.regTokens > 0 && $0.noEmbedClass })
        #expect(configs.contains { $0.classToken && $0.regTokens > 0 && !$0.noEmbedClass })
        #expect(configs.contains { $0.globalPool == .max && !$0.fcNorm })
        #expect(configs.contains { $0.globalPool == .averageMax && $0.fcNorm && !$0.classToken })
        #expect(configs.contains { $0.qkNorm })
        #expect(configs.contains { $0.preNorm && $0.activation == .quickGELU && $0.layerNormEpsilon == 1e-5 })
        // CaiT: talking heads + class attention, with and without qkv bias, with average pooling.
        #expect(configs.contains { $0.cait != nil && $0.qkvBias && ($0.cait?.classAttentionDepth ?? 0) >= 2 })
        #expect(configs.contains { $0.cait != nil && !$0.qkvBias })
        #expect(configs.contains { $0.cait != nil && $0.globalPool == .average })
    }

    @Test(.enabled(if: TestData.shared != nil, Comment(rawValue: TestData.sharedMissing)))
    func realDeiTTinyMatchesTimmOnPhotos() throws {
        let shared = try #require(TestData.shared)
        let model = try TestData.model(shared.appendingPathComponent("models/deit-tiny-in1k.safetensors"))
        #expect(model.parameterCount == 5_717_416)
        let session = try Session(model: model)
        let references = shared.appendingPathComponent("data/reference")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: references.path)
            .filter { $0.hasSuffix(".in.f32") }.sorted()
        #expect(inputs.count >= 16)
        for name in inputs {
            let stem = String(name.dropLast(".in.f32".count))
            let x = try TestData.floats(references.appendingPathComponent(name))
            let expected = try TestData.floats(references.appendingPathComponent("\(stem).logits.f32"))
            var logits = [Float](repeating: .nan, count: 1000)
            try x.withUnsafeBufferPointer { input throws(DeiTError) in
                try logits.withUnsafeMutableBufferPointer { logits throws(DeiTError) in
                    try session.run(input: input, logits: logits)
                }
            }
            let comparison = Comparison(logits[...], expected[...])
            #expect(comparison.passes, "\(stem): max error \(comparison.maxError) > \(comparison.tolerance)")
            #expect(topK(logits, 5) == topK(expected, 5), "\(stem): top-5 differs")
        }
    }
}
