import DeiTKernelTable

/// Int8 GEMM with dynamically quantised activations: `C = epilogue(dequant(Aq·Wqᵀ) + bias)`.
///
/// Both sides are quantised symmetrically to int8 per group of 32 inputs, as ggml's q8_0: the weight
/// W [n, k] once, at load (``pack(weight:bias:n:k:into:)``), per output channel and group,
/// `Wq[j, i] = round(W[j, i] / sw[j, g])` with `sw[j, g] = max|W[j, 32g ..< 32g + 32]| / 127`; the
/// activations just before each GEMM (``quantizeRows(rows:k:x:ldx:out:ldOut:scales:ldScales:)``) per
/// row (token) and group, `sa[r, g] = max|A[r, 32g ..< 32g + 32]| / 127`. Measured on DeiT-Ti's 900
/// shared photos, top-1 agreement with timm's f32 (accuracy): one scale per channel and per token
/// 884/900 (715); activations per 32, 887/900 (716); both per 32 (this) 891/900 (717). Groups confine
/// an outlier (the LayerNorm outputs' outlier channels, GELU's long tail) to its own 32 values.
///
/// Both sides lie in [−127, 127] and are multiplied as 16-bit pairs summed into int32 (`vpmaddwd` on
/// AVX2): no 16-bit sum exists to saturate, and a group's int32 sum is at most 32·127·127 = 516,128.
/// Each group's sum is converted to Float32 and added as `acc += Float(sum_g) · (sw[j, g] · sa[r, g])`
/// and the epilogue is `c = acc + b[j]` — multiplies then adds, never fused, so the portable and AVX2
/// kernels give the same bits — then `.store`, `.accumulate` or `.gelu` as the f32 GEMM.
public enum Int8GEMM {
    /// The micro-kernel this build uses, e.g. `qd8_f32_qc8w_gemm_6x16c2__avx2`.
    public static var kernelName: String { ActiveInt8GEMMKernel.name }

    /// NR: output columns per packed panel (every int8 kernel of the table uses 16).
    public static var panelWidth: Int { 16 }

    /// Inputs per activation scale (ggml's q8_0 block).
    public static let groupSize = 32

    /// Activation scales per row for inner size k: ⌈k / 32⌉.
    public static func groupCount(k: Int) -> Int { SaturatingArithmetic.ceilingDivision(k, groupSize) }

    /// ⌈n / 16⌉ panels.
    public static func panelCount(n: Int) -> Int { SaturatingArithmetic.ceilingDivision(n, panelWidth) }

    /// Bytes of one panel: the bias (16 Float32), then per group of 32 inputs the 16 columns' weight
    /// scales (16 Float32) and up to 16 rows of 16 column pairs (32 int8).
    static func panelBytes(k: Int) -> Int {
        SaturatingArithmetic.sum(SaturatingArithmetic.sum(headerBytes, SaturatingArithmetic.product(groupCount(k: k), 64)),
                                 SaturatingArithmetic.product(pairCount(k: k), 32))
    }

    /// The bias row at the start of a panel.
    static let headerBytes = 64

    /// k rounded up to pairs.
    static func pairCount(k: Int) -> Int { SaturatingArithmetic.ceilingDivision(k, 2) }

    /// Bytes for a packed [n, k] weight with bias and scales; saturates at `Int.max`.
    public static func packedByteCount(n: Int, k: Int) -> Int {
        SaturatingArithmetic.product(panelCount(n: n), panelBytes(k: k))
    }

    /// Int16 elements of a quantised activation row for inner size k: k rounded up to a pair (the
    /// padding element is written as zero).
    public static func quantizedRowLength(k: Int) -> Int { SaturatingArithmetic.ceilingDivision(k, 2) * 2 }

    /// Quantises a PyTorch Linear weight (`[n, k]` row-major) per output channel and group of 32
    /// inputs and packs it with its bias `[n]` into `packedByteCount(n:k:)` bytes at `packed`.
    ///
    /// Panel layout: bias[16] f32, then per group g: scale[16] f32 (`sw[c, g]`), then for each pair p
    /// of the group's inputs the 32 bytes `Wq[c, 2p], Wq[c, 2p+1]` for c in 0..<16 — one `vpmovsxbw`
    /// of 16 bytes gives 8 columns' pairs. Columns past n and the odd input past k are zero.
    public static func pack(
        weight: UnsafePointer<Float>,  // [n, k]
        bias: UnsafePointer<Float>,  // [n]
        n: Int, k: Int,
        into packed: UnsafeMutableRawPointer  // [packedByteCount(n, k)] bytes
    ) {
        guard n > 0, k >= 0 else { return }
        let panelStride = panelBytes(k: k)
        for panel in 0..<panelCount(n: n) {
            let first = panel * panelWidth
            let columns = min(panelWidth, n - first)
            let base = packed + panel * panelStride
            base.initializeMemory(as: UInt8.self, repeating: 0, count: panelStride)
            let header = base.assumingMemoryBound(to: Float.self)
            for column in 0..<columns { header[column] = bias[first + column] }
            var group = base + headerBytes
            var start = 0
            while start < k {
                let count = min(groupSize, k - start)
                let scales = group.assumingMemoryBound(to: Float.self)
                let body = (group + 64).assumingMemoryBound(to: Int8.self)
                for column in 0..<columns {
                    let row = weight + (first + column) * k + start
                    var largest: Float = 0
                    for i in 0..<count { largest = max(largest, abs(row[i])) }
                    let inverse: Float = largest > 0 ? 127 / largest : 0
                    scales[column] = largest / 127
                    for i in 0..<count {
                        body[(i / 2) * 32 + column * 2 + (i % 2)] = Int8(quantizedInt16(row[i] * inverse))
                    }
                }
                group += 64 + pairCount(k: count) * 32
                start += count
            }
        }
    }

