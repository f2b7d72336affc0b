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

    /// GELU's erf is a single rational function `z·P(z²)/Q(z²)` on z = x/√2 clamped to [−4, 4]
    /// (Eigen's / MLAS's float erf): one division and no `exp`, about half the work of ``erf(_:)``'s two
    /// pieces. Its erf is ≈ 3e-7 off (absolute) — GELU's error stays ≈ 2e-7·max(1, |x|), well inside
    /// the GEMM tests' bound — so it is kept for GELU, the hot path (fc1 epilogue), while ``erf(_:)``
    /// keeps its 2-ulp accuracy.
    @inline(__always)
    static func geluScalar(_ x: Float) -> Float {
        var z = x * inverseSquareRootOf2
        // NaN fails both comparisons and propagates.
        if z > GELUConstants.clamp { z = GELUConstants.clamp }
        if z < -GELUConstants.clamp { z = -GELUConstants.clamp }
        let s = z * z
        var p = GELUConstants.a13
        p = multiplyAdd(p, s, GELUConstants.a11)
        p = multiplyAdd(p, s, GELUConstants.a9)
        p = multiplyAdd(p, s, GELUConstants.a7)
        p = multiplyAdd(p, s, GELUConstants.a5)
        p = multiplyAdd(p, s, GELUConstants.a3)
        p = multiplyAdd(p, s, GELUConstants.a1)
        var q = GELUConstants.b8
        q = multiplyAdd(q, s, GELUConstants.b6)
        q = multiplyAdd(q, s, GELUConstants.b4)
        q = multiplyAdd(q, s, GELUConstants.b2)
        q = multiplyAdd(q, s, GELUConstants.b0)
        let erfOfZ = (p * z) / q
        return 0.5 * x * (1 + erfOfZ)
    }

    /// Lane for lane the same operations as ``geluScalar(_:)``, so the same results.
    @inline(__always)
    static func geluVector(_ x: SIMD16<Float>) -> SIMD16<Float> {
        var z = x * inverseSquareRootOf2
        z.replace(with: GELUConstants.clamp, where: z .> GELUConstants.clamp)
        z.replace(with: -GELUConstants.clamp, where: z .< -GELUConstants.clamp)
        let s = z * z
        var p = SIMD16<Float>(repeating: GELUConstants.a13)
        p = multiplyAdd(p, s, SIMD16(repeating: GELUConstants.a11))
        p = multiplyAdd(p, s, SIMD16(repeating: GELUConstants.a9))
        p = multiplyAdd(p, s, SIMD16(repeating: GELUConstants.a7))
        p = multiplyAdd(p, s, SIMD16(repeating: GELUConstants.a5))
        p = multiplyAdd(p, s, SIMD16(repeating: GELUConstants.a3))
        p = multiplyAdd(p, s, SIMD16(repeating: GELUConstants.a1))
        var q = SIMD16<Float>(repeating: GELUConstants.b8)
        q = multiplyAdd(q, s, SIMD16(repeating: GELUConstants.b6))
        q = multiplyAdd(q, s, SIMD16(repeating: GELUConstants.b4))
        q = multiplyAdd(q, s, SIMD16(repeating: GELUConstants.b2))
        q = multiplyAdd(q, s, SIMD16(repeating: GELUConstants.b0))
        let erfOfZ = (p * z) / q
        return 0.5 * x * (1 + erfOfZ)
    }

    /// 1/√2 rounded to Float (PyTorch's `M_SQRT1_2` in single precision).
    static let inverseSquareRootOf2: Float = 0.70710677
}

/// Coefficients of GELU's rational erf (Eigen `generic_fast_erf_float`, rounded to Float):
/// erf(z) ≈ z·P(z²)/Q(z²) for |z| ≤ 4 (beyond, erf is ±1 to within 2e-8).
enum GELUConstants {
    static let clamp: Float = 4
    static let a1: Float = -1.60960333262415e-02
    static let a3: Float = -2.95459980854025e-03
    static let a5: Float = -7.34990630326855e-04
    static let a7: Float = -5.69250639462346e-05
    static let a9: Float = -2.10102402082508e-06
    static let a11: Float = 2.77068142495902e-08
    static let a13: Float = -2.72614225801306e-10
    static let b0: Float = -1.42647390514189e-02
    static let b2: Float = -7.37332916720468e-03
    static let b4: Float = -1.68282697438203e-03
    static let b6: Float = -2.13374055278905e-04
    static let b8: Float = -1.45660718464996e-05
}
