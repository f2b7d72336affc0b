@testable import DeiTKernels
import Foundation
import Testing
import DeiTTestSupport

/// The vector paths of the softmax: the overlapping last vector of rows ≥ 16, the −∞-padded vector of
/// shorter rows, −∞ and huge entries anywhere in a row, and the exp kernel behind them.
@Suite("SoftmaxKernel edges")
struct SoftmaxEdgeTests {
    /// Softmax in a row that ends at a guard page: reading or writing past `count` would crash.
    private static func guardedSoftmax(_ row: [Float]) -> [Float] {
        let buffer = GuardedBuffer(row)
        SoftmaxKernel.normalizeRow(buffer.pointer, count: row.count)
        return buffer.values
    }

    @Test("every length 1…48, 197 and 577 matches the double reference, inside the row")
    func everyLength() {
        for count in Array(1...48) + [197, 577] {
            var random = SeededGenerator(seed: UInt64(1000 + count))
            let row = random.floats(count, in: -12...12)
            let got = Self.guardedSoftmax(row)
            let expected = Reference.softmax(row.map(Double.init))
            var tracker = ToleranceTracker()
            for i in 0..<count { tracker.check(got[i], expected[i], tolerance: 1e-6 * expected[i] + 1e-9) }
            #expect(tracker.failures == 0, "count \(count): worst error/tolerance \(tracker.worstRatio)")
        }
    }

    @Test("−∞ in the body, the overlapping tail and short rows gives exactly 0", arguments: [5, 16, 17, 40, 197])
    func negativeInfinity(count: Int) {
        var random = SeededGenerator(seed: UInt64(count))
        var row = random.floats(count, in: -4...4)
        let holes = Set([0, count / 2, count - 1].filter { $0 != 1 })  // keep index 1 finite
        for hole in holes { row[hole] = -.infinity }
        let got = Self.guardedSoftmax(row)
        let expected = Reference.softmax(row.map(Double.init))
        for i in 0..<count {
            if holes.contains(i) {
                #expect(got[i] == 0, "count \(count), index \(i)")
            } else {
                #expect(abs(Double(got[i]) - expected[i]) <= 1e-6 * expected[i] + 1e-9, "count \(count), index \(i)")
            }
        }
    }

    @Test("huge values in the tail: the maximum takes the mass, nothing overflows", arguments: [7, 197])
    func hugeInTail(count: Int) {
        var row = [Float](repeating: -3e38, count: count)
        row[count - 2] = .greatestFiniteMagnitude
        row[count - 1] = 3e38
        let got = Self.guardedSoftmax(row)
        #expect(got[count - 2] == 1)
        #expect(got.enumerated().allSatisfy { $0.offset == count - 2 || $0.element == 0 })
    }

    @Test("NaN anywhere, +∞, or only −∞ make the whole row NaN, as in PyTorch", arguments: [3, 197])
    func notANumber(count: Int) {
        var withNaN = [Float](repeating: 1, count: count)
        withNaN[count - 1] = .nan
        #expect(Self.guardedSoftmax(withNaN).allSatisfy { $0.isNaN })
        var withInfinity = [Float](repeating: 1, count: count)
        withInfinity[0] = .infinity
        #expect(Self.guardedSoftmax(withInfinity).allSatisfy { $0.isNaN })
        #expect(Self.guardedSoftmax([Float](repeating: -.infinity, count: count)).allSatisfy { $0.isNaN })
    }

    @Test("exponentiateRow leaves exp(x − max) and returns their sum", arguments: [9, 197])
    func unnormalised(count: Int) {
        var random = SeededGenerator(seed: 77)
        let row = random.floats(count, in: -20...20)
        let buffer = GuardedBuffer(row)
        let sum = SoftmaxKernel.exponentiateRow(buffer.pointer, count: count)
        let maximum = row.max()!
        var expectedSum = 0.0
        for i in 0..<count {
            // exp of the Float difference: x − max itself is rounded in fp32 (as in PyTorch).
            let expected = Foundation.exp(Double(row[i] - maximum))
            expectedSum += expected
            #expect(abs(Double(buffer[i]) - expected) <= 5e-7 * expected + 1e-30, "index \(i)")
        }
        #expect(abs(Double(sum) - expectedSum) <= 1e-6 * expectedSum)
    }

    @Test("exp of x ≤ 0: within 3 ulp of e^x on [−20, 0] and 5 ulp on [−87.3, −20], 0 below ln(2⁻¹²⁶) and for −∞, NaN stays NaN")
    func exponentialAccuracy() {
        // One rounded ln2 in the reduction: its error grows with n = x·log₂e, so the far tail (terms
        // below e⁻²⁰ ≈ 2·10⁻⁹ of the row's maximum) is allowed 2 ulp more.
        var worstNear = 0.0, worstFar = 0.0
        var x: Float = -87.33
        while x < 0 {
            var lanes = SIMD16<Float>()
            for lane in 0..<16 { lanes[lane] = min(0, x + Float(lane) * 3.7e-4) }
            let got = SoftmaxKernel.exponentialOfNonPositive(lanes)
            for lane in 0..<16 {
                let expected = Foundation.exp(Double(lanes[lane]))
                let ulps = abs(Double(got[lane]) - expected) / Double(Float(expected).ulp)
                if lanes[lane] >= -20 { worstNear = max(worstNear, ulps) } else { worstFar = max(worstFar, ulps) }
            }
            x += 16 * 3.7e-4
        }
        print("exponentialOfNonPositive: worst error \(worstNear) ulp on [-20, 0], \(worstFar) ulp below")
        #expect(worstNear <= 3)
        #expect(worstFar <= 5)

        let special = SIMD16<Float>(
            0, -.infinity, .nan, -87.4, -88, -103, -1e30, -.greatestFiniteMagnitude, -0.0, -1e-30, 0, 0, 0, 0, 0, 0)
        let got = SoftmaxKernel.exponentialOfNonPositive(special)
        #expect(got[0] == 1 && got[8] == 1 && got[9] == 1)
        #expect(got[1] == 0 && got[3] == 0 && got[4] == 0 && got[5] == 0 && got[6] == 0 && got[7] == 0)
        #expect(got[2].isNaN)
    }
}