    /// Quantises `rows` rows of `k` floats (row stride `ldx`) to Int16 values in [−127, 127]
    /// (row stride `ldOut` ≥ `quantizedRowLength(k:)`, the padding element zero) with one scale per
    /// group of 32 inputs, `scales[r, g] = max|x[r, 32g ..< 32g + 32]| / 127` (0 for a zero group),
    /// row stride `ldScales` ≥ `groupCount(k:)`.
    public static func quantizeRows(
        rows: Int, k: Int,
        x: UnsafePointer<Float>, ldx: Int,  // [rows, k]
        out: UnsafeMutablePointer<Int16>, ldOut: Int,  // [rows, quantizedRowLength(k)]
        scales: UnsafeMutablePointer<Float>, ldScales: Int  // [rows, groupCount(k)]
    ) {
        for row in 0..<rows {
            ActiveInt8GEMMKernel.quantizeRow(k: k, x: x + row * ldx, out: out + row * ldOut,
                                             scales: scales + row * ldScales)
        }
    }

    /// C[m×n] (ldc) ⟵ epilogue(dequant(Aq·Wqᵀ) + bias) for the panels in `panelRange` (all of them:
    /// `0..<panelCount(n:)`); disjoint ranges write disjoint columns.
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Int16>, lda: Int,  // [m, quantizedRowLength(k)], from quantizeRows
        aScales: UnsafePointer<Float>, ldScales: Int,  // [m, groupCount(k)]
        packed: UnsafeRawPointer,  // [packedByteCount(n, k)] bytes
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, n]
        epilogue: GEMMEpilogue,
        panelRange: Range<Int>
    ) {
        multiply(using: ActiveInt8GEMMKernel.self, m: m, n: n, k: k, a: a, lda: lda, aScales: aScales,
                 ldScales: ldScales, packed: packed, c: c, ldc: ldc, epilogue: epilogue, panelRange: panelRange)
    }

    /// The GEMM with any int8 micro-kernel of the table; the tests run every entry through this.
    static func multiply<Kernel: Int8GEMMMicroKernel>(
        using kernel: Kernel.Type,
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Int16>, lda: Int,  // [m, quantizedRowLength(k)]
        aScales: UnsafePointer<Float>, ldScales: Int,  // [m, groupCount(k)]
        packed: UnsafeRawPointer,  // [packedByteCount(n, k)] bytes
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, n]
        epilogue: GEMMEpilogue,
        panelRange: Range<Int>
    ) {
        guard m > 0, n > 0, k >= 0 else { return }
        let stride = panelBytes(k: k)
        let pairs = pairCount(k: k)
        for panel in panelRange.clamped(to: 0..<panelCount(n: n)) {
            let first = panel * panelWidth
            Kernel.multiplyPanel(m: m, pairs: pairs, a: a, lda: lda, aScales: aScales, ldScales: ldScales,
                                 panel: packed + panel * stride, c: c + first, ldc: ldc,
                                 columns: min(panelWidth, n - first), epilogue: epilogue)
        }
    }

    /// The quantiser's scalar rounding: nearest, ties to even (as `cvtps2dq`), clamped to [−127, 127];
    /// NaN gives −127 as the AVX2 conversion (0x80000000) clamped does. Never traps.
    @inline(__always)
    static func quantizedInt16(_ value: Float) -> Int16 {
        let rounded = value.rounded(.toNearestOrEven)
        if rounded >= 127 { return 127 }
        if rounded >= -127 { return Int16(rounded) }
        return -127
    }

    /// The scalar quantiser of one row (the portable kernel's, and the reference for the others):
    /// writes `groupCount(k)` scales.
    static func quantizeRowScalar(k: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Int16>,
                                  scales: UnsafeMutablePointer<Float>) {
        var group = 0
        while group * groupSize < k {
            let start = group * groupSize
            scales[group] = quantizeGroupScalar(count: min(groupSize, k - start), x: x + start, out: out + start)
            group += 1
        }
        if k % 2 == 1 { out[k] = 0 }
    }

    /// One group of `count` values: returns its scale max|x|/127.
    @inline(__always)
    static func quantizeGroupScalar(count: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Int16>) -> Float {
        var largest: Float = 0
        for i in 0..<count { largest = max(largest, abs(x[i])) }
        let inverse: Float = largest > 0 ? 127 / largest : 0
        for i in 0..<count { out[i] = quantizedInt16(x[i] * inverse) }
        return largest / 127
    }
}
