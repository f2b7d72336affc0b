import DeiTRuntime
import DeiTTestSupport
import Testing

@Suite struct MemoryPlanTests {
    /// Any two buffers alive at the same step must not share a byte.
    func expectDisjointWhileLive(_ requests: [BufferRequest], _ plan: MemoryPlan) {
        for i in requests.indices {
            #expect(plan.offsets[i] % plan.alignment == 0)
            #expect(plan.offsets[i] + requests[i].bytes <= plan.totalBytes)
            for j in requests.indices where j > i && requests[i].overlapsInTime(requests[j]) {
                let iEnd = plan.offsets[i] + requests[i].bytes, jEnd = plan.offsets[j] + requests[j].bytes
                #expect(iEnd <= plan.offsets[j] || jEnd <= plan.offsets[i], "buffers \(i) and \(j) overlap")
            }
        }
    }

    @Test func buffersWithDisjointLifetimesShareMemory() throws {
        let requests = [BufferRequest(bytes: 1000, firstUse: 0, lastUse: 1),
                        BufferRequest(bytes: 1000, firstUse: 2, lastUse: 3)]
        let plan = try MemoryPlan(requests)
        #expect(plan.offsets == [0, 0])
        #expect(plan.totalBytes == 1024)
    }

    @Test func liveBuffersNeverOverlap() throws {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let requests = (0..<Int(generator.next() % 12 + 1)).map { _ -> BufferRequest in
                let first = Int(generator.next() % 10)
                return BufferRequest(bytes: Int(generator.next() % 5000), firstUse: first,
                                     lastUse: first + Int(generator.next() % 4))
            }
            let plan = try MemoryPlan(requests)
            expectDisjointWhileLive(requests, plan)
            // Never worse than giving every buffer its own bytes.
            let separate = requests.reduce(0) { $0 + ($1.bytes + 63) / 64 * 64 }
            #expect(plan.totalBytes <= separate)
        }
    }

    @Test func fillsAGapBetweenLiveBuffers() throws {
        // Big buffers at [0, 4096) and [4096+2048, …) leave a 2048-byte hole that a small one fits.
        let requests = [BufferRequest(bytes: 4096, firstUse: 0, lastUse: 5),
                        BufferRequest(bytes: 2048, firstUse: 0, lastUse: 1),
                        BufferRequest(bytes: 4096, firstUse: 0, lastUse: 5),
                        BufferRequest(bytes: 1024, firstUse: 3, lastUse: 4)]
        let plan = try MemoryPlan(requests)
        expectDisjointWhileLive(requests, plan)
        #expect(plan.totalBytes == 4096 + 4096 + 2048)
    }

    @Test func rejectsOverflowAndNegativeSizes() {
        #expect(throws: DeiTError.self) { try MemoryPlan([BufferRequest(bytes: -1, firstUse: 0, lastUse: 0)]) }
        #expect(throws: DeiTError.self) {
            try MemoryPlan([BufferRequest(bytes: Int.max - 10, firstUse: 0, lastUse: 1),
                            BufferRequest(bytes: Int.max - 10, firstUse: 0, lastUse: 1)])
        }
    }
}
