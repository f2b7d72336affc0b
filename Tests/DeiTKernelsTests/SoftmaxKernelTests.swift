import DeiTKernels
import Testing
import DeiTTestSupport

@Suite("SoftmaxKernel")
struct SoftmaxKernelTests {
    private static func softmax(_ row: [Float]) -> [Float] {
        var row = row
        SoftmaxKernel.normalizeRow(&row, count: row.count)
        return row
    }

    @Test("matches the reference and sums to 1", arguments: [1, 2, 7, 13, 16, 17, 50, 197, 198, 577])
    func matchesReference(count: Int) {
        var random = SeededGenerator(seed: UInt64(count))
        let row = random.floats(count, in: -8...8)
        let got = Self.softmax(row)
        let expected = Reference.softmax(row.map(Double.init))
        var tracker = ToleranceTracker()
        for i in 0..<count {
            tracker.check(got[i], expected[i], tolerance: 1e-6 * expected[i] + 1e-9)
        }
        #expect(tracker.failures == 0, "count \(count): worst error/tolerance \(tracker.worstRatio)")
        #expect(abs(got.reduce(0.0) { $0 + Double($1) } - 1) <= 1e-6)
    }

    @Test("adding a constant to the row changes nothing")
    func shiftInvariant() {
        var random = SeededGenerator(seed: 9)
        // Multiples of 2⁻¹⁰ in [-8, 8]: adding 64 is exact, so the results must be bit-identical.
        let row = (0..<197).map { _ in Float(Int.random(in: -8192...8192, using: &random)) / 1024 }
        #expect(Self.softmax(row) == Self.softmax(row.map { $0 + 64 }))
        #expect(Self.softmax(row) == Self.softmax(row.map { $0 - 1024 }))
    }

    @Test("huge and infinite inputs do not overflow")
    func hugeInputs() {
        let huge: [Float] = [3e38, -3e38, 1e30, 2.9e38, .greatestFiniteMagnitude, 0, -.infinity]
            + [Float](repeating: 1e38, count: 20)
        let got = Self.softmax(huge)
        #expect(got.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        #expect(abs(got.reduce(0, +) - 1) <= 1e-6)
        #expect(got[4] == 1)  // the maximum takes all the mass
        #expect(got[6] == 0)

        let tied = Self.softmax([Float](repeating: 1e38, count: 40))
        #expect(tied.allSatisfy { abs($0 - 1 / 40) <= 1e-7 })
    }
}
