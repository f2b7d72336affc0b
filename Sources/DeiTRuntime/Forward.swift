import DeiTKernels

extension Session {
    /// LayerNorm epsilon of timm's ViT/DeiT (`partial(nn.LayerNorm, eps=1e-6)`).
    static let layerNormEpsilon: Float = 1e-6

    /// The forward pass with timm's semantics. Pointer arithmetic and kernel calls only: every buffer
    /// was planned and placed when the session was created, so nothing here allocates.
    func forward(input: UnsafePointer<Float>, logits: UnsafeMutablePointer<Float>,
                 capture: UnsafeMutablePointer<Float>?) {
        let config = model.config
        let weights = model.weights
        let b = buffers
        let t = config.numTokens, d = config.embedDim, hd = config.headDim, h = config.mlpHiddenDim
        let prefixCount = config.numPrefixTokens
        let tokenFloats = t * d

        // Patch embedding: a stride-P convolution, as im2col + GEMM, written below the prefix tokens.
        PatchKernel.extractPatches(image: input, channels: config.inChannels, imageSize: config.imageSize,
                                   patchSize: config.patchSize, out: b.patches)
        PackedGEMM.multiply(m: config.numPatches, n: d, k: config.patchValues, a: b.patches, lda: config.patchValues,
                            packed: weights.patchEmbed, c: b.tokens + prefixCount * d, ldc: d, epilogue: .store)
        b.tokens.update(from: weights.classToken, count: d)
        if let distToken = weights.distToken { (b.tokens + d).update(from: distToken, count: d) }
        Elementwise.add(weights.posEmbed, into: b.tokens, count: tokenFloats)
        capture?.update(from: b.tokens, count: tokenFloats)

        let scale = 1 / Float(hd).squareRoot()
        for (index, block) in weights.blocks.enumerated() {
            // x = x + proj(attention(LN1(x)))
            LayerNormKernel.normalize(rows: t, width: d, x: b.tokens, ldx: d, gamma: block.norm1Gamma,
                                      beta: block.norm1Beta, epsilon: Session.layerNormEpsilon, out: b.normed1, ldOut: d)
            PackedGEMM.multiply(m: t, n: 3 * d, k: d, a: b.normed1, lda: d, packed: block.qkv,
                                c: b.qkv, ldc: 3 * d, epilogue: .store)
            for head in 0..<config.numHeads {
                let q = b.qkv + head * hd
                AttentionKernel.head(tokens: t, headDim: hd, q: q, k: q + d, v: q + 2 * d, ldQKV: 3 * d, scale: scale,
                                     scratch: b.attentionScratch, out: b.heads + head * hd, ldOut: d)
            }
            PackedGEMM.multiply(m: t, n: d, k: d, a: b.heads, lda: d, packed: block.proj,
                                c: b.tokens, ldc: d, epilogue: .accumulate)

            // x = x + fc2(GELU(fc1(LN2(x))))
            LayerNormKernel.normalize(rows: t, width: d, x: b.tokens, ldx: d, gamma: block.norm2Gamma,
                                      beta: block.norm2Beta, epsilon: Session.layerNormEpsilon, out: b.normed2, ldOut: d)
            PackedGEMM.multiply(m: t, n: h, k: d, a: b.normed2, lda: d, packed: block.fc1,
                                c: b.hidden, ldc: h, epilogue: .gelu)
            PackedGEMM.multiply(m: t, n: d, k: h, a: b.hidden, lda: h, packed: block.fc2,
                                c: b.tokens, ldc: d, epilogue: .accumulate)
            if let capture { (capture + (index + 1) * tokenFloats).update(from: b.tokens, count: tokenFloats) }
        }

        // Only the prefix tokens reach a head, so the final LayerNorm runs on those rows alone.
        LayerNormKernel.normalize(rows: prefixCount, width: d, x: b.tokens, ldx: d, gamma: weights.normGamma,
                                  beta: weights.normBeta, epsilon: Session.layerNormEpsilon, out: b.prefix, ldOut: d)
        let classes = config.numClasses
        PackedGEMM.multiply(m: 1, n: classes, k: d, a: b.prefix, lda: d, packed: weights.head,
                            c: logits, ldc: classes, epilogue: .store)
        if let headDist = weights.headDist {
            // Distilled models at inference: the mean of head(cls) and head_dist(dist), as timm.
            PackedGEMM.multiply(m: 1, n: classes, k: d, a: b.prefix + d, lda: d, packed: headDist,
                                c: b.headDist, ldc: classes, epilogue: .store)
            for i in 0..<classes { logits[i] = (logits[i] + b.headDist[i]) * 0.5 }
        }
    }
}
