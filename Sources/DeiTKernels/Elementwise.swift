/// Small element-wise helpers the forward pass needs between the big kernels.
///
/// All of them walk 16 floats at a time and finish the tail with scalars; none allocate.
public enum Elementwise {
    /// y += x.
    public static func add(
        _ x: UnsafePointer<Float>,  // [count]
        into y: UnsafeMutablePointer<Float>,  // [count]
        count: Int
    ) {
        var i = 0
        while i + 16 <= count {
            storeSIMD16(loadSIMD16(y + i) + loadSIMD16(x + i), to: y + i)
            i += 16
        }
        while i < count {
            y[i] += x[i]
            i += 1
        }
    }

    /// y[r, :] += x[r, :] for every row (e.g. adding the position embedding to the tokens).
    public static func addRows(
        rows: Int, width: Int,
        _ x: UnsafePointer<Float>, ldx: Int,  // [rows, width]
        into y: UnsafeMutablePointer<Float>, ldy: Int  // [rows, width]
    ) {
        guard rows > 0 else { return }
        for row in 0..<rows {
            add(x + row * ldx, into: y + row * ldy, count: width)
        }
    }

    /// y[r, :] = x[r, :] for every row (e.g. placing the class token, gathering the head inputs).
    public static func copyRows(
        rows: Int, width: Int,
        from x: UnsafePointer<Float>, ldx: Int,  // [rows, width]
        to y: UnsafeMutablePointer<Float>, ldy: Int  // [rows, width]
    ) {
        guard rows > 0, width > 0 else { return }
        for row in 0..<rows {
            (y + row * ldy).update(from: x + row * ldx, count: width)
        }
    }

    /// x = GELU_erf(x) in place (the GEMM's `.gelu` epilogue uses this on each stored row).
    public static func applyGELU(
        _ x: UnsafeMutablePointer<Float>,  // [count]
        count: Int
    ) {
        var i = 0
        while i + 16 <= count {
            storeSIMD16(VectorMath.geluVector(loadSIMD16(x + i)), to: x + i)
            i += 16
        }
        while i < count {
            x[i] = VectorMath.geluScalar(x[i])
            i += 1
        }
    }
}
