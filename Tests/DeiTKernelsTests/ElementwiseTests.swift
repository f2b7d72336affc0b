import Foundation
import DeiTKernels
import Testing
import DeiTTestSupport

@Suite("Elementwise")
struct ElementwiseTests {
    @Test("add matches a scalar loop", arguments: [0, 1, 15, 16, 17, 192, 197])
    func add(count: Int) {
        var random = SeededGenerator(seed: UInt64(count))
        let x = random.floats(count), y = random.floats(count)
        var got = y
        Elementwise.add(x, into: &got, count: count)
        #expect(got == zip(x, y).map { $1 + $0 })
    }

    @Test("applyGELU equals the scalar GELU on both the vector body and the tail")
    func gelu() {
        var random = SeededGenerator(seed: 4)
        let x = random.floats(37, in: -6...6)
        var got = x
        Elementwise.applyGELU(&got, count: x.count)
        #expect(got == x.map(VectorMath.gelu))
    }
}

@Suite("QuickGELU")
struct QuickGELUTests {
    /// Oracle: x·sigmoid(1.702x) in Double with the platform's exp, from the Float product 1.702·x —
    /// what PyTorch's float32 `x * torch.sigmoid(1.702 * x)` rounds first too (for large |x| that
    /// rounding alone moves exp by many ulp, in both).
    static func reference(_ x: Float) -> Float {
        let product = Double(Float(1.702) * x)
        return Float(Double(x) / (1 + Foundation.exp(-product)))
    }

    @Test("scalar QuickGELU is within a few ulp of x·sigmoid(1.702x) in Double")
    func scalarAgainstOracle() {
        var random = SeededGenerator(seed: 17)
        let xs = random.floats(4000, in: -20...20) + [0, -0.0, 1, -1, 60, -60, 200, -200]
        for x in xs {
            let want = QuickGELUTests.reference(x), got = VectorMath.quickGELU(x)
            #expect(abs(got - want) <= 8 * want.magnitude.ulp + 1e-37,
                    "x = \(x): got \(got), want \(want)")
        }
    }

    @Test("saturates without NaN: large negative → −0 side, large positive → x; NaN propagates")
    func edges() {
        #expect(VectorMath.quickGELU(-1000) == 0)
        #expect(VectorMath.quickGELU(1000) == 1000)
        #expect(VectorMath.quickGELU(Float.nan).isNaN)
        #expect(VectorMath.quickGELU(Float.infinity) == .infinity)
    }

    @Test("applyQuickGELU equals the scalar version on the vector body and the tail", arguments: [0, 5, 16, 37])
    func inPlace(count: Int) {
        var random = SeededGenerator(seed: UInt64(40 + count))
        let x = random.floats(count, in: -8...8)
        var got = x
        Elementwise.applyQuickGELU(&got, count: x.count)
        #expect(got == x.map(VectorMath.quickGELU))
    }
}
