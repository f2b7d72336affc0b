import DeiTKernelTable

/// One parallel step of the forward pass: what every task of a `WorkerPool.run` does.
///
/// A plain value (pointers and sizes) handed to the C pool as a pointer to a stack variable, so a step
/// costs no allocation — unlike a capturing closure, which Swift may box on the heap when it crosses
/// into C.
enum ParallelStep {
    /// C = epilogue(A·Wᵀ + b) over W's panels, cut into `chunks` contiguous panel ranges.
    case linear(LinearStep)
    /// Pack scale·K and V of head `task`.
    case packHeads(AttentionStep)
    /// Attention for (head, block of query rows) number `task`, with worker `worker`'s scores.
    case attentionRows(AttentionStep)
    /// GELU in place over a chunk of rows (the profiled run's separate GELU pass).
    case gelu(GELUStep)
    /// LayerNorm of a chunk of rows.
    case layerNorm(LayerNormStep)
    /// OpenBLAS sgemm on block `task` of C's columns (`.plainF32` weights: BLASLinear.swift; only the
    /// DEIT_BLAS=openblas build stores weights in that format).
    case blasLinear(BLASLinearStep)

    func run(task: Int, worker: Int, kernels: KernelTable) {
        switch self {
        case .linear(let s):
            let panels = task * s.panelCount / s.chunks ..< (task + 1) * s.panelCount / s.chunks
            kernels.gemm(s.m, s.n, s.k, s.a, s.lda, s.packed, s.c, s.ldc, s.epilogue, panels)
        case .packHeads(let s):
            let q = s.qkv + task * s.headDim
            kernels.attentionPackHead(s.tokens, s.headDim, q + s.width, q + 2 * s.width, 3 * s.width, s.scale,
                                      s.packedKeys + task * s.packedKeysCount,
                                      s.packedValues + task * s.packedValuesCount)
        case .attentionRows(let s):
            let head = task / s.blocksPerHead
            let first = (task % s.blocksPerHead) * s.rowBlock
            kernels.attentionRows(first..<min(s.queryRows, first + s.rowBlock), s.tokens, s.headDim,
                                  s.qkv + head * s.headDim, 3 * s.width,
                                  s.packedKeys + head * s.packedKeysCount,
                                  s.packedValues + head * s.packedValuesCount,
                                  s.scores + worker * s.rowBlock * s.tokens,
                                  s.out + head * s.headDim, s.width)
        case .gelu(let s):
            let rows = task * s.rows / s.chunks ..< (task + 1) * s.rows / s.chunks
            kernels.applyGELU(s.x + rows.lowerBound * s.width, rows.count * s.width)
        case .layerNorm(let s):
            let first = task * s.rows / s.chunks, end = (task + 1) * s.rows / s.chunks
            kernels.layerNorm(end - first, s.width, s.x + first * s.width, s.width, s.gamma, s.beta,
                              Session.layerNormEpsilon, s.out + first * s.width, s.width)
        case .blasLinear(let s):
            s.run(task: task, kernels: kernels)
        }
    }
}

/// A GEMM split over panel ranges.
struct LinearStep {
    var m: Int, n: Int, k: Int
    var a: UnsafePointer<Float>, lda: Int            // [m, k]
    var packed: UnsafePointer<Float>                 // packed W [n, k] with bias
    var c: UnsafeMutablePointer<Float>, ldc: Int     // [m, n]
    var epilogue: GEMMEpilogue
    var panelCount: Int                              // ⌈n / NR⌉
    var chunks: Int                                  // tasks: contiguous panel ranges
}

/// Multi-head attention from the qkv buffer into the head outputs.
struct AttentionStep {
    var tokens: Int, headDim: Int, width: Int        // T, hd, D
    var scale: Float
    var qkv: UnsafeMutablePointer<Float>             // [T, 3D]
    var packedKeys: UnsafeMutablePointer<Float>      // [heads, packedKeysCount]
    var packedValues: UnsafeMutablePointer<Float>    // [heads, packedValuesCount]
    var packedKeysCount: Int, packedValuesCount: Int
    var scores: UnsafeMutablePointer<Float>          // [threads, rowBlock, T]
    var out: UnsafeMutablePointer<Float>             // [T, D]
    var queryRows: Int                               // rows 0 ..< queryRows of out are computed (≤ T)
    var rowBlock: Int, blocksPerHead: Int
}

/// GELU in place over `rows` rows of `width` floats, in `chunks` tasks.
struct GELUStep {
    var x: UnsafeMutablePointer<Float>               // [rows, width]
    var rows: Int, width: Int, chunks: Int
}

/// LayerNorm of `rows` rows of `width` floats (contiguous), in `chunks` tasks of whole rows.
struct LayerNormStep {
    var x: UnsafePointer<Float>                      // [rows, width]
    var gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>  // [width] each
    var out: UnsafeMutablePointer<Float>             // [rows, width]
    var rows: Int, width: Int, chunks: Int
}
