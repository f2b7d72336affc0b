/// `erf` in two pieces, each a polynomial fitted for this project (Lawson-weighted minimax in 40-digit
/// arithmetic with mpmath, coefficients rounded to Float and re-checked in Float):
///
/// - |x| < 0.921875: erf(x) = x + x·Q(x²), Q of degree 5 (adding x last keeps the error ≈ 1.5 ulp);
/// - otherwise: erf(|x|) = 1 − exp(S(t) − t²), t = min(|x|, 4), S of degree 6 fitting
///   log(erfc t) + t² (beyond 4, erf rounds to ±1 in Float).
///
/// Max error against glibc `erff` is printed by the tests (≈ 1e-7 absolute).
extension VectorMath {
    /// erf(x) for a Float; ±1 for ±∞, NaN for NaN.
    public static func erf(_ x: Float) -> Float {
        erfScalar(x)
    }

    /// erf(x) for 16 lanes, lane for lane the same result as the scalar version.
    public static func erf(_ x: SIMD16<Float>) -> SIMD16<Float> {
        erfVector(x)
    }

    @inline(__always)
    static func erfScalar(_ x: Float) -> Float {
        let magnitude = x.magnitude
        if magnitude < ErfConstants.split {
            let s = x * x
            var q = ErfConstants.q5
            q = q * s + ErfConstants.q4
            q = q * s + ErfConstants.q3
            q = q * s + ErfConstants.q2
            q = q * s + ErfConstants.q1
            q = q * s + ErfConstants.q0
            return x + x * q
        }
        // NaN fails the comparison and propagates through the polynomial.
        let t = magnitude > ErfConstants.saturation ? ErfConstants.saturation : magnitude
        var p = ErfConstants.s6
        p = p * t + ErfConstants.s5
        p = p * t + ErfConstants.s4
        p = p * t + ErfConstants.s3
        p = p * t + ErfConstants.s2
        p = p * t + ErfConstants.s1
        p = p * t + ErfConstants.s0
        let erfOfMagnitude = 1 - expScalar(p - t * t)
        return Float(signOf: x, magnitudeOf: erfOfMagnitude)
    }

    /// Both pieces on every lane, then a per-lane select.
    @inline(__always)
    static func erfVector(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let signMask = SIMD16<UInt32>(repeating: 0x8000_0000)
        let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self)
        let magnitude = unsafeBitCast(bits & ~signMask, to: SIMD16<Float>.self)

        let s = x * x
        var q = SIMD16<Float>(repeating: ErfConstants.q5)
        q = q * s + ErfConstants.q4
        q = q * s + ErfConstants.q3
        q = q * s + ErfConstants.q2
        q = q * s + ErfConstants.q1
        q = q * s + ErfConstants.q0
        let small = x + x * q

        let t = magnitude.replacing(
            with: ErfConstants.saturation, where: magnitude .> ErfConstants.saturation)
        var p = SIMD16<Float>(repeating: ErfConstants.s6)
        p = p * t + ErfConstants.s5
        p = p * t + ErfConstants.s4
        p = p * t + ErfConstants.s3
        p = p * t + ErfConstants.s2
        p = p * t + ErfConstants.s1
        p = p * t + ErfConstants.s0
        let largeMagnitude = 1 - expVector(p - t * t)
        let large = unsafeBitCast(
            unsafeBitCast(largeMagnitude, to: SIMD16<UInt32>.self) | (bits & signMask),
            to: SIMD16<Float>.self)

        return large.replacing(with: small, where: magnitude .< ErfConstants.split)
    }
}

/// Coefficients of the two `erf` pieces (see the comment on the extension above).
enum ErfConstants {
    static let split: Float = 0.921875
    static let saturation: Float = 4

    // erf(x) = x + x·Q(x²) for |x| < split.
    static let q0: Float = 0.1283791
    static let q1: Float = -0.37612507
    static let q2: Float = 0.11281927
    static let q3: Float = -0.026770232
    static let q4: Float = 0.0049980013
    static let q5: Float = -0.00060133956

    // log(erfc t) + t² = S(t) for split ≤ t ≤ saturation.
    static let s0: Float = -0.00020991953
    static let s1: Float = -1.1276155
    static let s2: Float = 0.3627142
    static let s3: Float = -0.10383887
    static let s4: Float = 0.022181377
    static let s5: Float = -0.003031595
    static let s6: Float = 0.00019473388
}
