import DeiTKernelTable

/// Int8 GEMM with dynamically quantised activations: `C = epilogue(dequant(Aq·Wqᵀ) + bias)`.
///
/// Both sides are quantised symmetrically per group of 32 inputs, as ggml's q8_0: the weight W [n, k]
/// once, at load (``pack(weight:bias:n:k:into:)``), per output channel and group, to the finest grid
/// the kernels take — `Wq[j, i] = round(W[j, i] / sw[j, g])` with |Wq| ≤ 127 and every even-aligned
/// pair |Wq[j, 2i]| + |Wq[j, 2i + 1]| ≤ 128, so `sw[j, g] = max(max pair / 128, max|W| / 127)` over
/// `W[j, 32g ..< 32g + 32]` —; the activations just before each GEMM
/// (``quantizeRows(rows:k:x:ldx:out:ldOut:scales:ldScales:)``) per row (token) and group to 8 bits,
/// `Aq` in [−127, 127] with `sa[r, g] = max|A[r, 32g ..< 32g + 32]| / 127`, stored as unsigned bytes
/// `Aq + 128` in [1, 255]. Measured on DeiT-Ti's 900 shared photos, top-1 agreement with timm's f32
/// (accuracy): one scale per channel and per token 884/900 (715); activations per 32, 887/900 (716);
/// both per 32 with 8-bit weights 891/900 (717), with 7-bit weights [−64, 64] 891/900 (717); 7-bit
/// activations and 8-bit weights 885/900 (714). Agreement moves by ±3 photos under perturbations far
/// below int8's (binary16 patch weights), so the logits' RMS error against f32 over the 900 photos
/// measures the method: 7-bit weights 0.0449, these pair-bounded weights 0.0353 (a numpy model of the
/// same arithmetic: weights alone 0.039 of 0.045 before — the weights were the larger error).
/// Groups confine an outlier (the LayerNorm outputs' outlier channels, GELU's long tail) to its own 32 values.
///
/// Why the pair bound: AVX2's only byte multiply, `vpmaddubsw`, multiplies unsigned by signed bytes
/// and adds each even-aligned pair into a saturating int16. With `Aq + 128` ≤ 255 and a pair's |Wq|
/// summing to ≤ 128 a pair is at most 255·128 = 32640 < 32767: it never saturates, and with
/// `vpmaddwd` against ones after it, it does 32 multiply-adds per two multiply instructions where the
/// 16-bit `vpmaddwd` alone does 16 per one (a 6×16 C loop of each on Zen 3: 70.8 against 51.5
/// multiply-adds/ns). Plain 8-bit weights (|Wq| ≤ 127 alone) could reach 2·255·127; weights in
/// [−64, 64] (7 bits, before 2026-12-02: still valid) keep the bound with half the grid. The +128
/// comes back out exactly: each group's int32 sum starts at `−128·Σ Wq[j, group]`, stored per group in the panel.
/// Each group's sum is converted to Float32 and added as `acc += Float(sum_g) · (sw[j, g] · sa[r, g])`
/// and the epilogue is `c = acc + b[j]` — multiplies then adds, never fused, so the portable and AVX2
/// kernels give the same bits — then `.store`, `.accumulate` or `.gelu` as the f32 GEMM.
public enum Int8GEMM {
    /// The micro-kernel this build uses, e.g. `qd8_f32_qc7w_gemm_6x16c4__avx2`.
    public static var kernelName: String { ActiveInt8GEMMKernel.name }

    /// NR: output columns per packed panel (every int8 kernel of the table uses 16).
    public static var panelWidth: Int { 16 }

    /// Inputs per scale (ggml's q8_0 block), on both sides.
    public static let groupSize = 32

    /// The largest quantised weight magnitude: weights lie in [−127, 127] (see above).
    public static let weightLimit = 127

    /// The largest |Wq[j, 2i]| + |Wq[j, 2i + 1]| of a weight pair (pairs even-aligned along k): what
    /// keeps `vpmaddubsw`'s pair sums, ≤ 255·128 = 32640, below int16's 32767 (see above).
    public static let pairLimit = 128

    /// The largest quantised activation magnitude: activations lie in [−127, 127].
    public static let activationLimit = 127

    /// What is added to a quantised activation to store it as an unsigned byte.
    public static let activationOffset = 128

    /// Scales per row (activations) or per output channel (weights) for inner size k: ⌈k / 32⌉.
    public static func groupCount(k: Int) -> Int { SaturatingArithmetic.ceilingDivision(k, groupSize) }

    /// ⌈n / 16⌉ panels.
    public static func panelCount(n: Int) -> Int { SaturatingArithmetic.ceilingDivision(n, panelWidth) }

    /// Bytes of one panel: the bias (16 Float32), then per group of 32 inputs the 16 columns' weight
    /// scales (16 Float32) and sum corrections (16 Int32) and up to 8 rows of 16 column quads (64 int8).
    static func panelBytes(k: Int) -> Int {
        SaturatingArithmetic.sum(SaturatingArithmetic.sum(headerBytes, SaturatingArithmetic.product(groupCount(k: k), groupHeaderBytes)),
                                 SaturatingArithmetic.product(quadCount(k: k), 64))
    }

    /// The bias row at the start of a panel.
    static let headerBytes = 64

    /// A group's scales and corrections.
    static let groupHeaderBytes = 128

    /// k rounded up to quads (groups of 32 hold 8 quads; only the last group can be shorter).
    static func quadCount(k: Int) -> Int { SaturatingArithmetic.ceilingDivision(k, 4) }

