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

    /// y = x · factor (a product per element: the same bits in the vector body and the tail).
    public static func scale(
        _ x: UnsafePointer<Float>,  // [count]
        by factor: Float,
        count: Int,
        into y: UnsafeMutablePointer<Float>  // [count]
    ) {
        let factors = SIMD16<Float>(repeating: factor)
        var i = 0
        while i + 16 <= count {
            storeSIMD16(loadSIMD16(x + i) * factors, to: y + i)
            i += 16
        }
        while i < count {
            y[i] = x[i] * factor
            i += 1
        }
    }

    /// x = GELU_erf(x) in place, as a pass of its own: 16 lanes at a time with `VectorMath.geluVector`
    /// (the function the GEMM's `.gelu` epilogue applies to its accumulator registers, so the same
    /// bits), the tail with the scalar version of the same formula. Used where GELU is not fused into
    /// the GEMM: the profiled forward pass (to time GELU on its own) and the OpenBLAS Linear backend.
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
