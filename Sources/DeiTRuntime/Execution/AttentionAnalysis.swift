/// What the attention maps of `Session.runAttention` say about a model, as ViT's paper reads them:
/// attention rollout (Appendix D.8) and mean attention distance (Appendix D.7). Plain math on the
/// caller's maps ([blocks][heads][T][T], every query row); no model knowledge.
/// `scripts/python/attention_reference.py` is the numpy reference the tests compare with.
public enum AttentionAnalysis {
    /// The shape of full maps, checked against the floats given.
    public struct MapShape: Sendable {
        public var blocks: Int, heads: Int, tokens: Int

        public init(blocks: Int, heads: Int, tokens: Int) {
            self.blocks = blocks
            self.heads = heads
            self.tokens = tokens
        }

        /// blocks × heads × T × T, nil when a size is not positive or the product overflows.
        var floatCount: Int? {
            // Tokens beyond 2^20 cannot come from a model deit loads (maxTokens) and keep T² bytes sane.
            guard blocks > 0, heads > 0, tokens > 0, tokens <= 1 << 20 else { return nil }
            var count = blocks
            for factor in [heads, tokens, tokens] {
                let (product, overflow) = count.multipliedReportingOverflow(by: factor)
                if overflow { return nil }
                count = product
            }
            return count
        }

        func check(_ maps: UnsafeBufferPointer<Float>) throws(DeiTError) -> UnsafePointer<Float> {
            guard let count = floatCount else {
                throw DeiTError(.invalidArgument, "attention maps of \(blocks) blocks × \(heads) heads × \(tokens) tokens: every size must be positive (and the product representable)")
            }
            guard let base = maps.baseAddress, maps.count == count else {
                throw DeiTError(.invalidArgument, "attention maps have \(maps.count) floats; \(blocks) blocks × \(heads) heads × \(tokens)² tokens = \(count)")
            }
            return base
        }
    }

    /// Attention rollout (Abnar & Zuidema 2020): per block the heads' mean plus the identity, rows
    /// renormalised, A_b = (mean_h(attn_b) + I) / 2, multiplied through the blocks,
    /// A_last · … · A_1 · A_0, into `rollout` (T × T). Head fusion: the mean (the paper's; "max" and
    /// "min" fusions are variants of later work). Allocates two T × T scratch matrices.
    public static func rollout(maps: UnsafeBufferPointer<Float>, shape: MapShape,
                               into rollout: UnsafeMutableBufferPointer<Float>) throws(DeiTError) {
        let base = try shape.check(maps)
        let t = shape.tokens, heads = shape.heads
        guard let out = rollout.baseAddress, rollout.count == t * t else {
            throw DeiTError(.invalidArgument, "rollout has room for \(rollout.count) floats; \(t) × \(t) tokens = \(t * t)")
        }
        let fusedBuffer = try AlignedBuffer(byteCount: t * t * MemoryLayout<Float>.stride, purpose: "rollout scratch")
        let productBuffer = try AlignedBuffer(byteCount: t * t * MemoryLayout<Float>.stride, purpose: "rollout scratch")
        let fused = fusedBuffer.raw.bindMemory(to: Float.self, capacity: t * t)     // [T, T]: A_b
        let product = productBuffer.raw.bindMemory(to: Float.self, capacity: t * t)  // [T, T]: A_b · result
        // result = I
        out.update(repeating: 0, count: t * t)
        for i in 0..<t { out[i * t + i] = 1 }
        for block in 0..<shape.blocks {
            let blockMaps = base + block * heads * t * t
            // A_b = (mean over heads + I), each row divided by its sum.
            for i in 0..<t {
                let row = fused + i * t
                row.update(repeating: 0, count: t)
                for head in 0..<heads {
                    let source = blockMaps + (head * t + i) * t
                    for j in 0..<t { row[j] += source[j] }
                }
                var sum: Float = 0
                for j in 0..<t {
                    row[j] = row[j] / Float(heads) + (i == j ? 1 : 0)
                    sum += row[j]
                }
                let inverse = sum > 0 ? 1 / sum : 0
                for j in 0..<t { row[j] *= inverse }
            }
            // result = A_b · result (i-k-j order: the inner loop runs along rows of both).
            for i in 0..<t {
                let destination = product + i * t
                destination.update(repeating: 0, count: t)
                for k in 0..<t {
                    let weight = fused[i * t + k]
                    if weight == 0 { continue }
                    let source = out + k * t
                    for j in 0..<t { destination[j] += weight * source[j] }
                }
            }
            out.update(from: product, count: t * t)
        }
    }

    /// Mean attention distance per block and head into `distances` (blocks × heads): for each patch
    /// query, Σ over patch keys of attention × the distance between the patch centres in pixels
    /// (`patchSize` per grid step), averaged over the patch queries. The weights are the
    /// probabilities over all tokens: the prefix tokens' share counts for nothing, not renormalised.
    public static func meanDistance(maps: UnsafeBufferPointer<Float>, shape: MapShape, prefixTokens: Int,
                                    patchSize: Int, into distances: UnsafeMutableBufferPointer<Float>) throws(DeiTError) {
        let base = try shape.check(maps)
        let t = shape.tokens
        let patches = t - prefixTokens
        var side = 0
        while (side + 1) * (side + 1) <= max(patches, 0) { side += 1 }
        guard prefixTokens >= 0, patches > 0, side * side == patches else {
            throw DeiTError(.invalidArgument, "\(t) tokens with \(prefixTokens) prefix tokens leave \(patches) patches: not a square grid")
        }
        guard patchSize > 0 else { throw DeiTError(.invalidArgument, "patch size \(patchSize) must be positive") }
        guard let out = distances.baseAddress, distances.count == shape.blocks * shape.heads else {
            throw DeiTError(.invalidArgument, "distances has room for \(distances.count) floats; \(shape.blocks) blocks × \(shape.heads) heads = \(shape.blocks * shape.heads)")
        }
        for map in 0..<(shape.blocks * shape.heads) {
            let attention = base + map * t * t
            var total = 0.0
            for query in 0..<patches {
                let row = attention + (prefixTokens + query) * t + prefixTokens
                let qy = query / side, qx = query % side
                var sum = 0.0
                for key in 0..<patches {
                    let dy = Double(key / side - qy), dx = Double(key % side - qx)
                    sum += Double(row[key]) * (dx * dx + dy * dy).squareRoot()
                }
                total += sum
            }
            out[map] = Float(total / Double(patches) * Double(patchSize))
        }
    }
}
