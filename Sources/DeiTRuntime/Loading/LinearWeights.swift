import DeiTKernelTable
// Layout arithmetic only (`Int8GEMM.packedByteCount`, the same in every set); packing runs through
// the load-time `KernelTable`.
import DeiTKernels

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
    /// Int8 weights quantised per output channel, with their Float32 scales and the bias inside each
    /// 16-column panel (`Int8GEMM.pack`): the blocks' Linear layers at `Precision.int8`.
    case packedInt8

    /// Floats of one Linear layer's region (weight [n, k] and bias [n]) in this format.
    func floatCount(n: Int, k: Int) throws(DeiTError) -> Int {
        switch self {
        case .packedF32(let panelWidth): return PanelPacking.packedCount(n: n, k: k, panelWidth: panelWidth)
        case .plainF32: return try BLASLinear.floatCount(n: n, k: k)
        case .packedInt8:
            // The regions are counted in floats; a packed int8 weight is a multiple of 32 bytes.
            return Int8GEMM.packedByteCount(n: n, k: k) / MemoryLayout<Float>.stride
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
        case .packedInt8:
            // The load-time choice's kernels (the same layout and bits in every set).
            KernelChoice.loadTable.int8Pack(weight, bias, n, k, UnsafeMutableRawPointer(destination))
        }
    }

    /// Refuses a model whose sizes this format's backend cannot run, before anything is sized from them
    /// (OpenBLAS takes 32-bit sizes; our kernels take any size the limits admit).
    func checkSizes(_ config: ModelConfig) throws(DeiTError) {
        switch self {
        case .packedF32: return
        case .plainF32: try BLASLinear.checkSizes(config)
        case .packedInt8: return   // int32 sums are per group of 32 inputs: any k
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

    /// `data` as Float32 (the `.packedF32` and `.plainF32` formats).
    var floats: UnsafePointer<Float> { data.assumingMemoryBound(to: Float.self) }
}
