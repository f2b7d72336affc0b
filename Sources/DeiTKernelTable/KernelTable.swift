/// Every kernel the forward pass calls, for one instruction set, as function values.
///
/// Swift has no per-function target attributes, so Package.swift compiles the kernel sources
/// (Sources/DeiTKernels) once per instruction set as separate modules with their own `-march`
/// (DeiTKernels: the baseline; DeiTKernelsAVX2, DeiTKernelsAVX512 and the two VNNI modules on x86-64,
/// DeiTKernelsDotProd on aarch64), and each module
/// describes itself with one of these (`CompiledKernels.table`). The runtime, compiled for the
/// baseline, picks one table per session (`KernelChoice`) and calls only through it, so every hot loop
/// runs in code compiled for the chosen set. Each call is one indirect call per kernel invocation
/// (per GEMM panel range, per head, per block of rows): nothing per element.
///
/// Adding a kernel: a field (and its `init` parameter) here, its entry in `CompiledKernels.table`
/// (Sources/DeiTKernels/CompiledKernels.swift), then call it as `kernels.name(...)` in the runtime.
public struct KernelTable: Sendable {
    /// The instruction set these kernels were compiled for.
    public let set: KernelSet
    /// The GEMM micro-kernel, e.g. `f32_gemm_5x16__avx2_fma`.
    public let gemmKernelName: String
    /// NR of the GEMM's packed panels (`PanelPacking`): weights packed for another width must be
    /// re-packed before this set can run them.
    public let gemmPanelWidth: Int

    /// C[m×n] (ldc) ⟵ epilogue(A[m×k] (lda) · Wᵀ + b) over the panels in `panelRange`, W packed for
    /// `gemmPanelWidth` (`PackedGEMM.multiply(…, panelRange:)`).
    public let gemm: @Sendable (
        _ m: Int, _ n: Int, _ k: Int,
        _ a: UnsafePointer<Float>, _ lda: Int,  // [m, k]
        _ packed: UnsafePointer<Float>,  // [PanelPacking.packedCount(n, k, gemmPanelWidth)]
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int,  // [m, n]
        _ epilogue: GEMMEpilogue, _ panelRange: Range<Int>
    ) -> Void

    /// `AttentionKernel.packHead`: one head's scale·K and V into the attention panels.
    public let attentionPackHead: @Sendable (
        _ tokens: Int, _ headDim: Int,
        _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ ldQKV: Int,  // [tokens, headDim] each
        _ scale: Float,
        _ packedKeys: UnsafeMutablePointer<Float>, _ packedValues: UnsafeMutablePointer<Float>
    ) -> Void

    /// `AttentionKernel.rows`: attention for a block of query rows against a packed head.
    public let attentionRows: @Sendable (
        _ queryRows: Range<Int>, _ tokens: Int, _ headDim: Int,
        _ q: UnsafePointer<Float>, _ ldQKV: Int,  // [tokens, headDim]
        _ packedKeys: UnsafePointer<Float>, _ packedValues: UnsafePointer<Float>,
        _ scores: UnsafeMutablePointer<Float>,  // [min(queryRows.count, 64), tokens]
        _ out: UnsafeMutablePointer<Float>, _ ldOut: Int,  // [tokens, headDim]
        _ probabilities: UnsafeMutablePointer<Float>?, _ probabilityRows: Int  // [probabilityRows, tokens], or nil
    ) -> Void

