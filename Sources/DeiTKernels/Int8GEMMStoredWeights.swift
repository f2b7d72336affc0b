/// Int8 weights that were quantised ahead of time (`deit-cli quantize`) instead of at load: the same
/// quantisation as ``Int8GEMM/pack(weight:bias:n:k:into:)``, split in two so that a file can hold its
/// result in the canonical PyTorch layout — `Wq` [n, k] int8 and `sw` [n, ⌈k/32⌉] Float32 — and the
/// panels are built from it at load. Packing `quantizeWeight`'s output with `pack(quantized:…)` gives
/// exactly the bytes `pack(weight:…)` gives (Int8GEMMStoredWeightsTests checks it), so a quantised
/// file runs bit-identically to quantising its float checkpoint at load, and a change of the panel
/// layout never breaks a file.
extension Int8GEMM {
    /// Quantises a Linear weight [n, k] per output channel and group of 32 inputs, as `pack` does:
    /// `scales[j, g] = max|W[j, 32g ..< 32g + 32]| / 127` (0 for an all-zero group, whose values are
    /// then all 0) and `quantized[j, i] = round(W[j, i] · 127 / max)`, nearest-even, in [−127, 127].
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
                var largest: Float = 0
                for i in 0..<count { largest = max(largest, abs(values[i])) }
                let inverse: Float = largest > 0 ? 127 / largest : 0
                scales[row * groups + group] = largest / 127
                for i in 0..<count { quantized[row * k + start + i] = Int8(quantizedInt16(values[i] * inverse)) }
                start += count
                group += 1
            }
        }
    }

    /// Packs an already quantised weight (`quantizeWeight`'s layout: `quantized` [n, k] in
    /// [−127, 127], `scales` [n, groupCount(k)]) with its bias [n] into the panels `pack(weight:…)`
    /// writes, `packedByteCount(n:k:)` bytes at `packed`.
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
            base.initializeMemory(as: UInt8.self, repeating: 0, count: panelStride)
            let header = base.assumingMemoryBound(to: Float.self)
            for column in 0..<columns { header[column] = bias[first + column] }
            var groupStart = base + headerBytes
            var start = 0, group = 0
            while start < k {
                let count = min(groupSize, k - start)
                let panelScales = groupStart.assumingMemoryBound(to: Float.self)
                let body = (groupStart + 64).assumingMemoryBound(to: Int8.self)
                for column in 0..<columns { panelScales[column] = scales[(first + column) * groups + group] }
                // Pairs (Wq[c, 2p], Wq[c, 2p+1]) are adjacent in the row and in the panel: one 16-bit
                // move each, from row c to byte p·32 + 2c (pointer steps, no index arithmetic).
                let pairs = count / 2
                for column in 0..<columns {
                    var source = UnsafeRawPointer(quantized + (first + column) * k + start)
                    var target = UnsafeMutableRawPointer(body) + column * 2
                    for _ in 0..<pairs {
                        target.storeBytes(of: source.loadUnaligned(as: UInt16.self), as: UInt16.self)
                        source += 2
                        target += 32
                    }
                }
                if count % 2 == 1 {
                    for column in 0..<columns { body[pairs * 32 + column * 2] = quantized[(first + column) * k + start + count - 1] }
                }
                groupStart += 64 + pairCount(k: count) * 32
                start += count
                group += 1
            }
        }
    }
}
