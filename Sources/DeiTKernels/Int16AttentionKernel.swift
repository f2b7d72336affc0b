import DeiTKernelTable

#if DEIT_AVX2 || DEIT_AVX512
import _Builtin_intrinsics.intel
#endif

/// Attention with its scores S = Q·(scale·K)ᵀ on 16-bit integers, then the softmax and
/// out = diag(1/Σ)·E·V in f32 as `AttentionKernel` does (the int8 precision's attention on x86).
///
/// Each query row and each key row of a head is quantised symmetrically to |x| ≤ ``limit`` (12 bits)
/// with one scale per row; `vpmaddwd` multiplies two 16-bit pairs into one 32-bit sum, 16
/// multiply-adds per ymm instruction against an FMA's 8, and the sums stay exact in 32 bits
/// (headDim·limit² < 2³¹ up to ``maximumHeadDim``). One conversion and one multiply per score at the
/// end: no per-group dequantisation, which kept an int8 Q·Kᵀ on the int8 GEMM only ≈ 1.3× the f32
/// tile at k = 64 (branch `int8-qk-attention`). At 12 bits per row the scores' error is ≈ 2⁻¹²·|q||k|,
/// far below the int8 Linear layers' (≈ 2⁻⁷ per group of 32).
///
/// Every operation is exact or rounded the same way on every set (integer sums, then
/// `Float(sum) · (qScale · kScale)`), so the scores have the same bits on every set that runs this.
public enum Int16AttentionKernel {
    /// The largest quantised magnitude of a query or key element.
    public static let limit = 2047
    /// Head widths whose integer sums cannot wrap: 512·2047² < 2³¹.
    public static let maximumHeadDim = 512

    /// 32-bit words of one row: two 16-bit elements each (the last one's high half 0 for odd widths).
    @inline(__always)
    static func pairCount(headDim: Int) -> Int { (headDim + 1) / 2 }

    /// Bytes of one head's packed keys: per panel of `AttentionTiles.width` columns, the columns' scales
    /// (width floats) then `pairCount` rows of width words.
    public static func packedKeysByteCount(tokens: Int, headDim: Int) -> Int {
        let columns = SaturatingArithmetic.product(SaturatingArithmetic.ceilingDivision(tokens, 8), 8)
        return SaturatingArithmetic.product(columns, SaturatingArithmetic.product(pairCount(headDim: headDim) + 1, 4))
    }

    /// Floats of scratch for `rows` query rows: their scores [rows, tokens], their quantised rows
    /// [rows, pairCount] words and their scales [rows]. Saturates at `Int.max`.
    public static func scratchCount(rows: Int, tokens: Int, headDim: Int) -> Int {
        let scores = SaturatingArithmetic.product(rows, tokens)
        let words = SaturatingArithmetic.product(rows, pairCount(headDim: headDim))
        return SaturatingArithmetic.sum(SaturatingArithmetic.sum(scores, words), rows)
    }