    /// `TalkingHeadsKernel.rows`: CaiT's talking-heads attention for a block of query rows, all heads.
    public let talkingHeadsRows: @Sendable (
        _ queryRows: Range<Int>, _ tokens: Int, _ heads: Int, _ headDim: Int,
        _ q: UnsafePointer<Float>, _ ldQKV: Int,  // [tokens, heads·headDim]
        _ packedKeys: UnsafePointer<Float>, _ packedKeysStride: Int,  // [heads, stride]
        _ packedValues: UnsafePointer<Float>, _ packedValuesStride: Int,  // [heads, stride]
        _ logitsMix: UnsafePointer<Float>, _ logitsBias: UnsafePointer<Float>,  // [heads, heads], [heads]
        _ weightsMix: UnsafePointer<Float>, _ weightsBias: UnsafePointer<Float>,  // [heads, heads], [heads]
        _ scratch: UnsafeMutablePointer<Float>,  // [TalkingHeadsKernel.scratchCount(queryRows.count, heads, tokens)]
        _ out: UnsafeMutablePointer<Float>, _ ldOut: Int  // [tokens, heads·headDim]
    ) -> Void

    /// `LayerNormKernel.normalize`: rows of `width`, out may be x.
    public let layerNorm: @Sendable (
        _ rows: Int, _ width: Int, _ x: UnsafePointer<Float>, _ ldx: Int,
        _ gamma: UnsafePointer<Float>, _ beta: UnsafePointer<Float>, _ epsilon: Float,
        _ out: UnsafeMutablePointer<Float>, _ ldOut: Int
    ) -> Void

    /// `Elementwise.add`: y[0..<count] += x[0..<count].
    public let add: @Sendable (_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) -> Void

    /// `Elementwise.applyGELU`: x = GELU_erf(x) in place.
    public let applyGELU: @Sendable (_ x: UnsafeMutablePointer<Float>, _ count: Int) -> Void

    /// `Elementwise.applyQuickGELU`: x = x·sigmoid(1.702·x) in place.
    public let applyQuickGELU: @Sendable (_ x: UnsafeMutablePointer<Float>, _ count: Int) -> Void

    /// `PatchKernel.extractPatches`: image CHW → patches [(S/P)², C·P·P].
    public let extractPatches: @Sendable (
        _ image: UnsafePointer<Float>, _ channels: Int, _ imageSize: Int, _ patchSize: Int,
        _ out: UnsafeMutablePointer<Float>
    ) -> Void

    /// `VectorMath.exp` (scalar): the probabilities of `Prediction`, so they match the set's bits.
    public let exp: @Sendable (_ x: Float) -> Float

    /// The int8 GEMM micro-kernel, e.g. `qd8_f32_qc7w_gemm_6x16c4__avx2`. Its packed layout
    /// (`Int8GEMM.pack`: 16-column panels) and the quantised rows are the same in every set, and every
    /// set's int8 kernel gives the same bits (multiplies then adds, never fused), so int8 weights are
    /// never re-packed.
    public let int8GEMMKernelName: String

    /// `Int8GEMM.quantizeRows`: rows of A to int8 values (as bytes q + 128) with one scale per row and 32 inputs.
    public let int8QuantizeRows: @Sendable (
        _ rows: Int, _ k: Int,
        _ x: UnsafePointer<Float>, _ ldx: Int,  // [rows, k]
        _ out: UnsafeMutablePointer<UInt8>, _ ldOut: Int,  // [rows, Int8GEMM.quantizedRowLength(k)]
        _ scales: UnsafeMutablePointer<Float>, _ ldScales: Int  // [rows, Int8GEMM.groupCount(k)]
    ) -> Void

    /// `Int8GEMM.multiply`: C ⟵ epilogue(dequant(Aq·Wqᵀ) + bias) over the panels in `panelRange`.
    public let int8GEMM: @Sendable (
        _ m: Int, _ n: Int, _ k: Int,
        _ a: UnsafePointer<UInt8>, _ lda: Int,  // [m, Int8GEMM.quantizedRowLength(k)]
        _ aScales: UnsafePointer<Float>, _ ldScales: Int,  // [m, Int8GEMM.groupCount(k)]
        _ packed: UnsafeRawPointer,  // [Int8GEMM.packedByteCount(n, k)] bytes
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int,  // [m, n]
        _ epilogue: GEMMEpilogue, _ panelRange: Range<Int>
    ) -> Void

