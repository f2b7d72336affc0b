import DeiTKernels
import Testing

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

    @Test("addRows and copyRows respect both strides")
    func rows() {
        let (rows, width, ldx, ldy) = (4, 19, 23, 21)
        var random = SeededGenerator(seed: 3)
        let x = random.floats(rows * ldx)
        let y = random.floats(rows * ldy)
        var added = y, copied = y
        Elementwise.addRows(rows: rows, width: width, x, ldx: ldx, into: &added, ldy: ldy)
        Elementwise.copyRows(rows: rows, width: width, from: x, ldx: ldx, to: &copied, ldy: ldy)
        for r in 0..<rows {
            for i in 0..<ldy {
                let inside = i < width
                #expect(added[r * ldy + i] == (inside ? y[r * ldy + i] + x[r * ldx + i] : y[r * ldy + i]))
                #expect(copied[r * ldy + i] == (inside ? x[r * ldx + i] : y[r * ldy + i]))
            }
        }
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
