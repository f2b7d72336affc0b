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