    /// `Int8GEMM.pack` (at load): W [n, k] quantised per output channel and 32 inputs, with its bias.
    public let int8Pack: @Sendable (
        _ weight: UnsafePointer<Float>,  // [n, k]
        _ bias: UnsafePointer<Float>,  // [n]
        _ n: Int, _ k: Int,
        _ packed: UnsafeMutableRawPointer  // [Int8GEMM.packedByteCount(n, k)] bytes
    ) -> Void

    /// `Int8GEMM.quantizeWeight` (`deit-cli quantize`): W [n, k] quantised as `int8Pack` does, in the
    /// PyTorch layout an int8 model file stores.
    public let int8QuantizeWeight: @Sendable (
        _ weight: UnsafePointer<Float>,  // [n, k]
        _ n: Int, _ k: Int,
        _ quantized: UnsafeMutablePointer<Int8>,  // [n, k]
        _ scales: UnsafeMutablePointer<Float>  // [n, Int8GEMM.groupCount(k)]
    ) -> Void

    /// `Int8GEMM.pack(quantized:…)` (at load, int8 model files): `int8QuantizeWeight`'s output with its
    /// bias into the panels `int8Pack` writes for the same float weight (the same bytes).
    public let int8PackQuantized: @Sendable (
        _ quantized: UnsafePointer<Int8>,  // [n, k], |w| ≤ 127, pairs ≤ 128
        _ scales: UnsafePointer<Float>,  // [n, Int8GEMM.groupCount(k)]
        _ bias: UnsafePointer<Float>,  // [n]
        _ n: Int, _ k: Int,
        _ packed: UnsafeMutableRawPointer  // [Int8GEMM.packedByteCount(n, k)] bytes
    ) -> Void

    /// Whether the int8 precision's attention computes its two products on 16-bit integers
    /// (`Int16AttentionKernel`) with this set: where `vpmaddwd` doubles the FMA's multiply-adds.
    public let int16Attention: Bool

    /// `Int16AttentionKernel.packHead`: one head's keys and values in 16-bit panels.
    public let int16AttentionPackHead: @Sendable (
        _ tokens: Int, _ headDim: Int,
        _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ ldQKV: Int,  // [tokens, headDim] each
        _ scale: Float,
        _ packedKeys: UnsafeMutableRawPointer,  // [Int16AttentionKernel.packedKeysByteCount] bytes
        _ packedValues: UnsafeMutableRawPointer  // [Int16AttentionKernel.packedValuesByteCount] bytes
    ) -> Void

    /// `Int16AttentionKernel.rows`: attention for a block of query rows, Q·Kᵀ and E·V on 16-bit integers.
    public let int16AttentionRows: @Sendable (
        _ queryRows: Range<Int>, _ tokens: Int, _ headDim: Int,
        _ q: UnsafePointer<Float>, _ ldQKV: Int,  // [tokens, headDim]
        _ packedKeys: UnsafeRawPointer, _ packedValues: UnsafeRawPointer,
        _ scratch: UnsafeMutablePointer<Float>,  // [Int16AttentionKernel.scratchCount(min(queryRows.count, 64), tokens, headDim)]
        _ out: UnsafeMutablePointer<Float>, _ ldOut: Int,  // [tokens, headDim]
        _ probabilities: UnsafeMutablePointer<Float>?, _ probabilityRows: Int  // [probabilityRows, tokens], or nil
    ) -> Void

