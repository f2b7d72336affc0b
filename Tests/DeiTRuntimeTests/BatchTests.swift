import DeiTKernelTable
import DeiTRuntime
import Foundation
import Testing

/// `Session.runBatch`: each image's logits are the bits a single `run` gives it, at 1 and 2 threads,
/// for every committed fixture (CaiT refuses batches by name) and for the real DeiT-Ti when ../shared
/// exists; a max-batch-1 session plans today's arena exactly.
@Suite struct BatchTests {
    /// `count` different inputs for `config`: the fixture's committed inputs first, then deterministic
    /// variations of them (scaled and shifted, so every image differs).
    static func inputs(_ base: [[Float]], count: Int) -> [[Float]] {
        (0..<count).map { index in
            let source = base[index % base.count]
            if index < base.count { return source }
            let scale = 1 + Float(index) * 0.05, shift = Float(index) * 0.01
            return source.map { $0 * scale - shift }
        }
    }

    /// Every image of `inputs` alone (max batch 1), then batches of every size 1...inputs.count (each
    /// starting at image 0) in one max-batch session; the batch's logits must equal the singles' bits.
    /// With `kernelSet`, both sessions are forced to that set.
    static func checkBitIdentity(_ model: Model, _ inputs: [[Float]], threads: Int, _ name: String,
                                 kernelSet: KernelSet? = nil) throws {
        let config = model.config
        let single = try Session(model: model, threads: threads, kernelSet: kernelSet)
        let singles = try inputs.map { try ThreadingTests.logits(single, $0) }
        #expect(singles.count < 2 || !singles[0].elementsEqual(singles[1]), "\(name): the test images give different logits")
        let batched = try Session(model: model, threads: threads, maxBatch: inputs.count, kernelSet: kernelSet)
        #expect(batched.maxBatch == inputs.count)
        if let kernelSet { #expect(single.kernels.set == kernelSet && batched.kernels.set == kernelSet, "\(name)") }
        let flat = inputs.flatMap { $0 }
        for count in 1...inputs.count {
            var logits = [Float](repeating: .nan, count: count * config.outputDim)
            try flat.withUnsafeBufferPointer { all throws(DeiTError) in
                let first = UnsafeBufferPointer(rebasing: all[0..<count * config.inputCount])
                try logits.withUnsafeMutableBufferPointer { out throws(DeiTError) in
                    try batched.runBatch(count: count, inputs: first, logits: out)
                }
            }
            let expected = singles[0..<count].flatMap { $0 }
            #expect(logits.elementsEqual(expected) { $0.bitPattern == $1.bitPattern },
                    "\(name): \(threads) thread(s), batch of \(count) differs from the single runs")
        }
    }

