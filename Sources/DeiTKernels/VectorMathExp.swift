/// `exp` by range reduction and a polynomial (Cephes `expf`):
/// x = n·ln2 + r with n = round(x·log₂e) and |r| ≤ ln2/2, exp(r) ≈ 1 + r + r²·P(r),
/// then exp(x) = exp(r)·2ⁿ. ln2 is split in two (Cody–Waite) so r is computed almost exactly.
extension VectorMath {
    /// eˣ for a Float; 0 below ≈ −103.97, +∞ above ≈ 88.72, NaN for NaN.
    public static func exp(_ x: Float) -> Float {
        expScalar(x)
    }

    /// eˣ for 16 lanes, lane for lane the same result as the scalar version.
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        expVector(x)
    }

    @inline(__always)
    static func expScalar(_ input: Float) -> Float {
        // Clamp so n stays in [-150, 128]; overflow and underflow then happen naturally in the final
        // scaling. NaN fails both comparisons and propagates.
        var x = input
        if x > ExpConstants.upperClamp { x = ExpConstants.upperClamp }
        if x < ExpConstants.lowerClamp { x = ExpConstants.lowerClamp }

        // Adding 1.5·2²³ rounds to the nearest integer and leaves it in the low mantissa bits: no
        // float-to-int conversion (which would trap on NaN) and no libm `rint`.
        let shifted = x * ExpConstants.log2e + ExpConstants.roundingShift
        let nFloat = shifted - ExpConstants.roundingShift
        let n = Int32(bitPattern: shifted.bitPattern &- ExpConstants.roundingShift.bitPattern)

        let r = (x - nFloat * ExpConstants.ln2High) - nFloat * ExpConstants.ln2Low
        var p = ExpConstants.p0
        p = p * r + ExpConstants.p1
        p = p * r + ExpConstants.p2
        p = p * r + ExpConstants.p3
        p = p * r + ExpConstants.p4
        p = p * r + ExpConstants.p5
        let expR = p * (r * r) + r + 1

        // 2ⁿ as two normal powers of two (n can be −150 or 128, outside a single float exponent).
        let half = n &>> 1
        let scaleLow = Float(bitPattern: UInt32(bitPattern: (half &+ 127) &<< 23))
        let scaleHigh = Float(bitPattern: UInt32(bitPattern: ((n &- half) &+ 127) &<< 23))
        return expR * scaleLow * scaleHigh
    }

    @inline(__always)
    static func expVector(_ input: SIMD16<Float>) -> SIMD16<Float> {
        var x = input.replacing(with: ExpConstants.upperClamp, where: input .> ExpConstants.upperClamp)
        x.replace(with: ExpConstants.lowerClamp, where: x .< ExpConstants.lowerClamp)

        let shifted = x * ExpConstants.log2e + ExpConstants.roundingShift
        let nFloat = shifted - ExpConstants.roundingShift
        let n = unsafeBitCast(shifted, to: SIMD16<Int32>.self)
            &- Int32(bitPattern: ExpConstants.roundingShift.bitPattern)

        let r = (x - nFloat * ExpConstants.ln2High) - nFloat * ExpConstants.ln2Low
        var p = SIMD16<Float>(repeating: ExpConstants.p0)
        p = p * r + ExpConstants.p1
        p = p * r + ExpConstants.p2
        p = p * r + ExpConstants.p3
        p = p * r + ExpConstants.p4
        p = p * r + ExpConstants.p5
        let expR = p * (r * r) + r + 1

        let half = n &>> 1
        let scaleLow = unsafeBitCast((half &+ 127) &<< 23, to: SIMD16<Float>.self)
        let scaleHigh = unsafeBitCast(((n &- half) &+ 127) &<< 23, to: SIMD16<Float>.self)
        return expR * scaleLow * scaleHigh
    }
}

/// Constants of the `exp` kernel (Cephes `expf` polynomial and Cody–Waite split of ln2).
enum ExpConstants {
    static let upperClamp: Float = 89  // exp overflows to +∞ above ≈ 88.7228
    static let lowerClamp: Float = -104  // exp rounds to 0 below ≈ −103.97
    static let log2e: Float = 1.44269504088896341
    static let roundingShift: Float = 12_582_912  // 1.5·2²³
    static let ln2High: Float = 0.693359375  // 9 significant bits: n·ln2High is exact
    static let ln2Low: Float = -2.12194440e-4
    static let p0: Float = 1.9875691500e-4
    static let p1: Float = 1.3981999507e-3
    static let p2: Float = 8.3334519073e-3
    static let p3: Float = 4.1665795894e-2
    static let p4: Float = 1.6666665459e-1
    static let p5: Float = 5.0000001201e-1
}
