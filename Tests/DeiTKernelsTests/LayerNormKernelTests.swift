import DeiTKernels
import Testing
import DeiTTestSupport

struct LayerNormShape: Sendable, CustomStringConvertible {
    let rows: Int, width: Int
    var description: String { "\(rows)×\(width)" }
}

@Suite("LayerNormKernel")
struct LayerNormKernelTests {
    @Test(
        "matches the reference on ragged and model widths, with strides",
        arguments: [
            LayerNormShape(rows: 1, width: 1), LayerNormShape(rows: 3, width: 7), LayerNormShape(rows: 13, width: 13),
            LayerNormShape(rows: 2, width: 16), LayerNormShape(rows: 197, width: 192),
            LayerNormShape(rows: 5, width: 384), LayerNormShape(rows: 7, width: 768),
            LayerNormShape(rows: 4, width: 33),
        ])
    func matchesReference(shape: LayerNormShape) {
        let (rows, width) = (shape.rows, shape.width)
        let (ldx, ldOut) = (width + 2, width + 1)
        var random = SeededGenerator(seed: UInt64(rows * 1000 + width))
        // A large common offset makes a one-pass variance lose everything; two-pass keeps it.
        let x = random.floats(rows * ldx).map { $0 * 3 + 50 }
        let gamma = random.floats(width, in: 0.5...1.5)
        let beta = random.floats(width)
        let epsilon: Float = 1e-6
        var out = [Float](repeating: .nan, count: rows * ldOut)
        LayerNormKernel.normalize(
            rows: rows, width: width, x: x, ldx: ldx, gamma: gamma, beta: beta, epsilon: epsilon, out: &out,
            ldOut: ldOut)

        var tracker = ToleranceTracker()
        for r in 0..<rows {
            let expected = Reference.layerNorm(
                Array(x[(r * ldx)..<(r * ldx + width)]), gamma: gamma, beta: beta, epsilon: epsilon)
            for i in 0..<width {
                // |x − mean| ≤ ~6 with |mean| ≈ 50: mean rounding (≈ width·u·50) dominates.
                tracker.check(out[r * ldOut + i], expected[i], tolerance: 2e-5)
            }
            if width < ldOut { #expect(out[r * ldOut + width].isNaN, "wrote past the row") }
        }
        print("layernorm \(shape): max abs error \(tracker.worstError)")
        #expect(tracker.failures == 0, "\(shape): worst error \(tracker.worstError)")
    }

    @Test("with gamma = 1 and beta = 0 every row has mean ≈ 0 and variance ≈ 1", arguments: [13, 192, 768])
    func standardizes(width: Int) {
        let rows = 9
        var random = SeededGenerator(seed: UInt64(width))
        let x = (0..<rows).flatMap { r in random.floats(width).map { $0 * Float(r + 1) - Float(r * 10) } }
        var out = [Float](repeating: .nan, count: rows * width)
        LayerNormKernel.normalize(
            rows: rows, width: width, x: x, ldx: width, gamma: [Float](repeating: 1, count: width),
            beta: [Float](repeating: 0, count: width), epsilon: 1e-6, out: &out, ldOut: width)
        for r in 0..<rows {
            let row = out[(r * width)..<((r + 1) * width)].map(Double.init)
            let mean = row.reduce(0, +) / Double(width)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
            // Rows sit up to 15 standard deviations off zero, so the Float mean carries ≈ 15·u per
            // rounding into the normalised values.
            #expect(abs(mean) < 1e-5)
            #expect(abs(variance - 1) < 2e-5)  // ε = 1e-6 against variances ≥ 1/3 costs ≤ 3e-6
        }
    }

    @Test("in place (out == x) gives the same result")
    func inPlace() {
        var random = SeededGenerator(seed: 42)
        let width = 37
        var x = random.floats(3 * width)
        let gamma = random.floats(width)
        let beta = random.floats(width)
        var separate = [Float](repeating: 0, count: x.count)
        LayerNormKernel.normalize(
            rows: 3, width: width, x: x, ldx: width, gamma: gamma, beta: beta, epsilon: 1e-6, out: &separate,
            ldOut: width)
        x.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            LayerNormKernel.normalize(
                rows: 3, width: width, x: p, ldx: width, gamma: gamma, beta: beta, epsilon: 1e-6, out: p, ldOut: width)
        }
        #expect(x == separate)
    }
}
