import DeiTKernelTable

/// The optional outputs of a forward pass besides the logits, each nil when not wanted. A plain value
/// of pointers the caller sized and owns, so passing one allocates nothing.
///
/// A new tap is one more optional pointer here, with its shape, plus the lines in `forward` that fill
/// it; the next planned one is attention maps, (depth, heads, T, T) softmax(Q·Kᵀ) per block.
struct ForwardTaps {
    /// (depth + 1, T, D): the residual stream after the embedding and after each block. When set,
    /// the last block runs on every row instead of the prefix rows only (same bits for those rows).
    var capture: UnsafeMutablePointer<Float>? = nil
    /// Time per op class, added to what the profile already holds.
    var profile: UnsafeMutablePointer<ForwardProfile>? = nil
    /// (D): the pooled features before the head, timm's `forward_head(x, pre_logits=True)`: the final
    /// LayerNorm of the class token, the mean of the patch tokens with fc_norm (or of the normed patch
    /// tokens), or for distilled models (class + distillation token) / 2.
    var features: UnsafeMutablePointer<Float>? = nil
}

extension Session {
    /// LayerNorm epsilon of timm's ViT/DeiT (`partial(nn.LayerNorm, eps=1e-6)`).
    static let layerNormEpsilon: Float = 1e-6

    /// GEMM tasks per thread, at most (a task is a run of whole panels). With two threads, 4 per
    /// thread left up to half a task of imbalance at the end of each step; 16 — one or two panels per
    /// task on DeiT-Ti, still ≥ 10 µs of work each — measured 2–3 % faster at two threads and the same
    /// at one (alternating A/B runs).
    static let gemmTasksPerThread = 16

