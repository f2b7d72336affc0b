/// Scaled dot-product attention for one head, built from the packed GEMM and the softmax kernel:
/// S = Q·(scale·K)ᵀ, row-wise softmax, out = S·V.
///
/// Split in two so a worker pool can share the work: ``packHead`` packs the head's `scale·K` and `V`
/// into GEMM panels once, then ``rows`` handles any block of query rows against them with only a
/// `rows × tokens` score buffer (small enough to stay in L1/L2: no T×T round trip through memory).
/// Blocks of rows are independent, so they may run on different threads in any order.
public enum AttentionKernel {
    /// Floats of one head's packed `scale·K` (the "weight" of S = Q·Kᵀ: n = tokens, k = headDim).
    public static func packedKeysCount(tokens: Int, headDim: Int) -> Int {
        PackedGEMM.packedCount(n: tokens, k: headDim)
    }

    /// Floats of one head's packed `V` (the "weight" of out = P·V, read as Vᵀ: n = headDim, k = tokens).
    public static func packedValuesCount(tokens: Int, headDim: Int) -> Int {
        PackedGEMM.packedCount(n: headDim, k: tokens)
    }

    /// Floats of score scratch for a block of `rows` query rows.
    public static func scoresCount(rows: Int, tokens: Int) -> Int {
        SaturatingArithmetic.product(rows, tokens)
    }

    /// Packs one head's `scale·K` and `V` (rows of the qkv buffer, row stride `ldQKV`) into panels.
    public static func packHead(
        tokens: Int, headDim: Int,
        k: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        v: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        ldQKV: Int,
        scale: Float,
        packedKeys: UnsafeMutablePointer<Float>,  // [packedKeysCount(tokens, headDim)]
        packedValues: UnsafeMutablePointer<Float>  // [packedValuesCount(tokens, headDim)]
    ) {
        guard tokens > 0, headDim > 0 else { return }
        // K rows are the "weight" rows of Q·Kᵀ, with the scale folded in.
        PackedGEMM.pack(
            matrix: k, n: tokens, k: headDim, nStride: ldQKV, kStride: 1, scale: scale, bias: nil,
            into: packedKeys)
        // Vᵀ is the "weight" of P·V ([headDim, tokens]), so V is read with swapped strides.
        PackedGEMM.pack(
            matrix: v, n: headDim, k: tokens, nStride: 1, kStride: ldQKV, scale: 1, bias: nil,
            into: packedValues)
    }

    /// out[t, 0..<hd] = Σ_s softmax_s(scale · q_t·k_s) v_s for the query rows t in `queryRows`.
    ///
    /// `q` points at the head's first column of row 0 (row stride `ldQKV`); `out` at the head's first
    /// column of row 0 of the output (row stride `ldOut`); only rows in `queryRows` and `headDim`
    /// columns are written.
    public static func rows(
        _ queryRows: Range<Int>,
        tokens: Int, headDim: Int,
        q: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        ldQKV: Int,
        packedKeys: UnsafePointer<Float>,  // [packedKeysCount(tokens, headDim)], from packHead
        packedValues: UnsafePointer<Float>,  // [packedValuesCount(tokens, headDim)], from packHead
        scores: UnsafeMutablePointer<Float>,  // [scoresCount(queryRows.count, tokens)]
        out: UnsafeMutablePointer<Float>, ldOut: Int  // [tokens, headDim]
    ) {
        let m = queryRows.count
        guard m > 0, tokens > 0, headDim > 0 else { return }
        let first = queryRows.lowerBound

        // S = Q·(scale·K)ᵀ for this block: [m, tokens].
        PackedGEMM.multiply(
            m: m, n: tokens, k: headDim, a: q + first * ldQKV, lda: ldQKV, packed: packedKeys,
            c: scores, ldc: tokens, epilogue: .store)
        for row in 0..<m {
            SoftmaxKernel.normalizeRow(scores + row * tokens, count: tokens)
        }
        // out = P·V for this block.
        PackedGEMM.multiply(
            m: m, n: headDim, k: tokens, a: scores, lda: tokens, packed: packedValues,
            c: out + first * ldOut, ldc: ldOut, epilogue: .store)
    }

    /// Floats of scratch one call of ``head(tokens:headDim:q:k:v:ldQKV:scale:scratch:out:ldOut:)``
    /// needs: packed keys, packed values and the T×T scores. Saturates at `Int.max`.
    public static func scratchCount(tokens: Int, headDim: Int) -> Int {
        SaturatingArithmetic.sum(
            SaturatingArithmetic.sum(
                packedKeysCount(tokens: tokens, headDim: headDim),
                packedValuesCount(tokens: tokens, headDim: headDim)),
            scoresCount(rows: tokens, tokens: tokens))
    }

    /// One whole head on the calling thread: ``packHead`` then ``rows`` over all tokens.
    ///
    /// q, k, v point at the head's first column in the qkv buffer ([T, 3D] rows: q | k | v, head h at
    /// column h·hd within each third), row stride `ldQKV`; `out` has row stride `ldOut` and only its
    /// `headDim` columns from `out` are written.
    public static func head(
        tokens: Int, headDim: Int,
        q: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        k: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        v: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        ldQKV: Int,
        scale: Float,
        scratch: UnsafeMutablePointer<Float>,  // [scratchCount(tokens, headDim)]
        out: UnsafeMutablePointer<Float>, ldOut: Int  // [tokens, headDim]
    ) {
        guard tokens > 0, headDim > 0 else { return }
        let packedKeys = scratch  // [packedKeysCount]
        let packedValues = packedKeys + packedKeysCount(tokens: tokens, headDim: headDim)  // [packedValuesCount]
        let scores = packedValues + packedValuesCount(tokens: tokens, headDim: headDim)  // [tokens, tokens]
        packHead(
            tokens: tokens, headDim: headDim, k: k, v: v, ldQKV: ldQKV, scale: scale,
            packedKeys: packedKeys, packedValues: packedValues)
        rows(
            0..<tokens, tokens: tokens, headDim: headDim, q: q, ldQKV: ldQKV, packedKeys: packedKeys,
            packedValues: packedValues, scores: scores, out: out, ldOut: ldOut)
    }
}
