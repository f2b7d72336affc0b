/// Int8 weights that were quantised ahead of time (`deit-cli quantize`) instead of at load: the same
/// quantisation as ``Int8GEMM/pack(weight:bias:n:k:into:)``, split in two so that a file can hold its
/// result in the canonical PyTorch layout — `Wq` [n, k] int8 and `sw` [n, ⌈k/32⌉] Float32 — and the
/// panels are built from it at load. `pack(weight:…)` is these two in a row, so a quantised file runs
/// bit-identically to quantising its float checkpoint at load, and a change of the panel layout never
/// breaks a file.
extension Int8GEMM {
    /// Quantises a Linear weight [n, k] per output channel and group of 32 inputs, as `pack` does, to
    /// the largest grid the kernels take (``weightLimit``, ``pairLimit``): with `pair` the largest
    /// |W[j, i]| + |W[j, i + 1]| of the group's even-aligned pairs and `largest` its largest |W[j, i]|,
    /// `scales[j, g] = halfCeiling(max(pair / 128, largest / 127))` (0 for an all-zero group, whose
    /// values are then all 0) and `quantized[j, i] = round(W[j, i] / scales[j, g])` (through the
    /// binding bound's own inverse when the scale needed no rounding), nearest-even; a pair that float
    /// rounding carries past 128 gives up one step on its larger value.
    public static func quantizeWeight(
        weight: UnsafePointer<Float>,  // [n, k]
        n: Int, k: Int,
        quantized: UnsafeMutablePointer<Int8>,  // [n, k]
        scales: UnsafeMutablePointer<Float>  // [n, groupCount(k)]
    ) {
        guard n > 0, k > 0 else { return }
        let groups = groupCount(k: k)
        for row in 0..<n {
            var start = 0, group = 0
            while start < k {
                let count = min(groupSize, k - start)
                let values = weight + row * k + start
                var largest: Float = 0, largestPair: Float = 0
                for i in stride(from: 0, to: count, by: 2) {
                    let first = abs(values[i]), second = i + 1 < count ? abs(values[i + 1]) : 0
                    largest = max(largest, max(first, second))
                    largestPair = max(largestPair, first + second)
                }
                // The scale rounded up to a binary16 value when it is a normal one, so that a file
                // can store it as F16 exactly (`halfCeiling`); then every |W|/scale ≤ 127 and every
                // pair's sum ≤ 128.
                let pairBinds = largestPair / Float(pairLimit) >= largest / Float(weightLimit)
                let exact = pairBinds ? largestPair / Float(pairLimit) : largest / Float(weightLimit)
                let scale = halfCeiling(exact)
                // (inverseStep: 128/pair saturates below pair ≈ 3.8e-37, where it would overflow and
                // turn the group's zeros into NaN.)
                let exactInverse = pairBinds ? inverseStep(largestPair, limit: pairLimit) : inverseStep(largest, limit: weightLimit)
                let inverse: Float = largest > 0 ? (scale == exact ? exactInverse : 1 / scale) : 0
                scales[row * groups + group] = scale
                let out = quantized + row * k + start
                for i in stride(from: 0, to: count, by: 2) {
                    var first = Int8GEMM.quantized(values[i] * inverse, limit: weightLimit)
                    guard i + 1 < count else {
                        out[i] = Int8(truncatingIfNeeded: first)
                        break
                    }
                    var second = Int8GEMM.quantized(values[i + 1] * inverse, limit: weightLimit)
                    while abs(first) + abs(second) > pairLimit {
                        if abs(first) >= abs(second) { first -= first.signum() } else { second -= second.signum() }
                    }
                    out[i] = Int8(truncatingIfNeeded: first)
                    out[i + 1] = Int8(truncatingIfNeeded: second)
                }
                start += count
                group += 1
            }
        }
    }

    /// The smallest IEEE binary16 value ≥ `value` when `value` lies in binary16's normal range
    /// [2⁻¹⁴, 65504] (at most 2⁻¹⁰ relative above it); `value` itself otherwise (0, subnormal-sized
    /// scales such as LayerScale-folded weights' — binary16 would cost them bits —, huge ones, NaN).
    /// A scale this returns survives F32 → F16 → F32 exactly, which lets `deit-cli quantize` store the
    /// scales as F16 and still run bit-identically to quantising at load.
    public static func halfCeiling(_ value: Float) -> Float {
        guard value >= 0x1p-14, value <= 65504 else { return value }
        let bits = value.bitPattern
        let low: UInt32 = (1 << 13) - 1   // the 13 mantissa bits binary16 does not have
        guard bits & low != 0 else { return value }
        let rounded = Float(bitPattern: (bits & ~low) &+ (low + 1))   // a carry moves into the exponent
        return rounded <= 65504 ? rounded : value
    }