    /// The forward pass with timm's semantics. Pointer arithmetic and kernel calls only: every buffer
    /// was planned and placed, and the worker threads started, when the session was created, so nothing
    /// here allocates. Work is split over GEMM panels and over (head, block of query rows); every
    /// output element is computed by the same instructions whatever the split, so the logits do not
    /// depend on the thread count. `logits` receives `outputDim` floats: the head's C, or the features
    /// (D) of a headless model; nil skips the head (a features-only run).
    func forward(input: UnsafePointer<Float>, logits: UnsafeMutablePointer<Float>?, taps: ForwardTaps) {
        let capture = taps.capture
        let config = model.config
        let weights = self.weights
        let kernels = pool.kernels
        let b = buffers
        let t = config.numTokens, d = config.embedDim, hd = config.headDim, h = config.mlpHiddenDim
        let prefixCount = config.numPrefixTokens
        let tokenFloats = t * d
        var clock = ProfileClock(taps.profile)

        // Patch embedding: a stride-P convolution, as im2col + GEMM, written below the prefix tokens.
        kernels.extractPatches(input, config.inChannels, config.imageSize, config.patchSize, b.patches)
        linear(m: config.numPatches, a: b.patches, lda: config.patchValues,
               weights: weights.patchEmbed, c: b.tokens + prefixCount * d, ldc: d, epilogue: .store)
        clock.lap(.patchEmbed)
        b.tokens.update(from: weights.classToken, count: d)
        if let distToken = weights.distToken { (b.tokens + d).update(from: distToken, count: d) }
        if config.noEmbedClass {
            // DeiT III: pos_embed covers the patches only; the class token gets none.
            kernels.add(weights.posEmbed, b.tokens + prefixCount * d, config.numPatches * d)
        } else {
            kernels.add(weights.posEmbed, b.tokens, tokenFloats)
        }
        capture?.update(from: b.tokens, count: tokenFloats)
        clock.lap(.other)

        let scale = 1 / Float(hd).squareRoot()
        // With class-token pooling the last block's output rows other than the prefix reach nothing.
        let lastBlock = config.globalPool == .token ? weights.blocks.count - 1 : -1
        for (index, block) in weights.blocks.enumerated() {
            // After the last block only the prefix tokens reach a head. Its keys and values need every
            // token, but its queries, proj, LN2 and MLP only the prefix rows — unless every block's
            // output is being captured, or the head reads the mean of all patch tokens. Each of those
            // ops is row by row, so the bits are the same.
            let rows = index == lastBlock && capture == nil ? prefixCount : t

            // x = x + proj(attention(LN1(x)))
            layerNorm(rows: t, width: d, x: b.tokens, gamma: block.norm1Gamma, beta: block.norm1Beta, out: b.normed1)
            clock.lap(.layerNorm)
            linear(m: t, a: b.normed1, lda: d, weights: block.qkv, c: b.qkv, ldc: 3 * d, epilogue: .store)
            clock.lap(.qkv)
            attention(scale: scale, queryRows: rows)
            clock.lap(.attention)
            linear(m: rows, a: b.heads, lda: d, weights: block.proj, c: b.tokens, ldc: d, epilogue: .accumulate)
            clock.lap(.proj)

            // x = x + fc2(GELU(fc1(LN2(x))))
            layerNorm(rows: rows, width: d, x: b.tokens, gamma: block.norm2Gamma, beta: block.norm2Beta, out: b.normed2)
            clock.lap(.layerNorm)
            if clock.isProfiling {
                // Profiled: GELU as its own pass to time it (same function on the same values, so the
                // same results as the fused epilogue).
                linear(m: rows, a: b.normed2, lda: d, weights: block.fc1, c: b.hidden, ldc: h, epilogue: .store)
                clock.lap(.mlp)
                let chunks = pool.chunkCount(of: rows, tasksPerThread: 2)
                pool.run(.gelu(GELUStep(x: b.hidden, rows: rows, width: h, chunks: chunks)), taskCount: chunks)
                clock.lap(.gelu)
            } else {
                linear(m: rows, a: b.normed2, lda: d, weights: block.fc1, c: b.hidden, ldc: h, epilogue: .gelu)
            }
            linear(m: rows, a: b.hidden, lda: h, weights: block.fc2, c: b.tokens, ldc: d, epilogue: .accumulate)
            clock.lap(.mlp)
            if let capture { (capture + (index + 1) * tokenFloats).update(from: b.tokens, count: tokenFloats) }
        }

        switch config.globalPool {
        case .token:
            // Only the prefix tokens reach a head, so the final LayerNorm runs on those rows alone
            // (`norm` before pooling or `fc_norm` after it: the same on one row).
            kernels.layerNorm(prefixCount, d, b.tokens, d, weights.normGamma, weights.normBeta,
                              Session.layerNormEpsilon, b.prefix, d)
        case .average:
            averagePool(config: config, weights: weights)
        }
        clock.lap(.layerNorm)
        if let features = taps.features { pooledFeatures(into: features) }
        if let logits {
            let classes = config.numClasses
            if let head = weights.head {
                linear(m: 1, a: b.prefix, lda: d, weights: head, c: logits, ldc: classes, epilogue: .store)
            } else {
                pooledFeatures(into: logits)  // headless: timm's forward returns the features
            }
            if let headDist = weights.headDist {
                // Distilled models at inference: the mean of head(cls) and head_dist(dist), as timm.
                linear(m: 1, a: b.prefix + d, lda: d, weights: headDist, c: b.headDist, ldc: classes,
                       epilogue: .store)
                for i in 0..<classes { logits[i] = (logits[i] + b.headDist[i]) * 0.5 }
            }
        }
        clock.lap(.other)
        clock.finish()
    }

    /// The pooled features (D floats) from b.prefix: row 0, or for distilled models the mean of the
    /// class and distillation rows, `(x + x_dist) / 2` as timm's `forward_head(pre_logits=True)`.
    private func pooledFeatures(into out: UnsafeMutablePointer<Float>) {
        let prefix = buffers.prefix, d = model.config.embedDim
        if model.config.distilled {
            for i in 0..<d { out[i] = (prefix[i] + prefix[d + i]) * 0.5 }
        } else {
            out.update(from: prefix, count: d)
        }
    }

