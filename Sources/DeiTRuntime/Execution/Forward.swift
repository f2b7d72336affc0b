import DeiTKernelTable
// Layout arithmetic only (`Int8GEMM`'s row lengths, scale groups and panel counts: the same in every
// kernel set); every kernel runs through the session's `KernelTable` (`kernels.…`, ParallelStep).
import DeiTKernels

/// The optional outputs of a forward pass besides the logits, each nil when not wanted. A plain value
/// of pointers the caller sized and owns, so passing one allocates nothing.
///
/// A new tap is one more optional pointer here, with its shape, plus the lines in `forward` that fill
/// it.
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
    /// (T, D): timm's `forward_features`, every token after the final `norm` (the raw last block's
    /// output when the model has fc_norm instead). When set, the last block runs on every row.
    var tokens: UnsafeMutablePointer<Float>? = nil
    /// The attention probabilities of some blocks (`AttentionTap`).
    var attention: AttentionTap? = nil
}

/// Where the softmax(scale·Q·Kᵀ) rows of the blocks in `blocks` go: `maps` holds (blocks.count,
/// heads, rows, T) floats, the first `rows` query rows of each head (the prefix tokens' rows, or all
/// T). Asking for more than the prefix rows of the last block makes it run on every row (same bits).
struct AttentionTap {
    var maps: UnsafeMutablePointer<Float>
    var rows: Int
    var blocks: Range<Int>
}