    public init(
        set: KernelSet, gemmKernelName: String, gemmPanelWidth: Int,
        gemm: @escaping @Sendable (Int, Int, Int, UnsafePointer<Float>, Int, UnsafePointer<Float>,
                                   UnsafeMutablePointer<Float>, Int, GEMMEpilogue, Range<Int>) -> Void,
        attentionPackHead: @escaping @Sendable (Int, Int, UnsafePointer<Float>, UnsafePointer<Float>, Int, Float,
                                                UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void,
        attentionRows: @escaping @Sendable (Range<Int>, Int, Int, UnsafePointer<Float>, Int, UnsafePointer<Float>,
                                            UnsafePointer<Float>, UnsafeMutablePointer<Float>,
                                            UnsafeMutablePointer<Float>, Int, UnsafeMutablePointer<Float>?, Int) -> Void,
        talkingHeadsRows: @escaping @Sendable (Range<Int>, Int, Int, Int, UnsafePointer<Float>, Int,
                                               UnsafePointer<Float>, Int, UnsafePointer<Float>, Int,
                                               UnsafePointer<Float>, UnsafePointer<Float>,
                                               UnsafePointer<Float>, UnsafePointer<Float>,
                                               UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
        layerNorm: @escaping @Sendable (Int, Int, UnsafePointer<Float>, Int, UnsafePointer<Float>, UnsafePointer<Float>,
                                        Float, UnsafeMutablePointer<Float>, Int) -> Void,
        add: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
        applyGELU: @escaping @Sendable (UnsafeMutablePointer<Float>, Int) -> Void,
        applyQuickGELU: @escaping @Sendable (UnsafeMutablePointer<Float>, Int) -> Void,
        extractPatches: @escaping @Sendable (UnsafePointer<Float>, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void,
        exp: @escaping @Sendable (Float) -> Float,
        int8GEMMKernelName: String,
        int8QuantizeRows: @escaping @Sendable (Int, Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<UInt8>, Int,
                                               UnsafeMutablePointer<Float>, Int) -> Void,
        int8GEMM: @escaping @Sendable (Int, Int, Int, UnsafePointer<UInt8>, Int, UnsafePointer<Float>, Int,
                                       UnsafeRawPointer, UnsafeMutablePointer<Float>, Int, GEMMEpilogue,
                                       Range<Int>) -> Void,
        int8Pack: @escaping @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, Int, Int,
                                       UnsafeMutableRawPointer) -> Void,
        int8QuantizeWeight: @escaping @Sendable (UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Int8>,
                                                 UnsafeMutablePointer<Float>) -> Void,
        int8PackQuantized: @escaping @Sendable (UnsafePointer<Int8>, UnsafePointer<Float>, UnsafePointer<Float>,
                                                Int, Int, UnsafeMutableRawPointer) -> Void,
        int16Attention: Bool,
        int16AttentionPackHead: @escaping @Sendable (Int, Int, UnsafePointer<Float>, UnsafePointer<Float>, Int, Float,
                                                     UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Void,
        int16AttentionRows: @escaping @Sendable (Range<Int>, Int, Int, UnsafePointer<Float>, Int, UnsafeRawPointer,
                                                 UnsafeRawPointer, UnsafeMutablePointer<Float>,
                                                 UnsafeMutablePointer<Float>, Int, UnsafeMutablePointer<Float>?, Int) -> Void
    ) {
        self.set = set
        self.gemmKernelName = gemmKernelName
        self.gemmPanelWidth = gemmPanelWidth
        self.gemm = gemm
        self.attentionPackHead = attentionPackHead
        self.attentionRows = attentionRows
        self.talkingHeadsRows = talkingHeadsRows
        self.layerNorm = layerNorm
        self.add = add
        self.applyGELU = applyGELU
        self.applyQuickGELU = applyQuickGELU
        self.extractPatches = extractPatches
        self.exp = exp
        self.int8GEMMKernelName = int8GEMMKernelName
        self.int8QuantizeRows = int8QuantizeRows
        self.int8GEMM = int8GEMM
        self.int8Pack = int8Pack
        self.int8QuantizeWeight = int8QuantizeWeight
        self.int8PackQuantized = int8PackQuantized
        self.int16Attention = int16Attention
        self.int16AttentionPackHead = int16AttentionPackHead
        self.int16AttentionRows = int16AttentionRows
    }
}