    /// timm's average pooling into b.prefix row 0: the mean of the patch rows (prefix tokens
    /// excluded), with `fc_norm` after it, or `norm` on every patch row before it. b.prefix row 1 is
    /// scratch.
    private func averagePool(config: ModelConfig, weights: PackedWeights) {
        let b = buffers
        let d = config.embedDim, first = config.numPrefixTokens, count = config.numPatches
        let pooled = b.prefix, scratch = b.prefix + d
        let epsilon = Session.layerNormEpsilon
        let kernels = pool.kernels
        if config.fcNorm {
            scratch.update(from: b.tokens + first * d, count: d)
            for row in 1..<count { kernels.add(b.tokens + (first + row) * d, scratch, d) }
            for i in 0..<d { scratch[i] /= Float(count) }
            kernels.layerNorm(1, d, scratch, d, weights.normGamma, weights.normBeta, epsilon, pooled, d)
        } else {
            kernels.layerNorm(1, d, b.tokens + first * d, d, weights.normGamma, weights.normBeta, epsilon, pooled, d)
            for row in 1..<count {
                kernels.layerNorm(1, d, b.tokens + (first + row) * d, d, weights.normGamma, weights.normBeta,
                                  epsilon, scratch, d)
                kernels.add(scratch, pooled, d)
            }
            for i in 0..<d { pooled[i] /= Float(count) }
        }
    }

    /// C [m, n] = epilogue(A [m, k] · Wᵀ + b) for a Linear layer's `weights` (W [n, k], b [n]): the one
    /// entry for every Linear layer, switching on the weights' format once per call. Packed Float32:
    /// the panels of W shared out over the threads; plain Float32 (the OpenBLAS build): OpenBLAS runs
    /// it (BLASLinear.swift).
    private func linear(m: Int, a: UnsafePointer<Float>, lda: Int, weights: LinearWeights,
                        c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: GEMMEpilogue) {
        switch weights.format {
        case .packedF32(let panelWidth):
            let n = weights.n, k = weights.k
            let panelCount = PanelPacking.panelCount(n: n, panelWidth: panelWidth)
            let chunks = pool.chunkCount(of: panelCount, tasksPerThread: Session.gemmTasksPerThread)
            pool.run(.linear(LinearStep(m: m, n: n, k: k, a: a, lda: lda, packed: weights.floats, c: c, ldc: ldc,
                                        epilogue: epilogue, panelCount: panelCount, chunks: chunks)),
                     taskCount: chunks)
        case .plainF32:
            blasLinear(m: m, a: a, lda: lda, weights: weights, c: c, ldc: ldc, epilogue: epilogue)
        }
    }

    /// LayerNorm of `rows` rows of `width` (row stride `width` in and out), split into row ranges over
    /// the threads: each row is normalised on its own, so the split does not change the bits.
    private func layerNorm(rows: Int, width: Int, x: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                           beta: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let chunks = pool.chunkCount(of: rows, tasksPerThread: 2)
        pool.run(.layerNorm(LayerNormStep(x: x, gamma: gamma, beta: beta, out: out, rows: rows, width: width,
                                          chunks: chunks)),
                 taskCount: chunks)
    }

    /// Multi-head attention from b.qkv into b.heads for the first `queryRows` query rows: every head's
    /// K and V (all tokens) packed once (one task per head), then one task per (head, block of R query
    /// rows), each worker with its own scores.
    private func attention(scale: Float, queryRows: Int) {
        let config = model.config
        let t = config.numTokens
        let rowBlock = min(ActivationPlan.attentionRowBlock, t)
        let step = AttentionStep(
            tokens: t, headDim: config.headDim, width: config.embedDim, scale: scale, qkv: buffers.qkv,
            packedKeys: buffers.packedKeys, packedValues: buffers.packedValues,
            packedKeysCount: plan.packedKeysCount, packedValuesCount: plan.packedValuesCount,
            scores: buffers.scores, out: buffers.heads, queryRows: queryRows, rowBlock: rowBlock,
            blocksPerHead: (queryRows + rowBlock - 1) / rowBlock)
        pool.run(.packHeads(step), taskCount: config.numHeads)
        pool.run(.attentionRows(step), taskCount: config.numHeads * step.blocksPerHead)
    }
}
