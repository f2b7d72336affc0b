import DeiTKernelTable

/// How a Linear layer's weights are stored in `PackedWeights`: the one place a weight format is
/// named. The format is chosen once, at load (`LinearFormat.native`, BLASLinear.swift), and the
/// forward pass's `linear` switches on it once per call.
enum LinearFormat: Equatable {
    /// Our kernels' panels with the bias inside (`PanelPacking`), Float32, for a kernel set whose GEMM
    /// panels are `panelWidth` wide: the default build.
    case packedF32(panelWidth: Int)
    /// The checkpoint's row-major weight [n, k] followed by the bias [n], Float32: the OpenBLAS build
    /// (`DEIT_BLAS=openblas`), which hands the weight to `cblas_sgemm` as it is.
    case plainF32
    // Next: int8 weights with per-output-channel Float32 scales (`LinearWeights.scales`).

    /// Floats of one Linear layer's region (weight [n, k] and bias [n]) in this format.
    func floatCount(n: Int, k: Int) throws(DeiTError) -> Int {
        switch self {
        case .packedF32(let panelWidth): return PanelPacking.packedCount(n: n, k: k, panelWidth: panelWidth)
        case .plainF32: return try BLASLinear.floatCount(n: n, k: k)
        }
    }

    /// Stores a Linear layer's weight [n, k] and bias [n] (Float32, as in the checkpoint) at
    /// `destination` (`floatCount(n:k:)` floats) in this format.
    func store(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, n: Int, k: Int,
               into destination: UnsafeMutablePointer<Float>) {
        switch self {
        case .packedF32(let panelWidth):
            PanelPacking.pack(weight: weight, bias: bias, n: n, k: k, into: destination, panelWidth: panelWidth)
        case .plainF32: BLASLinear.store(weight: weight, bias: bias, n: n, k: k, into: destination)
        }
    }

    /// Refuses a model whose sizes this format's backend cannot run, before anything is sized from them
    /// (OpenBLAS takes 32-bit sizes; our kernels take any size the limits admit).
    func checkSizes(_ config: ModelConfig) throws(DeiTError) {
        switch self {
        case .packedF32: return
        case .plainF32: try BLASLinear.checkSizes(config)
        }
    }
}

/// A Linear layer's weights, y = x·Wᵀ + b with W [n, k]: where they are, in which format, and their
/// sizes. A view into the model's weight allocation (`PackedWeights`), immutable after load.
struct LinearWeights {
    /// How `data` is laid out.
    var format: LinearFormat
    /// The region: `format.floatCount(n:k:)` floats for the Float32 formats.
    var data: UnsafeRawPointer
    /// Outputs (rows of W) and inputs (columns of W).
    var n: Int, k: Int
    /// Per-output-channel scales [n] of a quantized format; nil for the Float32 formats.
    var scales: UnsafePointer<Float>?

    /// `data` as Float32 (the `.packedF32` and `.plainF32` formats).
    var floats: UnsafePointer<Float> { data.assumingMemoryBound(to: Float.self) }
}