extension Session {
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
        if model.config.cait != nil { return caitForward(input: input, logits: logits, taps: taps) }
        forward(images: 1, input: input, logits: logits, taps: taps)
    }

    /// The ViT forward pass over `images` images at once (1...`maxBatch`; not CaiT): `input` holds
    /// images × 3·S·S floats, `logits` receives images × `outputDim`. Image i's T tokens are rows
    /// i·T ..< (i+1)·T of the stacked (images·T, D) residual stream: LayerNorm, GELU and every Linear
    /// layer run over all rows at once (each weight matrix streamed once per batch); attention runs per
    /// image and head (every image's heads in the same two parallel steps); patch embedding and the
    /// head run per image. Every op is row by row (the GEMM tiles' arithmetic per
    /// row does not depend on which tile or block a row lands in), so each image's logits are the bits
    /// a single run gives. Taps are for single runs only (`images` 1).
    func forward(images: Int, input: UnsafePointer<Float>, logits: UnsafeMutablePointer<Float>?, taps: ForwardTaps) {
        let capture = taps.capture
        let config = model.config
        let weights = self.weights
        let kernels = pool.kernels
        let b = buffers
        let t = config.numTokens, d = config.embedDim, hd = config.headDim, h = config.mlpHiddenDim
        let prefixCount = config.numPrefixTokens
        let tokenFloats = t * d
        let allRows = images * t
        var clock = ProfileClock(taps.profile)
        // Int8: the steps that write an int8 GEMM's input quantise it too (LN1 for qkv, LN2 for fc1,
        // fc1 for fc2) rather than a quantising step before each of those GEMMs: the rows are quantised
        // while in cache (fc1's floats never leave its workers' strips), and a parallel step — a wait
        // for the slowest thread — goes. The same quantiser on the same floats, so the same bits; the
        // profiled run keeps every op apart to time it (QuantizingStepTests compares the two). fc1's
        // tasks quantise 32 columns — a pair of panels — at a time, so a pair must be one scale group.
        let fusesQuantization = !clock.isProfiling && Int8GEMM.panelWidth * 2 == Int8GEMM.groupSize

        for image in 0..<images {
            let tokens = b.tokens + image * tokenFloats  // (T, D): this image's rows
            // Patch embedding: a stride-P convolution, as im2col + GEMM, written below the prefix tokens.
            kernels.extractPatches(input + image * config.inputCount, config.inChannels, config.imageSize,
                                   config.patchSize, b.patches)
            linear(m: config.numPatches, a: b.patches, lda: config.patchValues,
                   weights: weights.patchEmbed, c: tokens + prefixCount * d, ldc: d, epilogue: .store)
            clock.lap(.patchEmbed)
            // The prefix tokens in timm's order: class, distillation, registers.
            var prefixRow = 0
            if let classToken = weights.classToken {
                tokens.update(from: classToken, count: d)
                prefixRow = 1
            }
            if let distToken = weights.distToken {
                (tokens + prefixRow * d).update(from: distToken, count: d)
                prefixRow += 1
            }
            if let registers = weights.registers {
                (tokens + prefixRow * d).update(from: registers, count: config.regTokens * d)
            }
            if config.noEmbedClass {
                // DeiT III, register models: pos_embed covers the patches only; the prefix tokens get none.
                kernels.add(weights.posEmbed, tokens + prefixCount * d, config.numPatches * d)
            } else {
                kernels.add(weights.posEmbed, tokens, tokenFloats)
            }
        }
        if let gamma = weights.normPreGamma, let beta = weights.normPreBeta {
            // CLIP's norm_pre, in place (the kernel reads each row whole before writing it).
            layerNorm(rows: allRows, width: d, x: b.tokens, gamma: gamma, beta: beta, out: b.tokens)
        }
        capture?.update(from: b.tokens, count: tokenFloats)
        clock.lap(.other)

        let scale = 1 / Float(hd).squareRoot()
        // With class-token pooling the last block's output rows other than the prefix reach nothing,
        // unless every token is wanted (captured, or the forward_features tap).
        let everyRowOut = capture != nil || taps.tokens != nil
        let lastBlock = config.globalPool == .token && !everyRowOut ? weights.blocks.count - 1 : -1
        for (index, block) in weights.blocks.enumerated() {
            // After the last block only the prefix tokens reach a head. Its keys and values need every
            // token, but its queries, proj, LN2 and MLP only the prefix rows — unless every block's
            // output is being captured, or the head reads the mean of all patch tokens. Each of those
            // ops is row by row, so the bits are the same.
            let tap = taps.attention.flatMap { $0.blocks.contains(index) ? $0 : nil }
            let rows = index == lastBlock && (tap?.rows ?? 0) <= prefixCount ? prefixCount : t
            let maps = tap.map { $0.maps + (index - $0.blocks.lowerBound) * config.numHeads * $0.rows * t }

            // x = x + proj(attention(LN1(x)))
            let normed1Quantized = fusesQuantization ? quantizedInput(of: block.qkv) : nil
            layerNorm(rows: allRows, width: d, x: b.tokens, gamma: block.norm1Gamma, beta: block.norm1Beta, out: b.normed1,
                      quantizeInto: normed1Quantized)
            clock.lap(.layerNorm)
            linear(m: allRows, a: b.normed1, lda: d, weights: block.qkv, c: b.qkv, ldc: 3 * d, epilogue: .store,
                   quantizedInput: normed1Quantized)
            if let qkNorm = block.qkNorm { normalizeQueriesAndKeys(qkNorm, rows: allRows) }
            clock.lap(.qkv)
            attention(scale: scale, queryRows: rows, images: images, probabilities: maps, probabilityRows: tap?.rows ?? 0)
            if rows < t && images > 1 {
                // The last block on the prefix rows only: gather each image's prefix rows of the residual
                // stream and of the head outputs into (images·prefix, D) at the top (moving up, so the
                // rows still to move are never overwritten). Only those rows reach the head.
                for image in 1..<images {
                    (b.tokens + image * rows * d).update(from: b.tokens + image * tokenFloats, count: rows * d)
                    (b.heads + image * rows * d).update(from: b.heads + image * tokenFloats, count: rows * d)
                }
            }
            let blockRows = images * rows  // rows of proj, LN2 and the MLP: every token, or the prefix rows
            clock.lap(.attention)
            linear(m: blockRows, a: b.heads, lda: d, weights: block.proj, c: b.tokens, ldc: d, epilogue: .accumulate)
            clock.lap(.proj)

            // x = x + fc2(GELU(fc1(LN2(x))))
            let normed2Quantized = fusesQuantization ? quantizedInput(of: block.fc1) : nil
            layerNorm(rows: blockRows, width: d, x: b.tokens, gamma: block.norm2Gamma, beta: block.norm2Beta, out: b.normed2,
                      quantizeInto: normed2Quantized)
            clock.lap(.layerNorm)
            var hiddenQuantized: QuantizedRows? = nil
            if clock.isProfiling || config.activation != .gelu {
                // Profiled: GELU as its own pass to time it (same function on the same values, so the
                // same results as the fused epilogue). QuickGELU always runs as its own pass.
                linear(m: blockRows, a: b.normed2, lda: d, weights: block.fc1, c: b.hidden, ldc: h, epilogue: .store,
                       quantizedInput: normed2Quantized)
                clock.lap(.mlp)
                let chunks = pool.chunkCount(of: blockRows, tasksPerThread: 2)
                pool.run(.gelu(GELUStep(x: b.hidden, rows: blockRows, width: h, chunks: chunks, activation: config.activation)),
                         taskCount: chunks)
                clock.lap(.gelu)
            } else {
                // fc1's tasks quantise their GELU output for an int8 fc2 as they write it.
                // (b.hidden is then not written: fc2 reads only the quantised rows.)
                if fusesQuantization, case .packedInt8 = block.fc1.format, case .packedInt8 = block.fc2.format {
                    hiddenQuantized = QuantizedRows(bytes: b.quantizedHidden, ld: Int8GEMM.quantizedRowLength(k: h),
                                                    scales: b.hiddenScales, ldScales: Int8GEMM.groupCount(k: h))
                }
                linear(m: blockRows, a: b.normed2, lda: d, weights: block.fc1, c: b.hidden, ldc: h, epilogue: .gelu,
                       quantizedInput: normed2Quantized,
                       quantizeOutputInto: hiddenQuantized.map { QuantizedOutput(rows: $0, strips: b.fc1Strips) })
            }
            linear(m: blockRows, a: b.hidden, lda: h, weights: block.fc2, c: b.tokens, ldc: d, epilogue: .accumulate,
                   quantizedInput: hiddenQuantized)
            clock.lap(.mlp)
            if let capture { (capture + (index + 1) * tokenFloats).update(from: b.tokens, count: tokenFloats) }
        }

        if let tokensOut = taps.tokens {
            // forward_features: `norm` on every token, or (fc_norm models, whose `norm` is Identity) the
            // last block's output as it is.
            if config.fcNorm {
                tokensOut.update(from: b.tokens, count: tokenFloats)
            } else {
                layerNorm(rows: t, width: d, x: b.tokens, gamma: weights.normGamma, beta: weights.normBeta, out: tokensOut)
            }
        }
        // Image i's rows of the residual stream: at i·T, or at i·prefix after the last block's gather.
        let lastRows = lastBlock >= 0 && images > 1 ? prefixCount : t
        for image in 0..<images {
            poolAndHead(logits: logits.map { $0 + image * config.outputDim }, taps: taps, clock: &clock,
                        tokens: b.tokens + image * lastRows * d)
        }
        clock.lap(.other)
        clock.finish()
    }

    /// The end of every forward pass (ViT and CaiT): the final LayerNorm and pooling into b.prefix
    /// (timm's `forward_head` up to `pre_logits`), the features tap, then the head(s) into `logits`.
    /// `tokens`: this image's (T, D) rows of the residual stream (the prefix rows at least); nil: b.tokens.
    func poolAndHead(logits: UnsafeMutablePointer<Float>?, taps: ForwardTaps, clock: inout ProfileClock,
                     tokens: UnsafeMutablePointer<Float>? = nil) {
        let config = model.config, weights = self.weights, b = buffers, kernels = pool.kernels
        let d = config.embedDim, prefixCount = config.numPrefixTokens
        let tokens = tokens ?? b.tokens
        switch config.globalPool {
        case .token:
            // Only the prefix tokens reach a head, so the final LayerNorm runs on those rows alone
            // (`norm` before pooling or `fc_norm` after it: the same on one row).
            kernels.layerNorm(prefixCount, d, tokens, d, weights.normGamma, weights.normBeta,
                              config.layerNormEpsilon, b.prefix, d)
        case .average:
            averagePool(config: config, weights: weights, tokens: tokens)
        case .max, .averageMax:
            maxPool(config: config, weights: weights, tokens: tokens)
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
    }

    /// The pooled features (D floats) from b.prefix: row 0, or for distilled models the mean of the
    /// class and distillation rows, `(x + x_dist) / 2` as timm's `forward_head(pre_logits=True)`.
    func pooledFeatures(into out: UnsafeMutablePointer<Float>) {
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
    func averagePool(config: ModelConfig, weights: PackedWeights, tokens: UnsafeMutablePointer<Float>) {
        let b = buffers
        let d = config.embedDim, first = config.numPrefixTokens, count = config.numPatches
        let pooled = b.prefix, scratch = b.prefix + d
        let epsilon = config.layerNormEpsilon
        let kernels = pool.kernels
        if config.fcNorm {
            scratch.update(from: tokens + first * d, count: d)
            for row in 1..<count { kernels.add(tokens + (first + row) * d, scratch, d) }
            for i in 0..<d { scratch[i] /= Float(count) }
            kernels.layerNorm(1, d, scratch, d, weights.normGamma, weights.normBeta, epsilon, pooled, d)
        } else {
            kernels.layerNorm(1, d, tokens + first * d, d, weights.normGamma, weights.normBeta, epsilon, pooled, d)
            for row in 1..<count {
                kernels.layerNorm(1, d, tokens + (first + row) * d, d, weights.normGamma, weights.normBeta,
                                  epsilon, scratch, d)
                kernels.add(scratch, pooled, d)
            }
            for i in 0..<d { pooled[i] /= Float(count) }
        }
    }

    /// timm's max and avgmax pooling (`global_pool_nlc`) into b.prefix row 0: the per-channel maximum
    /// of the patch rows (prefix tokens excluded), for avgmax `0.5 · (max + mean)`, with `fc_norm` after
    /// it, or `norm` on every patch row before it. b.prefix rows 1–3: running max, running sum, one
    /// normed row.
    func maxPool(config: ModelConfig, weights: PackedWeights, tokens: UnsafeMutablePointer<Float>) {
        let b = buffers
        let d = config.embedDim, first = config.numPrefixTokens, count = config.numPatches
        let pooled = b.prefix, runningMax = b.prefix + d, runningSum = b.prefix + 2 * d, normedRow = b.prefix + 3 * d
        let withMean = config.globalPool == .averageMax
        let epsilon = config.layerNormEpsilon
        let kernels = pool.kernels
        for row in 0..<count {
            var x = UnsafePointer(tokens + (first + row) * d)
            if !config.fcNorm {
                kernels.layerNorm(1, d, x, d, weights.normGamma, weights.normBeta, epsilon, normedRow, d)
                x = UnsafePointer(normedRow)
            }
            if row == 0 {
                runningMax.update(from: x, count: d)
                if withMean { runningSum.update(from: x, count: d) }
            } else {
                for i in 0..<d where !(runningMax[i] >= x[i]) { runningMax[i] = x[i] }  // NaN wins, as amax
                if withMean { kernels.add(x, runningSum, d) }
            }
        }
        // Before fc_norm the pooled row goes to the scratch row, then normalised into row 0.
        let out = config.fcNorm ? normedRow : pooled
        for i in 0..<d {
            out[i] = withMean ? 0.5 * (runningMax[i] + runningSum[i] / Float(count)) : runningMax[i]
        }
        if config.fcNorm {
            kernels.layerNorm(1, d, normedRow, d, weights.normGamma, weights.normBeta, epsilon, pooled, d)
        }
    }

    /// timm's qk_norm: a LayerNorm over head_dim on every head's q and k, in place in b.qkv, for all T
    /// rows (the keys of every token are needed even when only the prefix rows' queries are). Serial:
    /// 2·T·D values, small beside the qkv GEMM.
    private func normalizeQueriesAndKeys(_ norm: QKNormWeights, rows: Int) {
        let config = model.config
        let d = config.embedDim, hd = config.headDim, heads = config.numHeads
        let kernels = pool.kernels, epsilon = config.layerNormEpsilon
        for token in 0..<rows {
            let q = buffers.qkv + token * 3 * d, k = q + d
            kernels.layerNorm(heads, hd, q, hd, norm.qGamma, norm.qBeta, epsilon, q, hd)
            kernels.layerNorm(heads, hd, k, hd, norm.kGamma, norm.kBeta, epsilon, k, hd)
        }
    }

    /// C [m, n] = epilogue(A [m, k] · Wᵀ + b) for a Linear layer's `weights` (W [n, k], b [n]): the one
    /// entry for every Linear layer, switching on the weights' format once per call. Packed Float32:
    /// the panels of W shared out over the threads; plain Float32 (the OpenBLAS build): OpenBLAS runs
    /// it (BLASLinear.swift); packed int8 (the blocks at `Precision.int8`): A quantised per row, then
    /// the int8 GEMM's panels shared out.
    ///
    /// `quantizedInput`: A already quantised by the step that wrote it (int8 weights only), so no
    /// quantising step here. `quantizeOutputInto`: C kept only quantised for the next int8 GEMM, by
    /// this GEMM's own tasks 32 columns at a time; c is not written (int8 weights, store or GELU).
    func linear(m: Int, a: UnsafePointer<Float>, lda: Int, weights: LinearWeights,
                c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: GEMMEpilogue,
                quantizedInput: QuantizedRows? = nil, quantizeOutputInto quantizedOutput: QuantizedOutput? = nil) {
        switch weights.format {
        case .packedF32(let panelWidth):
            let n = weights.n, k = weights.k
            let panelCount = PanelPacking.panelCount(n: n, panelWidth: panelWidth)
            let chunks = pool.chunkCount(of: panelCount, tasksPerThread: Session.gemmTasksPerThread)
            pool.run(.linear(LinearStep(m: m, n: n, k: k, a: a, lda: lda, packed: weights.floats, c: c, ldc: ldc,
                                        epilogue: epilogue, panelCount: panelCount, chunks: chunks)),
                     taskCount: chunks * ParallelStep.rowBlocks(m))
        case .plainF32:
            blasLinear(m: m, a: a, lda: lda, weights: weights, c: c, ldc: ldc, epilogue: epilogue)
        case .packedInt8:
            // Quantise A per row into b.quantizedRows (row chunks over the threads) unless the step
            // that wrote A did, then the int8 GEMM over W's panels. Each row's quantisation and each output's sum are the same
            // instructions whatever the split, so the bits do not depend on the thread count.
            let n = weights.n, k = weights.k
            let input: QuantizedRows
            if let quantizedInput {
                input = quantizedInput
            } else {
                input = QuantizedRows(bytes: buffers.quantizedRows, ld: Int8GEMM.quantizedRowLength(k: k),
                                      scales: buffers.rowScales, ldScales: Int8GEMM.groupCount(k: k))
                let rowChunks = pool.chunkCount(of: m, tasksPerThread: 2)
                pool.run(.quantizeRows(QuantizeRowsStep(x: a, ldx: lda, out: input.bytes, ldOut: input.ld,
                                                        scales: input.scales, ldScales: input.ldScales, rows: m, k: k,
                                                        chunks: rowChunks)),
                         taskCount: rowChunks)
            }
            let panelCount = Int8GEMM.panelCount(n: n)
            // With the output quantised, tasks take whole pairs of panels (one scale group each).
            let units = quantizedOutput == nil ? panelCount : (panelCount + 1) / 2
            let chunks = pool.chunkCount(of: units, tasksPerThread: Session.gemmTasksPerThread)
            pool.run(.int8Linear(Int8LinearStep(m: m, n: n, k: k, a: input.bytes, lda: input.ld,
                                                aScales: input.scales, ldScales: input.ldScales, packed: weights.data, c: c, ldc: ldc,
                                                epilogue: epilogue, panelCount: panelCount, chunks: chunks,
                                                quantizedOutput: quantizedOutput)),
                     taskCount: chunks * ParallelStep.rowBlocks(m))
        }
    }

    /// LayerNorm of `rows` rows of `width` (row stride `width` in and out), split into row ranges over
    /// the threads: each row is normalised on its own, so the split does not change the bits.
    /// With `quantizeInto`, each task also quantises its rows for the int8 GEMM they feed.
    func layerNorm(rows: Int, width: Int, x: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                   beta: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, quantizeInto quantized: QuantizedRows? = nil) {
        let chunks = pool.chunkCount(of: rows, tasksPerThread: 2)
        pool.run(.layerNorm(LayerNormStep(x: x, gamma: gamma, beta: beta, out: out, rows: rows, width: width,
                                          chunks: chunks, epsilon: model.config.layerNormEpsilon, quantized: quantized)),
                 taskCount: chunks)
    }

    /// Where the quantising LayerNorm puts the input of a Linear layer with these weights: the
    /// shared quantised rows if the layer is int8, else nil (an f32 layer reads the floats).
    func quantizedInput(of weights: LinearWeights) -> QuantizedRows? {
        guard case .packedInt8 = weights.format else { return nil }
        return QuantizedRows(bytes: buffers.quantizedRows, ld: Int8GEMM.quantizedRowLength(k: weights.k),
                             scales: buffers.rowScales, ldScales: Int8GEMM.groupCount(k: weights.k))
    }

    /// Multi-head attention from b.qkv into b.heads for the first `queryRows` query rows: every head's
    /// K and V (all tokens) packed once (one task per head), then one task per (head, block of R query
    /// rows), each worker with its own scores.
    /// With `probabilities` ([heads, probabilityRows, T]) the softmax rows of the first
    /// `probabilityRows` query rows of each head are written there too.
    /// With `images` > 1 (a batch; no probabilities) every image's heads in the same two steps, image
    /// i's rows at i·T of b.qkv and b.heads: one task per (image, head) and per (image, head, block).
    func attention(scale: Float, queryRows: Int, images: Int = 1, probabilities: UnsafeMutablePointer<Float>? = nil,
                           probabilityRows: Int = 0) {
        let config = model.config
        let t = config.numTokens
        let rowBlock = min(ActivationPlan.attentionRowBlock, t)
        let step = AttentionStep(
            tokens: t, headDim: config.headDim, width: config.embedDim, scale: scale, qkv: buffers.qkv,
            packedKeys: buffers.packedKeys, packedValues: buffers.packedValues,
            packedKeysCount: plan.packedKeysCount, packedValuesCount: plan.packedValuesCount,
            scores: buffers.scores, scoresPerWorker: plan.scoresPerWorker, out: buffers.heads, queryRows: queryRows,
            rowBlock: rowBlock, blocksPerHead: (queryRows + rowBlock - 1) / rowBlock, probabilities: probabilities,
            probabilityRows: probabilityRows, heads: config.numHeads, images: images,
            int16Attention: model.attentionOn16Bits(kernels: pool.kernels))
        pool.run(.packHeads(step), taskCount: images * config.numHeads)
        pool.run(.attentionRows(step), taskCount: images * config.numHeads * step.blocksPerHead)
    }
}
