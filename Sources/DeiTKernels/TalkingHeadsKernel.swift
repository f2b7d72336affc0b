import DeiTKernelTable

/// Talking-heads attention (Shazeer et al. 2020, as in CaiT's patch blocks) for a block of query rows,
/// all heads at once: per head S_h = Q_h·(scale·K_h)ᵀ; L_g = b_l[g] + Σ_h W_l[g, h]·S_h (timm's
/// `proj_l` across the heads); P_g = softmax(L_g) per row; A_g = b_w[g] + Σ_h W_w[g, h]·P_h
/// (`proj_w`); out_g = A_g·V_g.
///
/// The mixes need every head's scores of a query row, so the work is split over blocks of query rows
/// (not over heads), each with `2·heads·rows·tokens` floats of scratch. K and V come packed per head
/// by ``AttentionKernel/packHead``. Every query row is computed by the same instructions whatever
/// block it is in, so the split over threads does not change the bits.
public enum TalkingHeadsKernel {
    /// Floats of scratch for a block of `rows` query rows.
    public static func scratchCount(rows: Int, heads: Int, tokens: Int) -> Int {
        SaturatingArithmetic.product(SaturatingArithmetic.product(2 * heads, rows), tokens)
    }

    /// out[t, h·hd ..< (h+1)·hd] for the query rows t in `queryRows` and every head h.
    public static func rows(
        _ queryRows: Range<Int>,
        tokens: Int, heads: Int, headDim: Int,
        q: UnsafePointer<Float>, ldQKV: Int,  // [tokens, heads·headDim], row stride ldQKV
        packedKeys: UnsafePointer<Float>, packedKeysStride: Int,  // [heads, stride], from packHead
        packedValues: UnsafePointer<Float>, packedValuesStride: Int,  // [heads, stride], from packHead
        logitsMix: UnsafePointer<Float>, logitsBias: UnsafePointer<Float>,  // [heads, heads], [heads]
        weightsMix: UnsafePointer<Float>, weightsBias: UnsafePointer<Float>,  // [heads, heads], [heads]
        scratch: UnsafeMutablePointer<Float>,  // [scratchCount(queryRows.count, heads, tokens)]
        out: UnsafeMutablePointer<Float>, ldOut: Int  // [tokens, heads·headDim]
    ) {
        let m = queryRows.count
        guard m > 0, tokens > 0, heads > 0, headDim > 0 else { return }
        let plane = m * tokens
        let scores = scratch                  // [heads, m, tokens]: S, then A
        let mixed = scratch + heads * plane   // [heads, m, tokens]: L, then P
        let first = queryRows.lowerBound
        for head in 0..<heads {
            AttentionTiles.multiply(
                m: m, n: tokens, k: headDim, a: q + first * ldQKV + head * headDim, lda: ldQKV,
                packed: packedKeys + head * packedKeysStride, rowScales: nil, c: scores + head * plane, ldc: tokens)
        }
        mix(scores, into: mixed, weight: logitsMix, bias: logitsBias, heads: heads, count: plane)
        for row in 0..<(heads * m) {
            SoftmaxKernel.normalizeRow(mixed + row * tokens, count: tokens)
        }
        mix(mixed, into: scores, weight: weightsMix, bias: weightsBias, heads: heads, count: plane)
        for head in 0..<heads {
            AttentionTiles.multiply(
                m: m, n: headDim, k: tokens, a: scores + head * plane, lda: tokens,
                packed: packedValues + head * packedValuesStride, rowScales: nil,
                c: out + first * ldOut + head * headDim, ldc: ldOut)
        }
    }

    /// into[g] = bias[g] + Σ_h weight[g, h]·from[h] over planes of `count` floats (h in order).
    static func mix(
        _ from: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>,  // [heads, count] each
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,  // [heads, heads], [heads]
        heads: Int, count: Int
    ) {
        for target in 0..<heads {
            let destination = into + target * count
            destination.update(repeating: bias[target], count: count)
            for source in 0..<heads {
                let w = weight[target * heads + source]
                let plane = from + source * count
                for i in 0..<count { destination[i] += w * plane[i] }
            }
        }
    }
}
