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
            maximum = horizontalMaximum(lanes)
        }
        while i < count {
            if row[i] > maximum { maximum = row[i] }
            i += 1
        }
        return maximum
    }

    /// The largest lane, by halving in registers (`SIMD.max()` is a scalar loop through the stack).
    /// The maximum is exact, so the order does not change it.
    @inline(__always)
    private static func horizontalMaximum(_ lanes: SIMD16<Float>) -> Float {
        let m8 = lanes.lowHalf.replacing(with: lanes.highHalf, where: lanes.highHalf .> lanes.lowHalf)
        let m4 = m8.lowHalf.replacing(with: m8.highHalf, where: m8.highHalf .> m8.lowHalf)
        let m2 = m4.lowHalf.replacing(with: m4.highHalf, where: m4.highHalf .> m4.lowHalf)
        return m2[1] > m2[0] ? m2[1] : m2[0]
    }
}
