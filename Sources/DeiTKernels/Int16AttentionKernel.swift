import DeiTKernelTable

#if DEIT_AVX2 || DEIT_AVX512
import _Builtin_intrinsics.intel
#endif

/// Attention with both products on 16-bit integers (the int8 precision's attention on x86): the scores
/// S = Q·(scale·K)ᵀ and out = diag(1/Σ)·E·V, with the softmax's exponentials E in f32 between them.
///
/// Q and K are quantised per row (token) to |x| ≤ ``limit`` (12 bits), V per head column over the
/// tokens, and E — in (0, 1] — with the fixed step 1/`probabilityLimit`. `vpmaddwd` multiplies two
/// 16-bit pairs into one 32-bit sum, 16 multiply-adds per ymm instruction against an FMA's 8, and the
/// sums stay exact in 32 bits (the limits above). One conversion and one multiply per output at the
/// end: no per-group dequantisation, which kept an int8 Q·Kᵀ on the int8 GEMM only ≈ 1.3× the f32
/// tile at k = 64 (branch `int8-qk-attention`). At 12 bits the products' error is ≈ 2⁻¹² of their
/// operands' maxima, far below the int8 Linear layers' (≈ 2⁻⁸ per group of 32).
///
/// Every operation is exact or rounded the same way on every set (integer sums, then
/// `Float(sum) · (rowScale · columnScale)`), so S has the same bits on every set that runs this; E
/// comes from the set's vectorised exp.
public enum Int16AttentionKernel {
    /// The largest quantised magnitude of a query or key element.
    public static let limit = 2047
    /// Head widths whose integer sums cannot wrap: 512·2047² < 2³¹.
    public static let maximumHeadDim = 512
    /// Token counts whose E·V sums cannot wrap with exponentials of at least 10 bits
    /// (`probabilityLimit`: 1024 at 1024 tokens).
    public static let maximumTokens = 1024

    /// 32-bit words of one row: two 16-bit elements each (the last one's high half 0 for odd widths).
    @inline(__always)
    static func pairCount(_ count: Int) -> Int { (count + 1) / 2 }

    /// Bytes of one head's packed keys: per panel of `AttentionTiles.width` columns, the columns' scales
    /// (width floats) then `pairCount` rows of width words.
    public static func packedKeysByteCount(tokens: Int, headDim: Int) -> Int {
        let columns = SaturatingArithmetic.product(SaturatingArithmetic.ceilingDivision(tokens, 8), 8)
        return SaturatingArithmetic.product(columns, SaturatingArithmetic.product(pairCount(headDim) + 1, 4))
    }

    /// Bytes of one head's packed values: per panel of head columns, the columns' scales then
    /// ⌈tokens/2⌉ rows of words.
    public static func packedValuesByteCount(tokens: Int, headDim: Int) -> Int {
        let columns = SaturatingArithmetic.product(SaturatingArithmetic.ceilingDivision(headDim, 8), 8)
        return SaturatingArithmetic.product(columns, SaturatingArithmetic.product(pairCount(tokens) + 1, 4))
    }

    /// Floats of scratch for `rows` query rows: their scores [rows, tokens], their queries quantised
    /// [rows, ⌈headDim/2⌉] words and scales [rows], their exponentials quantised [rows, ⌈tokens/2⌉]
    /// words and scales [rows]. Saturates at `Int.max`.
    public static func scratchCount(rows: Int, tokens: Int, headDim: Int) -> Int {
        let perRow = SaturatingArithmetic.sum(SaturatingArithmetic.sum(tokens, pairCount(headDim)),
                                              SaturatingArithmetic.sum(pairCount(tokens), 2))
        return SaturatingArithmetic.product(rows, perRow)
    }

    /// Quantises `count` floats to 16-bit integers, |q| ≤ ``limit``, into `out` (`pairCount(count)`
    /// words, a last odd element's partner 0); returns the scale max|x|/limit. NaN elements are
    /// skipped by the maximum and become −limit (both paths clamp NaN to the lower bound).
    @inline(__always)
    static func quantizeRow(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Int16>) -> Float {
        let largest = largestMagnitude(x, count: count)
        quantize(x, count: count, factor: Int8GEMM.inverseStep(largest, limit: limit), bound: limit, into: out)
        return largest / Float(limit)
    }

