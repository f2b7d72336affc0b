/// Scaled dot-product attention for one head, built from the packed GEMM and the softmax kernel:
/// S = Q·(scale·K)ᵀ, row-wise softmax, out = S·V.
public enum AttentionKernel {
    /// Floats of scratch one call of ``head(tokens:headDim:q:k:v:ldQKV:scale:scratch:out:ldOut:)``
    /// needs: the T×T scores plus room for K or V packed into GEMM panels (they are used one after the
    /// other, so they share it). Saturates at `Int.max` instead of overflowing.
    public static func scratchCount(tokens: Int, headDim: Int) -> Int {
        let scores = SaturatingArithmetic.product(tokens, tokens)
        let packedKeys = PackedGEMM.packedCount(n: tokens, k: headDim)
        let packedValues = PackedGEMM.packedCount(n: headDim, k: tokens)
        return SaturatingArithmetic.sum(scores, max(packedKeys, packedValues))
    }

    /// One head: out[t, 0..<hd] = Σ_s softmax_s(scale · q_t·k_s) v_s for t in 0..<tokens.
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
        let scores = scratch  // [tokens, tokens]
        let panels = scratch + tokens * tokens  // packed scale·K, later packed V

        // S = Q · (scale·K)ᵀ: K rows are the "weight" rows, the scale folded in while packing.
        PackedGEMM.pack(
            matrix: k, n: tokens, k: headDim, nStride: ldQKV, kStride: 1, scale: scale, bias: nil,
            into: panels)
        PackedGEMM.multiply(
            m: tokens, n: tokens, k: headDim, a: q, lda: ldQKV, packed: panels,
            c: scores, ldc: tokens, epilogue: .store)

        for row in 0..<tokens {
            SoftmaxKernel.normalizeRow(scores + row * tokens, count: tokens)
        }

        // out = P · V: Vᵀ is the "weight" ([headDim, tokens]), so V is read with swapped strides.
        PackedGEMM.pack(
            matrix: v, n: headDim, k: tokens, nStride: 1, kStride: ldQKV, scale: 1, bias: nil,
            into: panels)
        PackedGEMM.multiply(
            m: tokens, n: headDim, k: tokens, a: scores, lda: tokens, packed: panels,
            c: out, ldc: ldOut, epilogue: .store)
    }
}
