/// Numerically safe softmax over one contiguous row.
public enum SoftmaxKernel {
    /// row = exp(row − max(row)) / Σ exp(row − max(row)), in place.
    ///
    /// Subtracting the maximum keeps every exponent ≤ 0, so huge inputs cannot overflow; −∞ entries
    /// become 0. A row of all −∞ (or containing NaN or +∞) yields NaN, as in PyTorch.
    public static func normalizeRow(
        _ row: UnsafeMutablePointer<Float>,  // [count]
        count: Int
    ) {
        guard count > 0 else { return }
        let maximum = maximumElement(row, count: count)

        // exp(x − max) written back, summed in 16 partial sums.
        var partial = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let e = VectorMath.expVector(loadSIMD16(row + i) - maximum)
            storeSIMD16(e, to: row + i)
            partial += e
            i += 16
        }
        var total = partial.sum()
        while i < count {
            let e = VectorMath.expScalar(row[i] - maximum)
            row[i] = e
            total += e
            i += 1
        }

        let inverseTotal = 1 / total
        i = 0
        while i + 16 <= count {
            storeSIMD16(loadSIMD16(row + i) * inverseTotal, to: row + i)
            i += 16
        }
        while i < count {
            row[i] *= inverseTotal
            i += 1
        }
    }

    /// max(row) for count ≥ 1 (NaN-insensitive; a NaN in the row still turns the output into NaN).
    private static func maximumElement(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var maximum = row[0]
        var i = 0
        if count >= 16 {
            var lanes = loadSIMD16(row)
            i = 16
            while i + 16 <= count {
                let next = loadSIMD16(row + i)
                lanes.replace(with: next, where: next .> lanes)
                i += 16
            }
            maximum = lanes.max()
        }
        while i < count {
            if row[i] > maximum { maximum = row[i] }
            i += 1
        }
        return maximum
    }
}