    /// Packs an already quantised weight (`quantizeWeight`'s layout: `quantized` [n, k] in
    /// |w| ≤ 127 and even-aligned pairs ≤ 128 — the caller checks: more could saturate `vpmaddubsw` —, `scales`
    /// [n, groupCount(k)]) with its bias [n] into `packedByteCount(n:k:)` bytes at `packed`.
    ///
    /// Panel layout: bias[16] f32, then per group g: scale[16] f32 (`sw[c, g]`), correction[16] int32
    /// (`−128 · Σ_{i∈g} Wq[c, i]`, the unsigned activations' offset taken back out), then for each
    /// quad q of the group's inputs the 64 bytes `Wq[c, 4q ..< 4q + 4]` for c in 0..<16 — one 32-byte
    /// load gives 8 columns' quads, one per 32-bit lane, as `vpmaddubsw` + `vpmaddwd` sum them.
    /// Columns past n and inputs past k are zero.
    public static func pack(
        quantized: UnsafePointer<Int8>,  // [n, k]
        scales: UnsafePointer<Float>,  // [n, groupCount(k)]
        bias: UnsafePointer<Float>,  // [n]
        n: Int, k: Int,
        into packed: UnsafeMutableRawPointer  // [packedByteCount(n, k)] bytes
    ) {
        guard n > 0, k >= 0 else { return }
        let panelStride = panelBytes(k: k)
        let groups = groupCount(k: k)
        for panel in 0..<panelCount(n: n) {
            let first = panel * panelWidth
            let columns = min(panelWidth, n - first)
            let base = packed + panel * panelStride
            // Only a ragged panel (columns past n, inputs past k) has bytes nothing below writes.
            if columns < panelWidth || k % 4 != 0 {
                base.initializeMemory(as: UInt8.self, repeating: 0, count: panelStride)
            }
            let header = base.assumingMemoryBound(to: Float.self)
            for column in 0..<columns { header[column] = bias[first + column] }
            var groupStart = base + headerBytes
            var start = 0, group = 0
            while start < k {
                let count = min(groupSize, k - start)
                let panelScales = groupStart.assumingMemoryBound(to: Float.self)
                let corrections = (groupStart + 64).assumingMemoryBound(to: Int32.self)
                let body = UnsafeMutableRawPointer(groupStart + groupHeaderBytes)
                let rows = quantized + first * k + start   // row c of the group: rows + c·k
                for column in 0..<columns { panelScales[column] = scales[(first + column) * groups + group] }
                // Quad q of column c (Wq[c, 4q ..< 4q+4], adjacent in the row) goes to byte q·64 + 4c:
                // one 32-bit move each, quad-major so that the panel is written in order (column-major
                // stores 64 bytes apart became scatters, the load's largest cost).
                let wholeQuads = count / 4
                var to = body
                for quad in 0..<wholeQuads {
                    var from = UnsafeRawPointer(rows + quad * 4)
                    var slot = to
                    for _ in 0..<columns {
                        slot.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
                        from += k
                        slot += 4
                    }
                    to += 64
                }
                if wholeQuads * 4 < count {
                    let tail = body.assumingMemoryBound(to: Int8.self) + wholeQuads * 64
                    for column in 0..<columns {
                        for i in (wholeQuads * 4)..<count { tail[column * 4 + i % 4] = rows[column * k + i] }
                    }
                }
                // Each column's sum from the packed quads, 16 columns at once: the four signed bytes of
                // every 32-bit lane sign-extended by shifts (|sum| ≤ 32·128: no overflow). Columns past n
                // are zero bytes, so their corrections are 0.
                var sums = SIMD16<Int32>()
                for quad in 0..<quadCount(k: count) {
                    let lanes = UnsafeRawPointer(body + quad * 64).loadUnaligned(as: SIMD16<Int32>.self)
                    sums &+= ((lanes &<< 24) &>> 24) &+ ((lanes &<< 16) &>> 24) &+ ((lanes &<< 8) &>> 24) &+ (lanes &>> 24)
                }
                for column in 0..<panelWidth { corrections[column] = -Int32(activationOffset) &* sums[column] }
                groupStart += groupHeaderBytes + quadCount(k: count) * 64
                start += count
                group += 1
            }
        }
    }
}
