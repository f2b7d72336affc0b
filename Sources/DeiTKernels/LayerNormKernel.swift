/// Row-wise LayerNorm with fp32 two-pass statistics and the biased variance, like PyTorch.
public enum LayerNormKernel {
    /// out[r, :] = (x[r, :] − mean) / √(var + ε) · gamma + beta for each of `rows` rows.
    ///
    /// `out` may be the same buffer as `x` (each row is read fully before it is written).
    public static func normalize(
        rows: Int, width: Int,
        x: UnsafePointer<Float>, ldx: Int,  // [rows, width]
        gamma: UnsafePointer<Float>,  // [width]
        beta: UnsafePointer<Float>,  // [width]
        epsilon: Float,
        out: UnsafeMutablePointer<Float>, ldOut: Int  // [rows, width]
    ) {
        guard rows > 0, width > 0 else { return }
        let count = Float(width)
        for row in 0..<rows {
            let input = x + row * ldx
            let output = out + row * ldOut

            // Two passes (mean, then squared deviations) stay accurate when |mean| ≫ std.
            let mean = sum(input, count: width) / count
            let variance = sumOfSquaredDeviations(input, from: mean, count: width) / count
            // `.magnitude` is a no-op for variance ≥ 0 and ε > 0, but tells LLVM the root cannot set
            // errno, so no libm `sqrtf` fallback is linked (Embedded targets have no libm).
            let inverseStd = 1 / (variance + epsilon).magnitude.squareRoot()

            var i = 0
            while i + 16 <= width {
                let normalized = (loadSIMD16(input + i) - mean) * inverseStd
                storeSIMD16(normalized * loadSIMD16(gamma + i) + loadSIMD16(beta + i), to: output + i)
                i += 16
            }
            while i < width {
                output[i] = (input[i] - mean) * inverseStd * gamma[i] + beta[i]
                i += 1
            }
        }
    }

    /// Σ x[i], in 16 partial sums.
    private static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var partial = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            partial += loadSIMD16(x + i)
            i += 16
        }
        var total = partial.sum()
        while i < count {
            total += x[i]
            i += 1
        }
        return total
    }

    /// Σ (x[i] − mean)², in 16 partial sums.
    private static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, from mean: Float, count: Int) -> Float {
        var partial = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let deviation = loadSIMD16(x + i) - mean
            partial = multiplyAdd(deviation, deviation, partial)
            i += 16
        }
        var total = partial.sum()
        while i < count {
            let deviation = x[i] - mean
            total += deviation * deviation
            i += 1
        }
        return total
    }
}
