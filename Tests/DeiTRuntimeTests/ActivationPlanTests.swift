// The activation plan's table (ActivationSlot → size, lifetime; offsets per slot): slots live at a
// common step never share bytes, and the table asks the planner what the positional list did before
// it (same order, same steps), so the arena layout and its pin did not move.
@testable import DeiTRuntime
import Testing

@Suite struct ActivationPlanTests {
    static let configs = [
        ModelConfig(imageSize: 224, patchSize: 16, embedDim: 192, depth: 12, numHeads: 3,
                    mlpHiddenDim: 768, numClasses: 1000, distilled: false),
        ModelConfig(imageSize: 384, patchSize: 16, embedDim: 384, depth: 12, numHeads: 6,
                    mlpHiddenDim: 1536, numClasses: 1000, distilled: true),
        ModelConfig(imageSize: 32, patchSize: 8, embedDim: 16, depth: 2, numHeads: 2,
                    mlpHiddenDim: 64, numClasses: 10, distilled: true),
    ]

    @Test func slotsLiveTogetherNeverShareBytes() throws {
        for config in ActivationPlanTests.configs {
            for (threads, precision) in [(1, Precision.f32), (2, .f32), (5, .f32), (1, .int8), (2, .int8)] {
                let plan = try ActivationPlan(config: config, threads: threads, precision: precision)
                for a in ActivationSlot.allCases {
                    let aStart = plan.offset(of: a)
                    let aEnd = aStart + (try a.bytes(config: config, threads: threads, precision: precision))
                    #expect(aStart % ActivationPlan.alignment == 0)
                    #expect(aEnd <= plan.plannedBytes)
                    for b in ActivationSlot.allCases where b.rawValue > a.rawValue {
                        let (af, al) = a.lifetime, (bf, bl) = b.lifetime
                        guard af <= bl && bf <= al else { continue }
                        let bStart = plan.offset(of: b), bEnd = bStart + (try b.bytes(config: config, threads: threads, precision: precision))
                        #expect(aEnd <= bStart || bEnd <= aStart, "\(a) and \(b) overlap")
                    }
                }
            }
        }
    }

    /// The steps and request order of the plan before it became a table (`at[0]…at[14]`, steps
    /// −1…10): the planner breaks ties by request index, so these fix the layout. The int8 slots
    /// (quantized rows and their scales, empty at f32; live from the first qkv to the heads, which are
    /// int8 too) come after them, then CaiT's talking-heads
    /// scratch (empty for a ViT), then fc2's int8 input as fc1 quantises it (live from fc1 to fc2) and
    /// fc1's per-worker strips, so the f32 ViT layout is unchanged.
    @Test func tableMatchesThePositionalPlan() {
        let lifetimes = ActivationSlot.allCases.map { [$0.lifetime.first.rawValue, $0.lifetime.last.rawValue] }
        #expect(lifetimes == [[0, 1], [1, 10], [2, 3], [3, 4], [4, 4], [4, 4], [4, 4], [4, 5], [6, 7], [7, 8],
                              [9, 10], [10, 10], [-1, 0], [10, 10], [-1, -1], [3, 10], [3, 10], [4, 4], [7, 8], [7, 8], [7, 7]])
        #expect(ActivationSlot.allCases.map(\.rawValue) == Array(0..<21))
    }

    @Test func topKCountIsCheckedOnce() throws {
        #expect(try TopKCount(5, classes: 10).value == 5)
        for k in [0, -1, 11, Int.min, Int.max] {
            do throws(DeiTError) {
                _ = try TopKCount(k, classes: 10)
                Issue.record("k = \(k) accepted")
            } catch {
                #expect(error.status == .invalidArgument)
                #expect(error.message == "k is \(k); it must be between 1 and the number of classes, 10")
            }
        }
    }
}
