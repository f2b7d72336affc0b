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
        // Three 4096-byte buffers placed first (largest first; ties by index) at 0, 4096 and 8192. The
        // middle one dies after step 1, so at steps 3–4 the 4096 bytes between the two live ones are a
        // gap: a 2048-byte buffer goes there (offset 4096, below the live buffer at 8192), not on top.
        let requests = [BufferRequest(bytes: 4096, firstUse: 0, lastUse: 5),
                        BufferRequest(bytes: 4096, firstUse: 0, lastUse: 1),
                        BufferRequest(bytes: 4096, firstUse: 0, lastUse: 5),
                        BufferRequest(bytes: 2048, firstUse: 3, lastUse: 4)]
        let plan = try MemoryPlan(requests)
        expectDisjointWhileLive(requests, plan)
        #expect(plan.offsets == [0, 4096, 8192, 4096])
        #expect(plan.totalBytes == 3 * 4096)

        // The same at the bottom of the arena: the first buffer dies, the small one fits before the
        // live one at 4096.
        let atStart = [BufferRequest(bytes: 4096, firstUse: 0, lastUse: 1),
                       BufferRequest(bytes: 4096, firstUse: 0, lastUse: 5),
                       BufferRequest(bytes: 4096, firstUse: 3, lastUse: 4)]
        let startPlan = try MemoryPlan(atStart)
        expectDisjointWhileLive(atStart, startPlan)
        #expect(startPlan.offsets == [0, 4096, 0])
        #expect(startPlan.totalBytes == 2 * 4096)
    }

    @Test func skipsAGapTooSmall() throws {
        // 8192-byte buffers at 0, 8192 and 16384, the middle one dead after step 1. At steps 3–4 a
        // 4160-byte buffer takes the start of the gap (8192); a 4096-byte one then finds only
        // 16384 − 12352 = 4032 bytes left there and goes above everything, at 24576.
        let requests = [BufferRequest(bytes: 8192, firstUse: 0, lastUse: 5),
                        BufferRequest(bytes: 8192, firstUse: 0, lastUse: 1),
                        BufferRequest(bytes: 8192, firstUse: 0, lastUse: 5),
                        BufferRequest(bytes: 4160, firstUse: 3, lastUse: 4),
                        BufferRequest(bytes: 4096, firstUse: 3, lastUse: 4)]
        let plan = try MemoryPlan(requests)
        expectDisjointWhileLive(requests, plan)
        #expect(plan.offsets == [0, 8192, 16384, 8192, 24576])
        #expect(plan.totalBytes == 24576 + 4096)
    }

    @Test func rejectsOverflowAndNegativeSizes() {
        #expect(throws: DeiTError.self) { try MemoryPlan([BufferRequest(bytes: -1, firstUse: 0, lastUse: 0)]) }
        #expect(throws: DeiTError.self) {
            try MemoryPlan([BufferRequest(bytes: Int.max - 10, firstUse: 0, lastUse: 1),
                            BufferRequest(bytes: Int.max - 10, firstUse: 0, lastUse: 1)])
        }
    }
}