    /// Bytes for a packed [n, k] weight with bias and scales; saturates at `Int.max`.
    public static func packedByteCount(n: Int, k: Int) -> Int {
        SaturatingArithmetic.product(panelCount(n: n), panelBytes(k: k))
    }

    /// Bytes of a quantised activation row for inner size k: k rounded up to a quad (the padding bytes
    /// are written as 128, a zero).
    public static func quantizedRowLength(k: Int) -> Int { SaturatingArithmetic.ceilingDivision(k, 4) * 4 }

    /// Quantises a PyTorch Linear weight (`[n, k]` row-major) per output channel and group of 32
    /// inputs (``quantizeWeight(weight:n:k:quantized:scales:)``) and packs it with its bias `[n]` into
    /// `packedByteCount(n:k:)` bytes at `packed` (``pack(quantized:scales:bias:n:k:into:)``). At load
    /// only: it allocates n·k bytes for the quantised weight.
    public static func pack(
        weight: UnsafePointer<Float>,  // [n, k]
        bias: UnsafePointer<Float>,  // [n]
        n: Int, k: Int,
        into packed: UnsafeMutableRawPointer  // [packedByteCount(n, k)] bytes
    ) {
        guard n > 0, k >= 0 else { return }
        let quantized = UnsafeMutablePointer<Int8>.allocate(capacity: max(n * k, 1))  // [n, k]
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: max(n * groupCount(k: k), 1))  // [n, ⌈k/32⌉]
        defer { quantized.deallocate(); scales.deallocate() }
        quantizeWeight(weight: weight, n: n, k: k, quantized: quantized, scales: scales)
        pack(quantized: quantized, scales: scales, bias: bias, n: n, k: k, into: packed)
    }

    /// Quantises `rows` rows of `k` floats (row stride `ldx`) to bytes `q + 128`, q in [−127, 127]
    /// (row stride `ldOut` ≥ `quantizedRowLength(k:)`, the padding bytes 128) with one scale per
    /// group of 32 inputs, `scales[r, g] = max|x[r, 32g ..< 32g + 32]| / 127` (0 for a zero group),
    /// row stride `ldScales` ≥ `groupCount(k:)`.
    public static func quantizeRows(
        rows: Int, k: Int,
        x: UnsafePointer<Float>, ldx: Int,  // [rows, k]
        out: UnsafeMutablePointer<UInt8>, ldOut: Int,  // [rows, quantizedRowLength(k)]
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
        a: UnsafePointer<UInt8>, lda: Int,  // [m, quantizedRowLength(k)], from quantizeRows
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
        a: UnsafePointer<UInt8>, lda: Int,  // [m, quantizedRowLength(k)]
        aScales: UnsafePointer<Float>, ldScales: Int,  // [m, groupCount(k)]
        packed: UnsafeRawPointer,  // [packedByteCount(n, k)] bytes
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, n]
        epilogue: GEMMEpilogue,
        panelRange: Range<Int>
    ) {
        guard m > 0, n > 0, k >= 0 else { return }
        let stride = panelBytes(k: k)
        let quads = quadCount(k: k)
        for panel in panelRange.clamped(to: 0..<panelCount(n: n)) {
            let first = panel * panelWidth
            Kernel.multiplyPanel(m: m, quads: quads, a: a, lda: lda, aScales: aScales, ldScales: ldScales,
                                 panel: packed + panel * stride, c: c + first, ldc: ldc,
                                 columns: min(panelWidth, n - first), epilogue: epilogue)
        }
    }

    /// The quantisers' scalar rounding: nearest, ties to even (as `cvtps2dq`), clamped to
    /// [−limit, limit]; NaN gives −limit as the AVX2 conversion (0x80000000) clamped does. Never traps.
    @inline(__always)
    static func quantized(_ value: Float, limit: Int) -> Int {
        let rounded = value.rounded(.toNearestOrEven)
        if rounded >= Float(limit) { return limit }
        if rounded >= -Float(limit) { return Int(rounded) }
        return -limit
    }

    /// The scalar quantiser of one row (the portable kernel's, and the reference for the others):
    /// writes `groupCount(k)` scales and `quantizedRowLength(k)` bytes.
    static func quantizeRowScalar(k: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<UInt8>,
                                  scales: UnsafeMutablePointer<Float>) {
        var group = 0
        while group * groupSize < k {
            let start = group * groupSize
            scales[group] = quantizeGroupScalar(count: min(groupSize, k - start), x: x + start, out: out + start)
            group += 1
        }
        for padding in k..<quantizedRowLength(k: k) { out[padding] = UInt8(activationOffset) }
    }

    /// limit/largest, the factor that maps a group onto [−limit, limit]: 0 for a zero group, and at most
    /// the largest finite Float — below |x| ≈ 3.7e-37 (subnormal GELU tails) 127/largest overflows, and
    /// x·∞ would give every quantiser a NaN or an overflow to round: each its own way (`cvtps2dq`'s
    /// 0x80000000 against the scalar clamp), so the sets' bits would part.
    @inline(__always)
    static func inverseStep(_ largest: Float, limit: Int) -> Float {
        largest > 0 ? min(Float(limit) / largest, .greatestFiniteMagnitude) : 0
    }

    /// One group of `count` values: returns its scale max|x|/127.
    @inline(__always)
    static func quantizeGroupScalar(count: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<UInt8>) -> Float {
        var largest: Float = 0
        for i in 0..<count { largest = max(largest, abs(x[i])) }
        let inverse = inverseStep(largest, limit: activationLimit)
        for i in 0..<count { out[i] = UInt8(quantized(x[i] * inverse, limit: activationLimit) + activationOffset) }
        return largest / Float(activationLimit)
    }
}