    @Test func fixtureBatchesAreBitIdenticalToSingleRuns() throws {
        let fixtures = try FixtureModel.all()
        #expect(fixtures.count >= 10)
        var checked = 0
        for fixture in fixtures {
            let model = try TestData.model(fixture.directory.appendingPathComponent("model.safetensors"))
            if model.config.cait != nil {
                // CaiT: refused by name, and a max-batch-1 session still works.
                #expect {
                    _ = try Session(model: model, threads: 1, maxBatch: 2)
                } throws: { error in
                    (error as? DeiTError)?.status == .unsupported && (error as? DeiTError)?.message.contains("CaiT") == true
                }
                _ = try Session(model: model, threads: 1, maxBatch: 1)
                continue
            }
            let base = try fixture.inputs.map {
                try TestData.floats(fixture.directory.appendingPathComponent("\($0).in.f32"))
            }
            let inputs = BatchTests.inputs(base, count: 3)
            for threads in [1, 2] { try BatchTests.checkBitIdentity(model, inputs, threads: threads, fixture.name) }
            checked += 1
        }
        #expect(checked >= 10, "only \(checked) fixtures ran batches")
    }

    @Test func int8BatchesAreBitIdenticalToSingleRuns() throws {
        let fixture = try #require(try FixtureModel.all().first { $0.name == "deit_tiny_d2" })
        let model = try Int8PrecisionTests.model(fixture.directory.appendingPathComponent("model.safetensors"), .int8)
        let base = try fixture.inputs.map { try TestData.floats(fixture.directory.appendingPathComponent("\($0).in.f32")) }
        for threads in [1, 2] {
            try BatchTests.checkBitIdentity(model, BatchTests.inputs(base, count: 3), threads: threads, "deit_tiny_d2 int8")
        }
    }

    /// The batch paths (stacked rows in GEMM row blocks, every image's attention in one step) run
    /// through the session's kernel table: under every set this CPU runs, f32 and int8, a batch gives
    /// that set's single-run bits.
    @Test(arguments: KernelChoice.runnable)
    func batchesAreBitIdenticalToSingleRunsWithEveryKernelSet(set: KernelSet) throws {
        let fixture = try #require(try FixtureModel.all().first { $0.name == "deit_tiny_d2" })
        let url = fixture.directory.appendingPathComponent("model.safetensors")
        let base = try fixture.inputs.map { try TestData.floats(fixture.directory.appendingPathComponent("\($0).in.f32")) }
        for precision in [Precision.f32, .int8] {
            let model = try Int8PrecisionTests.model(url, precision)
            try BatchTests.checkBitIdentity(model, BatchTests.inputs(base, count: 3), threads: 2,
                                            "deit_tiny_d2 \(precision.name) \(set.name)", kernelSet: set)
        }
    }

    @Test(.enabled(if: TestData.shared != nil, Comment(rawValue: TestData.sharedMissing)))
    func realDeiTTinyBatchesAreBitIdenticalToSingleRuns() throws {
        let shared = try #require(TestData.shared)
        let model = try TestData.model(shared.appendingPathComponent("models/deit-tiny-in1k.safetensors"))
        let references = try FileManager.default.contentsOfDirectory(atPath: shared.appendingPathComponent("data/reference").path)
            .filter { $0.hasSuffix(".in.f32") }.sorted().prefix(4)
        #expect(references.count == 4)
        let inputs = try references.map { try TestData.floats(shared.appendingPathComponent("data/reference/\($0)")) }
        // 4 images: T·4 = 788 rows, more than three GEMM row blocks of 240, so rows cross block edges.
        for threads in [1, 2] { try BatchTests.checkBitIdentity(model, inputs, threads: threads, "deit-tiny") }
    }

    @Test func maxBatchOnePlansTheSingleImageArena() throws {
        let config = ArenaSizeTests.deitTiny
        #expect(try Session.arenaBytes(for: config, threads: 1, maxBatch: 1) == ArenaSizeTests.pinnedDeiTTinyArenaBytes)
        let four = try Session.arenaBytes(for: config, threads: 1, maxBatch: 4)
        // The row-wise buffers grow with the batch: at least three more images' residual stream,
        // qkv and MLP hidden units (the peak holds at least those).
        let t = config.numTokens, d = config.embedDim, h = config.mlpHiddenDim
        #expect(four >= ArenaSizeTests.pinnedDeiTTinyArenaBytes + 3 * 4 * (t * d + t * h))
        #expect(four < 4 * ArenaSizeTests.pinnedDeiTTinyArenaBytes + 4 * 224 * 224 * 3 * 4)
    }

    @Test func batchCountsAreChecked() throws {
        let fixture = try #require(try FixtureModel.all().first { $0.name == "deit_tiny_d2" })
        let model = try TestData.model(fixture.directory.appendingPathComponent("model.safetensors"))
        let session = try Session(model: model, threads: 1, maxBatch: 2)
        let config = model.config
        let inputs = [Float](repeating: 0.5, count: 3 * config.inputCount)
        var logits = [Float](repeating: 0, count: 3 * config.outputDim)
        func run(_ count: Int, inputFloats: Int, logitFloats: Int) -> DeiTError? {
            do throws(DeiTError) {
                try inputs.withUnsafeBufferPointer { all throws(DeiTError) in
                    try logits.withUnsafeMutableBufferPointer { out throws(DeiTError) in
                        try session.runBatch(count: count, inputs: UnsafeBufferPointer(rebasing: all[0..<inputFloats]),
                                             logits: UnsafeMutableBufferPointer(rebasing: out[0..<logitFloats]))
                    }
                }
                return nil
            } catch { return error }
        }
        let n = config.inputCount, c = config.outputDim
        #expect(run(2, inputFloats: 2 * n, logitFloats: 2 * c) == nil)
        #expect(run(0, inputFloats: 0, logitFloats: 0)?.status == .invalidArgument)
        #expect(run(3, inputFloats: 3 * n, logitFloats: 3 * c)?.status == .invalidArgument)
        #expect(run(2, inputFloats: n, logitFloats: 2 * c)?.status == .invalidArgument)
        #expect(run(2, inputFloats: 2 * n, logitFloats: 2 * c - 1)?.status == .invalidArgument)
        #expect(throws: DeiTError.self) { _ = try Session(model: model, threads: 1, maxBatch: 0) }
        #expect(throws: DeiTError.self) { _ = try Session(model: model, threads: 1, maxBatch: Session.maxBatchLimit + 1) }
    }
}
