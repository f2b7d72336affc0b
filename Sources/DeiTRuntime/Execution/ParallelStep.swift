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
    /// CaiT's talking-heads attention for block of query rows number `task`, all heads, with worker
    /// `worker`'s scratch.
    case talkingHeadsRows(TalkingHeadsStep)
    /// GELU or QuickGELU in place over a chunk of rows (the profiled run's separate GELU pass; every
    /// QuickGELU model's activation pass).
    case gelu(GELUStep)
    /// LayerNorm of a chunk of rows.
    case layerNorm(LayerNormStep)
    /// OpenBLAS sgemm on block `task` of C's columns (`.plainF32` weights: BLASLinear.swift; only the
    /// DEIT_BLAS=openblas build stores weights in that format).
    case blasLinear(BLASLinearStep)
    /// Quantise a chunk of a GEMM's input rows to int8 values with a scale per row.
    case quantizeRows(QuantizeRowsStep)
    /// C = epilogue(dequant(Aq·Wqᵀ) + b) over the int8 weights' panels, in `chunks` panel ranges.
    case int8Linear(Int8LinearStep)

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
                                  s.out + head * s.headDim, s.width,
                                  s.probabilities.map { $0 + head * s.probabilityRows * s.tokens }, s.probabilityRows)
        case .talkingHeadsRows(let s):
            let a = s.attention
            let first = task * a.rowBlock
            kernels.talkingHeadsRows(first..<min(a.queryRows, first + a.rowBlock), a.tokens, s.heads, a.headDim,
                                     a.qkv, 3 * a.width, a.packedKeys, a.packedKeysCount,
                                     a.packedValues, a.packedValuesCount,
                                     s.mix.logitsWeight, s.mix.logitsBias, s.mix.weightsWeight, s.mix.weightsBias,
                                     a.scores + worker * s.scratchPerWorker, a.out, a.width)
        case .gelu(let s):
            let rows = task * s.rows / s.chunks ..< (task + 1) * s.rows / s.chunks
            switch s.activation {
            case .gelu: kernels.applyGELU(s.x + rows.lowerBound * s.width, rows.count * s.width)
            case .quickGELU: kernels.applyQuickGELU(s.x + rows.lowerBound * s.width, rows.count * s.width)
            }
        case .layerNorm(let s):
            let first = task * s.rows / s.chunks, end = (task + 1) * s.rows / s.chunks
            kernels.layerNorm(end - first, s.width, s.x + first * s.width, s.width, s.gamma, s.beta,
                              s.epsilon, s.out + first * s.width, s.width)
        case .blasLinear(let s):
            s.run(task: task, kernels: kernels)
        case .quantizeRows(let s):
            let first = task * s.rows / s.chunks, end = (task + 1) * s.rows / s.chunks
            kernels.int8QuantizeRows(end - first, s.k, s.x + first * s.ldx, s.ldx, s.out + first * s.ldOut, s.ldOut,
                                     s.scales + first * s.ldScales, s.ldScales)
        case .int8Linear(let s):
            let panels = task * s.panelCount / s.chunks ..< (task + 1) * s.panelCount / s.chunks
            kernels.int8GEMM(s.m, s.n, s.k, s.a, s.lda, s.aScales, s.ldScales, s.packed, s.c, s.ldc, s.epilogue, panels)
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

/// A GEMM's input rows quantised per row, in `chunks` tasks of whole rows.
struct QuantizeRowsStep {
    var x: UnsafePointer<Float>, ldx: Int            // [rows, k]
    var out: UnsafeMutablePointer<Int16>, ldOut: Int // [rows, Int8GEMM.quantizedRowLength(k)]
    var scales: UnsafeMutablePointer<Float>, ldScales: Int  // [rows, Int8GEMM.groupCount(k)]
    var rows: Int, k: Int, chunks: Int
}

/// An int8 GEMM split over panel ranges.
struct Int8LinearStep {
    var m: Int, n: Int, k: Int
    var a: UnsafePointer<Int16>, lda: Int            // [m, quantizedRowLength(k)]
    var aScales: UnsafePointer<Float>, ldScales: Int // [m, Int8GEMM.groupCount(k)]
    var packed: UnsafeRawPointer                     // Int8GEMM.pack of W [n, k] with bias
    var c: UnsafeMutablePointer<Float>, ldc: Int     // [m, n]
    var epilogue: GEMMEpilogue
    var panelCount: Int                              // ⌈n / 16⌉
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
    var probabilities: UnsafeMutablePointer<Float>? = nil  // [heads, probabilityRows, T], or nil
    var probabilityRows: Int = 0                     // query rows whose softmax rows are written
}

/// Talking-heads attention (CaiT's patch blocks): `attention` with `scores` the talking-heads
/// scratch, `rowBlock` R' and `queryRows` N; tasks are blocks of query rows.
struct TalkingHeadsStep {
    var attention: AttentionStep
    var heads: Int
    var mix: CaiTWeights.Mix
    var scratchPerWorker: Int                        // 2·heads·R'·N floats
}

/// The activation in place over `rows` rows of `width` floats, in `chunks` tasks.
struct GELUStep {
    var x: UnsafeMutablePointer<Float>               // [rows, width]
    var rows: Int, width: Int, chunks: Int
    var activation: Activation
}

/// LayerNorm of `rows` rows of `width` floats (contiguous), in `chunks` tasks of whole rows.
struct LayerNormStep {
    var x: UnsafePointer<Float>                      // [rows, width]
    var gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>  // [width] each
    var out: UnsafeMutablePointer<Float>             // [rows, width]
    var rows: Int, width: Int, chunks: Int
    var epsilon: Float
}
