import DeiTRuntime
import Foundation
import Testing

/// The worker pool and the profiled run: same thread count → the same bits on every run; every thread
/// count → the same bits too (each output element is computed by the same instructions whatever the
/// split); runProfiled gives `run`'s logits and a profile that adds up.
@Suite struct ThreadingTests {
    static func logits(_ session: Session, _ input: [Float]) throws -> [Float] {
        var logits = [Float](repeating: .nan, count: session.model.config.outputDim)
        try input.withUnsafeBufferPointer { input throws(DeiTError) in
            try logits.withUnsafeMutableBufferPointer { logits throws(DeiTError) in
                try session.run(input: input, logits: logits)
            }
        }
        return logits
    }

    static func fixture() throws -> (Model, [Float]) {
        let fixture = try #require(try FixtureModel.all().first { $0.config.distilled })
        let model = try TestData.model(fixture.directory.appendingPathComponent("model.safetensors"))
        let input = try TestData.floats(fixture.directory.appendingPathComponent("\(fixture.inputs[0]).in.f32"))
        return (model, input)
    }

    @Test func logitsAreBitIdenticalAcrossRunsAndThreadCounts() throws {
        let (model, input) = try ThreadingTests.fixture()
        let reference = try ThreadingTests.logits(try Session(model: model, threads: 1), input)
        for threads in [1, 2, 3, 4, 7] {
            let session = try Session(model: model, threads: threads)
            #expect(session.threadCount == threads)
            for _ in 0..<3 {
                let logits = try ThreadingTests.logits(session, input)
                #expect(logits.elementsEqual(reference) { $0.bitPattern == $1.bitPattern }, "threads \(threads)")
            }
        }
    }

    @Test func sessionsOnSeveralThreadsAtOnceAgree() throws {
        let (model, input) = try ThreadingTests.fixture()
        let reference = try ThreadingTests.logits(try Session(model: model, threads: 1), input)
        // Each session is used by one thread only, as documented; the test shares them read-only.
        nonisolated(unsafe) let sessions = try (0..<3).map { _ in try Session(model: model, threads: 2) }
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: sessions.count)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: sessions.count) { index in
            var same = true
            for _ in 0..<4 {
                let logits = (try? ThreadingTests.logits(sessions[index], input)) ?? []
                same = same && logits.elementsEqual(reference) { $0.bitPattern == $1.bitPattern }
            }
            results[index] = same
        }
        #expect(results.allSatisfy { $0 })
    }

    @Test(arguments: [1, 2])
    func profiledRunGivesTheSameLogitsAndAProfileThatAddsUp(threads: Int) throws {
        let (model, input) = try ThreadingTests.fixture()
        let session = try Session(model: model, threads: threads)
        let reference = try ThreadingTests.logits(session, input)
        var profile = ForwardProfile()
        var logits = [Float](repeating: .nan, count: model.config.outputDim)
        for _ in 0..<3 {
            try input.withUnsafeBufferPointer { input throws(DeiTError) in
                try logits.withUnsafeMutableBufferPointer { logits throws(DeiTError) in
                    try session.runProfiled(input: input, logits: logits, profile: &profile)
                }
            }
            #expect(logits.elementsEqual(reference) { $0.bitPattern == $1.bitPattern })
        }
        #expect(profile.runs == 3)
        let sum = ForwardProfile.OpClass.allCases.reduce(UInt64(0)) { $0 + profile[$1] }
        #expect(sum <= profile.totalNanoseconds)
        #expect(Double(sum) >= 0.95 * Double(profile.totalNanoseconds), "op classes \(sum) ns of \(profile.totalNanoseconds) ns")
        for opClass in [ForwardProfile.OpClass.patchEmbed, .qkv, .attention, .proj, .mlp, .layerNorm, .gelu] {
            #expect(profile[opClass] > 0, "\(opClass.name) was not timed")
        }
        profile.reset()
        #expect(profile.runs == 0 && profile.totalNanoseconds == 0)
    }

    @Test func invalidThreadCountsAreRejected() throws {
        let (model, _) = try ThreadingTests.fixture()
        for threads in [0, -1, Session.maxThreads + 1] {
            #expect(throws: DeiTError.self) { try Session(model: model, threads: threads) }
        }
    }
}
