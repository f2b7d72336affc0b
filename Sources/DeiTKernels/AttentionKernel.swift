import DeiTKernelTable

/// Scaled dot-product attention for one head, built from the attention tiles (`AttentionTiles.swift`)
/// and the softmax kernel: S = Q·(scale·K)ᵀ, E = exp(S − rowmax(S)), out = diag(1/Σ E)·E·V — the
/// softmax's 1/Σ applied to the hd outputs of a row rather than to its T probabilities.
///
/// Split in two so a worker pool can share the work: ``packHead`` packs the head's `scale·K` and `V`
/// into 24-column panels once, then ``rows`` handles any block of query rows against them with only a
/// `rows × tokens` score buffer (small enough to stay in L1/L2: no T×T round trip through memory).
/// Every query row is computed the same way whatever block it is in, so blocks may run on different
/// threads in any order and give the same bits.
public enum AttentionKernel {
    /// Floats of one head's packed `scale·K` (the "weight" of S = Q·Kᵀ: n = tokens, k = headDim).
    public static func packedKeysCount(tokens: Int, headDim: Int) -> Int {
        AttentionTiles.packedCount(n: tokens, k: headDim)
    }

    /// Floats of one head's packed `V` (the B of out = E·V: n = headDim, k = tokens).
    public static func packedValuesCount(tokens: Int, headDim: Int) -> Int {
        AttentionTiles.packedCount(n: headDim, k: tokens)
    }

    /// Floats of score scratch for a block of `rows` query rows.
    public static func scoresCount(rows: Int, tokens: Int) -> Int {
        SaturatingArithmetic.product(rows, tokens)
    }

    /// Packs one head's `scale·K` and `V` (rows of the qkv buffer, row stride `ldQKV`) into the
    /// panels of `AttentionTiles`.
    ///
    /// V is packed too although its panel rows are slices of its own rows: read in place, the rows
    /// 2304 bytes apart cost E·V ≈ 20 % (TLB and cache-line splits), far more than this copy.
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
        // Kᵀ is the B of S = Q·Kᵀ ([headDim, tokens]), with the scale folded in.
        AttentionTiles.pack(
            matrix: k, n: tokens, k: headDim, nStride: ldQKV, kStride: 1, scale: scale, into: packedKeys)
        // V is the B of out = E·V ([tokens, headDim]), i.e. Vᵀ read with swapped strides.
        AttentionTiles.pack(
            matrix: v, n: headDim, k: tokens, nStride: 1, kStride: ldQKV, scale: 1, into: packedValues)
    }

    /// Query rows whose softmax sums ``rows`` keeps at once (on the stack); longer ranges are done
    /// in pieces of this many rows.
    static let rowsPerPiece = 64

    /// out[t, 0..<hd] = Σ_s softmax_s(scale · q_t·k_s) v_s for the query rows t in `queryRows`.
    ///
    /// `q` points at the head's first column of row 0 in the qkv buffer (row stride `ldQKV`);
    /// `out` at the head's first column of row 0 of the output (row stride `ldOut`); only rows in
    /// `queryRows` and `headDim` columns are written.
    ///
    /// `probabilities`, when not nil, receives the softmax rows themselves (E · 1/Σ, the attention
    /// probabilities timm's `attn.softmax(dim=-1)` gives) for the query rows below
    /// `probabilityRows`: row t at `probabilities + t * tokens`. The plain run passes nil and pays one
    /// branch per piece of rows.
    public static func rows(
        _ queryRows: Range<Int>,
        tokens: Int, headDim: Int,
        q: UnsafePointer<Float>,  // [tokens, headDim], row stride ldQKV
        ldQKV: Int,
        packedKeys: UnsafePointer<Float>,  // [packedKeysCount(tokens, headDim)], from packHead
        packedValues: UnsafePointer<Float>,  // [packedValuesCount(tokens, headDim)], from packHead
        scores: UnsafeMutablePointer<Float>,  // [scoresCount(min(queryRows.count, 64), tokens)]
        out: UnsafeMutablePointer<Float>, ldOut: Int,  // [tokens, headDim]
        probabilities: UnsafeMutablePointer<Float>? = nil,  // [probabilityRows, tokens]
        probabilityRows: Int = 0
    ) {
        guard tokens > 0, headDim > 0, !queryRows.isEmpty else { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: rowsPerPiece) { buffer in
            guard let inverseSums = buffer.baseAddress else { return }  // [rowsPerPiece]
            var first = queryRows.lowerBound
            while first < queryRows.upperBound {
                let m = min(rowsPerPiece, queryRows.upperBound - first)
                // S = Q·(scale·K)ᵀ for these rows: [m, tokens].
                AttentionTiles.multiply(
                    m: m, n: tokens, k: headDim, a: q + first * ldQKV, lda: ldQKV, packed: packedKeys,
                    rowScales: nil, c: scores, ldc: tokens)
                // E = exp(S − rowmax) in place; 1/Σ scales the outputs instead of the T probabilities.
                for row in 0..<m {
                    inverseSums[row] = 1 / SoftmaxKernel.exponentiateRow(scores + row * tokens, count: tokens)
                }
                if let probabilities {
                    for row in 0..<max(0, min(m, probabilityRows - first)) {
                        Elementwise.scale(scores + row * tokens, by: inverseSums[row], count: tokens,
                                          into: probabilities + (first + row) * tokens)
                    }
                }
                // out = diag(1/Σ)·E·V.
                AttentionTiles.multiply(
                    m: m, n: headDim, k: tokens, a: scores, lda: tokens, packed: packedValues,
                    rowScales: inverseSums, c: out + first * ldOut, ldc: ldOut)
                first += m
            }
        }
    }

    /// Floats of scratch one call of ``head(tokens:headDim:q:k:v:ldQKV:scale:scratch:out:ldOut:)``
    /// needs: packed keys, packed values and the scores of up to 64 query rows. Saturates at `Int.max`.
    public static func scratchCount(tokens: Int, headDim: Int) -> Int {
        SaturatingArithmetic.sum(
            SaturatingArithmetic.sum(
                packedKeysCount(tokens: tokens, headDim: headDim),
                packedValuesCount(tokens: tokens, headDim: headDim)),
            scoresCount(rows: min(tokens, rowsPerPiece), tokens: tokens))
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
        let scores = packedValues + packedValuesCount(tokens: tokens, headDim: headDim)  // [min(tokens, 64), tokens]
        packHead(
            tokens: tokens, headDim: headDim, k: k, v: v, ldQKV: ldQKV, scale: scale, packedKeys: packedKeys,
            packedValues: packedValues)
        rows(
            0..<tokens, tokens: tokens, headDim: headDim, q: q, ldQKV: ldQKV, packedKeys: packedKeys,
            packedValues: packedValues, scores: scores, out: out, ldOut: ldOut)
    }
}
