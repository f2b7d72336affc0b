/// Numerically safe softmax over one contiguous row.
///
/// Everything runs on 16-lane vectors, the ragged tail included: rows of 16 or more end with one
/// vector that overlaps the previous one (its already-done lanes masked off), shorter rows go through
/// one vector padded with −∞. So the row's length never changes how an element is computed.
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
        let inverseTotal = 1 / exponentiateRow(row, count: count)
        scaleRow(row, count: count, by: inverseTotal)
    }

    /// row = exp(row − max(row)) in place; returns Σ exp(row − max(row)) (≥ 1 unless the row holds
    /// NaN, +∞ or only −∞, which give NaN).
    ///
    /// The unnormalised half of ``normalizeRow(_:count:)``, for callers that fold the 1/Σ into a later
    /// step (attention scales the 64 outputs of a row instead of its T probabilities).
    public static func exponentiateRow(
        _ row: UnsafeMutablePointer<Float>,  // [count]
        count: Int
    ) -> Float {
        guard count > 0 else { return 0 }
        let maximum = SIMD16<Float>(repeating: maximumElement(row, count: count))

        var partial = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let e = exponentialOfNonPositive(loadSIMD16(row + i) - maximum)
            storeSIMD16(e, to: row + i)
            partial += e
            i += 16
        }
        if i < count {
            if count >= 16 {
                // The last 16 elements; the lanes before `i` are already done (and hold exponentials).
                let tail = row + (count - 16)
                let stored = loadSIMD16(tail)
                let laneIndices = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
                let fresh = laneIndices .>= SIMD16<Int32>(repeating: Int32(truncatingIfNeeded: 16 - (count - i)))
                let x = (stored - maximum).replacing(with: -.infinity, where: .!fresh)
                let e = exponentialOfNonPositive(x)  // 0 in the masked lanes
                storeSIMD16(stored.replacing(with: e, where: fresh), to: tail)
                partial += e
            } else {
                var padded = SIMD16<Float>(repeating: -.infinity)
                for lane in 0..<count { padded[lane] = row[lane] }
                let e = exponentialOfNonPositive(padded - maximum)
                for lane in 0..<count { row[lane] = e[lane] }
                partial += e
            }
        }
        return horizontalSum(partial)
    }

    /// row *= factor, for count ≥ 1.
    private static func scaleRow(_ row: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        var i = 0
        while i + 16 <= count {
            storeSIMD16(loadSIMD16(row + i) * factor, to: row + i)
            i += 16
        }
        while i < count {
            row[i] *= factor
            i += 1
        }
    }

    /// max(row) for count ≥ 1 (NaN-insensitive; a NaN in the row still turns the output into NaN).
    private static func maximumElement(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
        guard count >= 16 else {
            var maximum = row[0]
            for i in 1..<count where row[i] > maximum { maximum = row[i] }
            return maximum
        }
        var lanes = loadSIMD16(row)
        var i = 16
        while i + 16 <= count {
            let next = loadSIMD16(row + i)
            lanes.replace(with: next, where: next .> lanes)
            i += 16
        }
        if i < count {
            // The last 16 elements: the overlap with lanes already seen cannot change a maximum.
            let next = loadSIMD16(row + (count - 16))
            lanes.replace(with: next, where: next .> lanes)
        }
        return horizontalMaximum(lanes)
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

    /// Sum of the lanes by halving in registers (a fixed order, so the same bits on every call).
    @inline(__always)
    private static func horizontalSum(_ lanes: SIMD16<Float>) -> Float {
        let s8 = lanes.lowHalf + lanes.highHalf
        let s4 = s8.lowHalf + s8.highHalf
        let s2 = s4.lowHalf + s4.highHalf
        return s2[0] + s2[1]
    }

    /// eˣ for x ≤ 0, −∞ or NaN (softmax exponents after subtracting the maximum); −∞ gives 0, NaN
    /// gives NaN.
    ///
    /// x = n·ln2 + t, |t| ≤ ln2/2, and eᵗ ≈ 1 + t·P(t) with a degree-5 minimax polynomial (the
    /// `rr1_p5` scheme and coefficients of XNNPACK's `f32_expminus`): 11 vector operations per 8
    /// lanes, against 20 for the general `VectorMath.exp`. Within 2.4 ulp of eˣ for x ≥ −20 and 4.7
    /// ulp below (the single rounded ln2 costs n·2·10⁻⁹), as the tests measure — far below what a
    /// softmax of fp32 scores can see, whose x − max is itself rounded. x ≤ 0 means n ≤ 0, and 2ⁿ is
    /// needed only for n ≥ −126: below ln(2⁻¹²⁶) the result is flushed to 0 (its exact value is
    /// < 1.2·10⁻³⁸, nothing next to the row's maximum, which gives 1).
    @inline(__always)
    static func exponentialOfNonPositive(_ x: SIMD16<Float>) -> SIMD16<Float> {
        // magic + n with n = round(x·log₂e): the sum's low mantissa bits hold n + 127 (the magic bias
        // is 127 mod 2²²), so shifting them into the exponent field gives the float 2ⁿ directly.
        let biased = multiplyAdd(x, SIMD16(repeating: SoftmaxExp.log2e), SIMD16(repeating: SoftmaxExp.magicBias))
        let powerOfTwo = unsafeBitCast(unsafeBitCast(biased, to: SIMD16<Int32>.self) &<< 23, to: SIMD16<Float>.self)
        let n = biased - SoftmaxExp.magicBias
        #if DEIT_FMA || arch(arm64)
        // t = x − n·ln2 in one fused multiply-add.
        let t = multiplyAdd(n, SIMD16(repeating: SoftmaxExp.minusLn2), x)
        #else
        // Without FMA n·ln2 would be rounded (up to 4·10⁻⁶ off): ln2 in two parts, n·ln2High exact.
        var t = multiplyAdd(n, SIMD16(repeating: SoftmaxExp.minusLn2High), x)
        t = multiplyAdd(n, SIMD16(repeating: SoftmaxExp.minusLn2Low), t)
        #endif

        var p = multiplyAdd(SIMD16(repeating: SoftmaxExp.c5), t, SIMD16(repeating: SoftmaxExp.c4))
        p = multiplyAdd(p, t, SIMD16(repeating: SoftmaxExp.c3))
        p = multiplyAdd(p, t, SIMD16(repeating: SoftmaxExp.c2))
        p = multiplyAdd(p, t, SIMD16(repeating: SoftmaxExp.c1))
        // eˣ = 2ⁿ·(1 + t·P(t)) = 2ⁿ + (2ⁿ·t)·P(t).
        let result = multiplyAdd(t * powerOfTwo, p, powerOfTwo)
        return result.replacing(with: 0, where: x .< SoftmaxExp.normalCutoff)
    }
}

/// Constants of ``SoftmaxKernel/exponentialOfNonPositive(_:)`` (XNNPACK's `f32_expminus` rr1_p5).
enum SoftmaxExp {
    static let log2e: Float = 0x1.715476p0
    /// 1.5·2²³ + 127: adding it rounds to an integer and leaves n + 127 in the low bits.
    static let magicBias: Float = 0x1.8000FEp23
    static let minusLn2: Float = -0x1.62E430p-1
    static let minusLn2High: Float = -0x1.62E400p-1  // low 7 bits zero: n·ln2High is exact for |n| ≤ 128
    static let minusLn2Low: Float = -0x1.7F7D1Cp-20
    static let c1: Float = 0x1.FFFFF6p-1
    static let c2: Float = 0x1.FFFDC6p-2
    static let c3: Float = 0x1.555A80p-3
    static let c4: Float = 0x1.573A1Ap-5
    static let c5: Float = 0x1.0F9F9Cp-7
    /// ln(2⁻¹²⁶): below it eˣ is subnormal, and flushed to 0.
    static let normalCutoff: Float = -0x1.5D589Ep6
}