    /// max|x| over `count` floats, NaN skipped.
    @inline(__always)
    static func largestMagnitude(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var largest: Float = 0
        var i = 0
        #if DEIT_AVX2 || DEIT_AVX512
        // Two running maxima: one vmaxps chain (4 cycles a step) was a tenth of the key packing.
        var maxima0 = SIMD8<Float>(), maxima1 = SIMD8<Float>()
        while i &+ 16 <= count {
            maxima0 = largerMagnitudes(loadSIMD8(x + i), maxima0)
            maxima1 = largerMagnitudes(loadSIMD8(x + (i &+ 8)), maxima1)
            i &+= 16
        }
        if i &+ 8 <= count {
            maxima0 = largerMagnitudes(loadSIMD8(x + i), maxima0)
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
        return largest
    }

    /// Lane by lane, |x| if it is larger than `maxima`, else `maxima` (NaN in x: `maxima`).
    @inline(__always)
    static func largerMagnitudes(_ x: SIMD8<Float>, _ maxima: SIMD8<Float>) -> SIMD8<Float> {
        #if DEIT_AVX2 || DEIT_AVX512
        _mm256_max_ps(_mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff))), maxima)
        #else
        var out = maxima
        for lane in 0..<8 where abs(x[lane]) > maxima[lane] { out[lane] = abs(x[lane]) }
        return out
        #endif
    }

    /// out[i] = `quantized(x[i]·factor, bound)` for `count` floats, and a last odd element's partner 0.
    @inline(__always)
    static func quantize(_ x: UnsafePointer<Float>, count: Int, factor: Float, bound: Int,
                         into out: UnsafeMutablePointer<Int16>) {
        var i = 0
        #if DEIT_AVX2 || DEIT_AVX512
        let factors = SIMD8<Float>(repeating: factor), bounds = SIMD8<Float>(repeating: Float(bound))
        let order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7)
        while i &+ 16 <= count {
            // vpackssdw interleaves the two vectors' 128-bit halves, which vpermd puts back in order.
            let low = quantizedLanes(loadSIMD8(x + i), factors, bounds)
            let high = quantizedLanes(loadSIMD8(x + (i &+ 8)), factors, bounds)
            let packed = _mm256_packs_epi32(unsafeBitCast(low, to: SIMD4<Int64>.self),
                                            unsafeBitCast(high, to: SIMD4<Int64>.self))
            UnsafeMutableRawPointer(out + i).storeBytes(of: _mm256_permutevar8x32_epi32(packed, order),
                                                        as: SIMD4<Int64>.self)
            i &+= 16
        }
        #endif
        while i < count {
            out[i] = quantized(x[i] * factor, bound: bound)
            i &+= 1
        }
        if count % 2 == 1 { out[count] = 0 }
    }

    /// One product v = x·factor on the grid: clamped to ±bound (NaN to −bound), nearest even.
    @inline(__always)
    static func quantized(_ v: Float, bound: Int = limit) -> Int16 {
        let bound = Float(bound)
        let low = v > -bound ? v : -bound
        let clamped = low < bound ? low : bound
        return Int16(clamped.rounded(.toNearestOrEven))
    }

    /// `quantized` on 8 lanes as Int32: x·factors clamped to ±bounds (NaN to −bounds, as `vmaxps`
    /// returns its second operand), nearest even (`vcvtps2dq`).
    @inline(__always)
    static func quantizedLanes(_ x: SIMD8<Float>, _ factors: SIMD8<Float>, _ bounds: SIMD8<Float>) -> SIMD8<Int32> {
        #if DEIT_AVX2 || DEIT_AVX512
        let clamped = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(x, factors), -bounds), bounds)
        return unsafeBitCast(_mm256_cvtps_epi32(clamped), to: SIMD8<Int32>.self)
        #else
        var out = SIMD8<Int32>()
        for lane in 0..<8 { out[lane] = Int32(quantized(x[lane] * factors[lane], bound: Int(bounds[lane]))) }
        return out
        #endif
    }

    /// Packs one head's keys (scale folded into their scales) and its values into 16-bit panels.
    public static func packHead(
        tokens: Int, headDim: Int,
        k: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        v: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        ldQKV: Int,
        scale: Float,
        packedKeys: UnsafeMutableRawPointer,  // [packedKeysByteCount(tokens, headDim)] bytes
        packedValues: UnsafeMutableRawPointer  // [packedValuesByteCount(tokens, headDim)] bytes
    ) {
        guard tokens > 0, headDim > 0 else { return }
        packKeys(tokens: tokens, headDim: headDim, k: k, ldK: ldQKV, scale: scale, into: packedKeys)
        packValues(tokens: tokens, headDim: headDim, v: v, ldV: ldQKV, into: packedValues)
    }

    /// Panel p (width w = `AttentionTiles.width`): w floats, column j's scale·max|k_j|/limit (0 past
    /// the tokens), then pairCount rows of w words, row r column j holding k_j's elements 2r and 2r+1.
    static func packKeys(
        tokens: Int, headDim: Int,
        k: UnsafePointer<Float>, ldK: Int,  // [tokens, headDim], row stride ldK
        scale: Float,
        into packed: UnsafeMutableRawPointer  // [packedKeysByteCount(tokens, headDim)] bytes
    ) {
        let pairs = pairCount(headDim)
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: pairCount(maximumHeadDim)) { buffer in
            guard let row = buffer.baseAddress else { return }  // [pairs]: one key quantised
            let rowHalves = halves(row)
            forEachPanel(columns: tokens, pairs: pairs, packed: packed) { first, width, scales, words in
                for column in 0..<width {
                    guard first &+ column < tokens else {
                        scales[column] = 0
                        for r in 0..<pairs { words[r &* width &+ column] = 0 }
                        continue
                    }
                    scales[column] = quantizeRow(k + (first &+ column) &* ldK, count: headDim, into: rowHalves) * scale
                    for r in 0..<pairs { words[r &* width &+ column] = row[r] }
                }
            }
        }
    }

    /// V as the B of out = E·V ([tokens, headDim]): each head column d quantised over the tokens to
    /// |v| ≤ ``limit`` with scale max_s|v[s, d]|/limit, in panels of head columns laid out as the
    /// keys' (w floats of scales, then ⌈tokens/2⌉ rows of w words: row r holds tokens 2r and 2r+1).
    static func packValues(
        tokens: Int, headDim: Int,
        v: UnsafePointer<Float>, ldV: Int,  // [tokens, headDim], row stride ldV
        into packed: UnsafeMutableRawPointer  // [packedValuesByteCount(tokens, headDim)] bytes
    ) {
        let pairs = pairCount(tokens)
        let bounds = SIMD8<Float>(repeating: Float(limit))
        forEachPanel(columns: headDim, pairs: pairs, packed: packed) { first, width, scales, words in
            var block = 0  // 8 columns at a time; those past headDim are zero
            while block < width {
                let columns = min(8, headDim &- first &- block)  // 1...8
                let source = v + (first &+ block)  // [tokens, columns], row stride ldV
                @inline(__always) func load(_ token: Int) -> SIMD8<Float> {
                    if columns == 8 { return loadSIMD8(source + token &* ldV) }
                    var lanes = SIMD8<Float>()
                    for lane in 0..<columns { lanes[lane] = source[token &* ldV &+ lane] }
                    return lanes
                }
                var maxima = SIMD8<Float>()
                for token in 0..<tokens { maxima = largerMagnitudes(load(token), maxima) }
                var factors = SIMD8<Float>()
                for lane in 0..<8 {
                    factors[lane] = Int8GEMM.inverseStep(maxima[lane], limit: limit)
                    scales[block &+ lane] = maxima[lane] / Float(limit)
                }
                for r in 0..<pairs {
                    let even = quantizedLanes(load(2 &* r), factors, bounds)
                    let odd = 2 &* r &+ 1 < tokens ? quantizedLanes(load(2 &* r &+ 1), factors, bounds) : SIMD8()
                    let pair = (odd &<< 16) | (even & SIMD8(repeating: 0xFFFF))
                    UnsafeMutableRawPointer(words + (r &* width &+ block)).storeBytes(of: pair, as: SIMD8<Int32>.self)
                }
                block &+= 8
            }
        }
    }

    /// The walk both packings share: per panel of `AttentionTiles.width` columns (the last one's
    /// columns past `columns` included), its first column, width, scales [width] and words
    /// [pairs, width], the panels back to back from `packed`.
    @inline(__always)
    private static func forEachPanel(
        columns: Int, pairs: Int, packed: UnsafeMutableRawPointer,
        _ body: (_ first: Int, _ width: Int, _ scales: UnsafeMutablePointer<Float>,
                 _ words: UnsafeMutablePointer<Int32>) -> Void
    ) {
        var panelStart = packed
        var first = 0
        while first < columns {
            let width = AttentionTiles.width(ofPanel: first / AttentionTiles.panelWidth, n: columns)
            body(first, width, panelStart.assumingMemoryBound(to: Float.self),
                 (panelStart + 4 &* width).assumingMemoryBound(to: Int32.self))
            panelStart += 4 &* width &* (pairs &+ 1)
            first &+= width
        }
    }

    /// A row of words as its 16-bit halves (low half first: x86 and aarch64 are little-endian).
    @inline(__always)
    private static func halves(_ words: UnsafeMutablePointer<Int32>) -> UnsafeMutablePointer<Int16> {
        UnsafeMutableRawPointer(words).assumingMemoryBound(to: Int16.self)
    }

    /// The largest quantised probability of `tokens`-long rows: the E·V sums of at most
    /// tokens·probabilityLimit·limit stay below 2³¹ (2047 up to 512 tokens, 1818 at 577).
    static func probabilityLimit(tokens: Int) -> Int {
        min(limit, Int(Int32.max) / (max(tokens, 1) &* limit))
    }

    /// out[t, 0..<hd] = Σ_s softmax_s(q_t·(scale·k_s)) v_s for the query rows t in `queryRows`, with
    /// both products on 16-bit integers: S = Q·(scale·K)ᵀ from Q quantised per row, then E =
    /// exp(S − rowmax) (f32, in (0, 1]) quantised with the fixed step 1/probabilityLimit and
    /// out = E·V with V per column and 1/Σ E folded into each row's scale. Arguments as
    /// `AttentionKernel.rows`, with the panels from `packHead` and `scratch` holding
    /// `scratchCount(min(queryRows.count, 64), tokens, headDim)` floats.
    public static func rows(
        _ queryRows: Range<Int>,
        tokens: Int, headDim: Int,
        q: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        ldQKV: Int,
        packedKeys: UnsafeRawPointer,  // [packedKeysByteCount(tokens, headDim)] bytes, from packHead
        packedValues: UnsafeRawPointer,  // [packedValuesByteCount(tokens, headDim)] bytes, from packHead
        scratch: UnsafeMutablePointer<Float>,  // [scratchCount(min(queryRows.count, 64), tokens, headDim)]
        out: UnsafeMutablePointer<Float>, ldOut: Int,  // [tokens, headDim]
        probabilities: UnsafeMutablePointer<Float>? = nil,  // [probabilityRows, tokens]
        probabilityRows: Int = 0
    ) {
        guard tokens > 0, headDim > 0, !queryRows.isEmpty else { return }
        let pieceRows = min(queryRows.count, AttentionKernel.rowsPerPiece)
        let queryPairs = pairCount(headDim), tokenPairs = pairCount(tokens)
        let probabilityLimit = probabilityLimit(tokens: tokens)
        let scores = scratch  // [pieceRows, tokens]: S, then E
        let quantizedQueries = UnsafeMutableRawPointer(scratch + pieceRows &* tokens)
            .assumingMemoryBound(to: Int32.self)  // [pieceRows, queryPairs]
        let queryScales = scratch + pieceRows &* (tokens &+ queryPairs)  // [pieceRows]
        let quantizedE = UnsafeMutableRawPointer(queryScales + pieceRows)
            .assumingMemoryBound(to: Int32.self)  // [pieceRows, tokenPairs]
        let eScales = queryScales + pieceRows &* (1 &+ tokenPairs)  // [pieceRows]
        var first = queryRows.lowerBound
        while first < queryRows.upperBound {
            let m = min(pieceRows, queryRows.upperBound - first)
            for row in 0..<m {
                queryScales[row] = quantizeRow(
                    q + (first &+ row) &* ldQKV, count: headDim,
                    into: halves(quantizedQueries + row &* queryPairs))
            }
            Int16AttentionTiles.multiply(m: m, n: tokens, pairs: queryPairs, a: quantizedQueries, aScales: queryScales,
                                         packed: packedKeys, c: scores, ldc: tokens)
            for row in 0..<m {
                let e = scores + row &* tokens
                let inverseSum = 1 / SoftmaxKernel.exponentiateRow(e, count: tokens)
                if let probabilities, first &+ row < probabilityRows {
                    Elementwise.scale(e, by: inverseSum, count: tokens, into: probabilities + (first &+ row) &* tokens)
                }
                quantize(e, count: tokens, factor: Float(probabilityLimit), bound: probabilityLimit,
                         into: halves(quantizedE + row &* tokenPairs))
                eScales[row] = inverseSum / Float(probabilityLimit)
            }
            Int16AttentionTiles.multiply(m: m, n: headDim, pairs: tokenPairs, a: quantizedE, aScales: eScales,
                                         packed: packedValues, c: out + first &* ldOut, ldc: ldOut)
            first += m
        }
    }
}
