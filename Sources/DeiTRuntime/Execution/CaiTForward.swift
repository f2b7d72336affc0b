import DeiTKernelTable
// Layout arithmetic only (`TalkingHeadsKernel.scratchCount`); the kernels run through the session's
// `KernelTable`.
import DeiTKernels

extension Session {
    /// CaiT's forward pass with timm's semantics (`Cait.forward`): the patch tokens alone run through
    /// the talking-heads blocks; then the class token, joined to them, runs through the
    /// class-attention blocks, which update it alone; the final LayerNorm, pooling and head as for a
    /// ViT. Same rules as `forward`: planned buffers only, no allocation, the same bits whatever the
    /// thread count.
    ///
    /// b.tokens is (T, D) = [class token, N patch tokens]: the patch blocks work on rows 1…N, so the
    /// class-attention blocks find [cls, patches] in place and the capture tap sees the (unchanged)
    /// class token in row 0 of every slice.
    func caitForward(input: UnsafePointer<Float>, logits: UnsafeMutablePointer<Float>?, taps: ForwardTaps) {
        let config = model.config
        let weights = self.weights, kernels = pool.kernels
        guard let cait = weights.cait else { return }  // a CaiT config always has them (PackedWeights)
        let capture = taps.capture
        let b = buffers
        let t = config.numTokens, n = config.numPatches, d = config.embedDim, h = config.mlpHiddenDim
        let tokenFloats = t * d
        let patches = b.tokens + d   // (N, D): rows 1…N of the residual stream
        var clock = ProfileClock(taps.profile)

        // Patch embedding, then pos_embed on the patches only; the class token waits in row 0.
        kernels.extractPatches(input, config.inChannels, config.imageSize, config.patchSize, b.patches)
        linear(m: n, a: b.patches, lda: config.patchValues, weights: weights.patchEmbed, c: patches, ldc: d,
               epilogue: .store)
        clock.lap(.patchEmbed)
        if let classToken = weights.classToken { b.tokens.update(from: classToken, count: d) }  // CaiT always has one
        kernels.add(weights.posEmbed, patches, n * d)
        capture?.update(from: b.tokens, count: tokenFloats)
        clock.lap(.other)

        let scale = 1 / Float(config.headDim).squareRoot()
        for (index, block) in weights.blocks.enumerated() {
            // x = x + γ₁⊙proj(talking-heads attention(LN1(x))), γ folded into proj at load
            layerNorm(rows: n, width: d, x: patches, gamma: block.norm1Gamma, beta: block.norm1Beta, out: b.normed1)
            clock.lap(.layerNorm)
            linear(m: n, a: b.normed1, lda: d, weights: block.qkv, c: b.qkv, ldc: 3 * d, epilogue: .store)
            clock.lap(.qkv)
            talkingHeadsAttention(scale: scale, mix: cait.mixes[index])
            clock.lap(.attention)
            linear(m: n, a: b.heads, lda: d, weights: block.proj, c: patches, ldc: d, epilogue: .accumulate)
            clock.lap(.proj)
            // x = x + γ₂⊙fc2(GELU(fc1(LN2(x))))
            layerNorm(rows: n, width: d, x: patches, gamma: block.norm2Gamma, beta: block.norm2Beta, out: b.normed2)
            clock.lap(.layerNorm)
            linear(m: n, a: b.normed2, lda: d, weights: block.fc1, c: b.hidden, ldc: h, epilogue: .gelu)
            linear(m: n, a: b.hidden, lda: h, weights: block.fc2, c: patches, ldc: d, epilogue: .accumulate)
            clock.lap(.mlp)
            if let capture { (capture + (index + 1) * tokenFloats).update(from: b.tokens, count: tokenFloats) }
        }

        for block in cait.classBlocks {
            // cls = cls + γ₁⊙proj(ClassAttn(LN1([cls, patches]))): q from the class row, k and v from
            // every row, laid out as the qkv buffer (q | k | v) so the ViT attention step runs it.
            layerNorm(rows: t, width: d, x: b.tokens, gamma: block.norm1Gamma, beta: block.norm1Beta, out: b.normed1)
            clock.lap(.layerNorm)
            linear(m: 1, a: b.normed1, lda: d, weights: block.q, c: b.qkv, ldc: 3 * d, epilogue: .store)
            linear(m: t, a: b.normed1, lda: d, weights: block.k, c: b.qkv + d, ldc: 3 * d, epilogue: .store)
            linear(m: t, a: b.normed1, lda: d, weights: block.v, c: b.qkv + 2 * d, ldc: 3 * d, epilogue: .store)
            clock.lap(.qkv)
            attention(scale: scale, queryRows: 1)
            clock.lap(.attention)
            linear(m: 1, a: b.heads, lda: d, weights: block.proj, c: b.tokens, ldc: d, epilogue: .accumulate)
            clock.lap(.proj)
            // cls = cls + γ₂⊙fc2(GELU(fc1(LN2(cls))))
            layerNorm(rows: 1, width: d, x: b.tokens, gamma: block.norm2Gamma, beta: block.norm2Beta, out: b.normed2)
            clock.lap(.layerNorm)
            let hidden = block.fc1.n
            linear(m: 1, a: b.normed2, lda: d, weights: block.fc1, c: b.hidden, ldc: hidden, epilogue: .gelu)
            linear(m: 1, a: b.hidden, lda: hidden, weights: block.fc2, c: b.tokens, ldc: d, epilogue: .accumulate)
            clock.lap(.mlp)
        }

        // The final norm over [cls, patches], then the class token (or the mean of the patches), and the head.
        poolAndHead(logits: logits, taps: taps, clock: &clock)
        clock.lap(.other)
        clock.finish()
    }

    /// Talking-heads attention from b.qkv (N rows) into b.heads: every head's K and V packed once (one
    /// task per head), then one task per block of R' query rows, all heads together (the mixes need
    /// them), each worker with its own scratch.
    private func talkingHeadsAttention(scale: Float, mix: CaiTWeights.Mix) {
        let config = model.config
        let n = config.numPatches
        let rowBlock = min(ActivationPlan.talkingHeadsRowBlock, n)
        let blocks = (n + rowBlock - 1) / rowBlock
        let attention = AttentionStep(
            tokens: n, headDim: config.headDim, width: config.embedDim, scale: scale, qkv: buffers.qkv,
            packedKeys: buffers.packedKeys, packedValues: buffers.packedValues,
            packedKeysCount: plan.packedKeysCount, packedValuesCount: plan.packedValuesCount,
            scores: buffers.talkingHeadsScores, scoresPerWorker: 0, out: buffers.heads, queryRows: n, rowBlock: rowBlock,
            blocksPerHead: blocks, heads: config.numHeads)
        let step = TalkingHeadsStep(
            attention: attention, heads: config.numHeads, mix: mix,
            scratchPerWorker: TalkingHeadsKernel.scratchCount(rows: rowBlock, heads: config.numHeads, tokens: n))
        pool.run(.packHeads(attention), taskCount: config.numHeads)
        pool.run(.talkingHeadsRows(step), taskCount: blocks)
    }
}