    /// Quantises `count` floats to 16-bit integers, |q| ≤ ``limit``, into `out` (`pairCount(count)`
    /// words, a last odd element's partner 0); returns the scale max|x|/limit. NaN elements are
    /// skipped by the maximum and become −limit (both paths clamp NaN to the lower bound).
    @inline(__always)
    static func quantizeRow(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Int16>) -> Float {
        var largest: Float = 0
        var i = 0
        #if DEIT_AVX2 || DEIT_AVX512
        // Two running maxima: one vmaxps chain (4 cycles a step) was a tenth of the key packing.
        let magnitudeMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff))
        var maxima0 = SIMD8<Float>(), maxima1 = SIMD8<Float>()
        while i &+ 16 <= count {
            maxima0 = _mm256_max_ps(_mm256_and_ps(loadSIMD8(x + i), magnitudeMask), maxima0)  // NaN: keeps maxima
            maxima1 = _mm256_max_ps(_mm256_and_ps(loadSIMD8(x + (i &+ 8)), magnitudeMask), maxima1)
            i &+= 16
        }
        if i &+ 8 <= count {
            maxima0 = _mm256_max_ps(_mm256_and_ps(loadSIMD8(x + i), magnitudeMask), maxima0)
            i &+= 8
        }
        let maxima = _mm256_max_ps(maxima0, maxima1)
        var four = _mm_max_ps(maxima.lowHalf, maxima.highHalf)
        four = _mm_max_ps(four, _mm_movehl_ps(four, four))
        four = _mm_max_ss(four, _mm_movehdup_ps(four))
        largest = _mm_cvtss_f32(four)
        #endif
        while i < count {
            let magnitude = abs(x[i])
            largest = magnitude > largest ? magnitude : largest
            i &+= 1
        }
        let inverse = Int8GEMM.inverseStep(largest, limit: limit)
        i = 0
        #if DEIT_AVX2 || DEIT_AVX512
        let factor = SIMD8<Float>(repeating: inverse)
        let lower = SIMD8<Float>(repeating: -Float(limit)), upper = SIMD8<Float>(repeating: Float(limit))
        let order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7)
        while i &+ 16 <= count {
            // max(v, lower) gives lower for NaN; vcvtps2dq rounds to nearest even; vpackssdw interleaves
            // the two vectors' 128-bit halves, which vpermd puts back in order.
            @inline(__always) func rounded(_ v: SIMD8<Float>) -> SIMD4<Int64> {
                _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v, factor), lower), upper))
            }
            let packed = _mm256_packs_epi32(rounded(loadSIMD8(x + i)), rounded(loadSIMD8(x + (i &+ 8))))
            UnsafeMutableRawPointer(out + i).storeBytes(of: _mm256_permutevar8x32_epi32(packed, order),
                                                        as: SIMD4<Int64>.self)
            i &+= 16
        }
        #endif
        while i < count {
            out[i] = quantized(x[i] * inverse)
            i &+= 1
        }
        if count % 2 == 1 { out[count] = 0 }
        return largest / Float(limit)
    }

    /// One product v = x·inverse on the grid: clamped to ±limit (NaN to −limit), nearest even.
    @inline(__always)
    static func quantized(_ v: Float) -> Int16 {
        let bound = Float(limit)
        let low = v > -bound ? v : -bound
        let clamped = low < bound ? low : bound
        return Int16(clamped.rounded(.toNearestOrEven))
    }

    /// Packs one head's keys (scale folded into their scales) into 16-bit panels and its V into the
    /// f32 attention panels (`AttentionKernel.packedValuesCount` floats).
    public static func packHead(
        tokens: Int, headDim: Int,
        k: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        v: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        ldQKV: Int,
        scale: Float,
        packedKeys: UnsafeMutableRawPointer,  // [packedKeysByteCount(tokens, headDim)] bytes
        packedValues: UnsafeMutablePointer<Float>  // [AttentionKernel.packedValuesCount(tokens, headDim)]
    ) {
        guard tokens > 0, headDim > 0 else { return }
        packKeys(tokens: tokens, headDim: headDim, k: k, ldK: ldQKV, scale: scale, into: packedKeys)
        AttentionTiles.pack(
            matrix: v, n: headDim, k: tokens, nStride: 1, kStride: ldQKV, scale: 1, into: packedValues)
    }

    /// Panel p (width w = `AttentionTiles.width`): w floats, column j's scale·max|k_j|/limit (0 past
    /// the tokens), then pairCount rows of w words, row r column j holding k_j's elements 2r and 2r+1.
    static func packKeys(
        tokens: Int, headDim: Int,
        k: UnsafePointer<Float>, ldK: Int,  // [tokens, headDim], row stride ldK
        scale: Float,
        into packed: UnsafeMutableRawPointer  // [packedKeysByteCount(tokens, headDim)] bytes
    ) {
        let pairs = pairCount(headDim: headDim)
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: pairCount(headDim: maximumHeadDim)) { buffer in
            guard let row = buffer.baseAddress else { return }  // [pairs]: one key quantised
            let rowHalves = UnsafeMutableRawPointer(row).assumingMemoryBound(to: Int16.self)
            var panelStart = packed
            var first = 0
            while first < tokens {
                let width = AttentionTiles.width(ofPanel: first / AttentionTiles.panelWidth, n: tokens)
                let scales = panelStart.assumingMemoryBound(to: Float.self)  // [width]
                let words = (panelStart + 4 &* width).assumingMemoryBound(to: Int32.self)  // [pairs, width]
                for column in 0..<width {
                    guard first &+ column < tokens else {
                        scales[column] = 0
                        for r in 0..<pairs { words[r &* width &+ column] = 0 }
                        continue
                    }
                    scales[column] = quantizeRow(k + (first &+ column) &* ldK, count: headDim, into: rowHalves) * scale
                    for r in 0..<pairs { words[r &* width &+ column] = row[r] }
                }
                panelStart += 4 &* width &* (pairs &+ 1)
                first &+= width
            }
        }
    }

    /// out[t, 0..<hd] = Σ_s softmax_s(q_t·(scale·k_s)) v_s for the query rows t in `queryRows`, the
    /// scores from 16-bit Q and K; arguments as `AttentionKernel.rows`, with the keys from `packHead`
    /// and `scratch` holding `scratchCount(min(queryRows.count, 64), tokens, headDim)` floats.
    public static func rows(
        _ queryRows: Range<Int>,
        tokens: Int, headDim: Int,
        q: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        ldQKV: Int,
        packedKeys: UnsafeRawPointer,  // [packedKeysByteCount(tokens, headDim)] bytes, from packHead
        packedValues: UnsafePointer<Float>,  // [AttentionKernel.packedValuesCount(tokens, headDim)]
        scratch: UnsafeMutablePointer<Float>,  // [scratchCount(min(queryRows.count, 64), tokens, headDim)]
        out: UnsafeMutablePointer<Float>, ldOut: Int,  // [tokens, headDim]
        probabilities: UnsafeMutablePointer<Float>? = nil,  // [probabilityRows, tokens]
        probabilityRows: Int = 0
    ) {
        guard tokens > 0, headDim > 0, !queryRows.isEmpty else { return }
        let pieceRows = min(queryRows.count, AttentionKernel.rowsPerPiece)
        let pairs = pairCount(headDim: headDim)
        let scores = scratch  // [pieceRows, tokens]
        let quantizedRows = UnsafeMutableRawPointer(scratch + pieceRows &* tokens)
            .assumingMemoryBound(to: Int32.self)  // [pieceRows, pairs]
        let rowScales = scratch + (pieceRows &* tokens &+ pieceRows &* pairs)  // [pieceRows]
        withUnsafeTemporaryAllocation(of: Float.self, capacity: AttentionKernel.rowsPerPiece) { buffer in
            guard let inverseSums = buffer.baseAddress else { return }  // [rowsPerPiece]
            var first = queryRows.lowerBound
            while first < queryRows.upperBound {
                let m = min(pieceRows, queryRows.upperBound - first)
                for row in 0..<m {
                    rowScales[row] = quantizeRow(
                        q + (first &+ row) &* ldQKV, count: headDim,
                        into: UnsafeMutableRawPointer(quantizedRows + row &* pairs).assumingMemoryBound(to: Int16.self))
                }
                Int16ScoreTiles.multiply(m: m, n: tokens, pairs: pairs, a: quantizedRows, aScales: rowScales,
                                         packed: packedKeys, c: scores, ldc: tokens)
                AttentionKernel.softmaxTimesValues(
                    rows: first..<first + m, tokens: tokens, headDim: headDim, scores: scores,
                    inverseSums: inverseSums, packedValues: packedValues, out: out, ldOut: ldOut,
                    probabilities: probabilities, probabilityRows: probabilityRows)
                first += m
            }
        }
    }
}
