/// Elementary functions written in Swift (Embedded Swift has no libm): `exp`, `erf` and the exact
/// (erf) GELU, each as a scalar `Float` and a `SIMD16<Float>` version computing the same formula.
///
/// No function traps: NaN propagates, out-of-range inputs saturate (`exp` to 0 or +∞, `erf` to ±1).
/// Accuracy is measured against glibc in `Tests/DeiTKernelsTests/VectorMathTests.swift`.
public enum VectorMath {
    /// GELU with the exact erf: `0.5 · x · (1 + erf(x / √2))`, the formula PyTorch's default GELU uses.
    public static func gelu(_ x: Float) -> Float {
        geluScalar(x)
    }

    /// GELU with the exact erf, 16 lanes.
    public static func gelu(_ x: SIMD16<Float>) -> SIMD16<Float> {
        geluVector(x)
    }

    @inline(__always)
    static func geluScalar(_ x: Float) -> Float {
        0.5 * x * (1 + erfScalar(x * inverseSquareRootOf2))
    }

    @inline(__always)
    static func geluVector(_ x: SIMD16<Float>) -> SIMD16<Float> {
        0.5 * x * (1 + erfVector(x * inverseSquareRootOf2))
    }

    /// 1/√2 rounded to Float (PyTorch's `M_SQRT1_2` in single precision).
    static let inverseSquareRootOf2: Float = 0.70710677
}
