import DeiTKernelTable
// Layout arithmetic only (`Int8GEMM.groupSize`: the same in every kernel set).
import DeiTKernels

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

    /// Rows of A per pass over a GEMM task's panels: a multiple of every tile height (5, 6, 8, 4, 2),
    /// above DeiT's T = 197 so a single image is one block, as before batches.
    static let gemmRowBlock = 240

    /// Blocks of `gemmRowBlock` rows covering m rows (1 for m ≤ 240).
    static func rowBlocks(_ m: Int) -> Int { max(1, (m + gemmRowBlock - 1) / gemmRowBlock) }

    func run(task: Int, worker: Int, kernels: KernelTable) {
        switch self {
        case .linear(let s):
            // Task = (block of rows, range of panels), row-block-major: the workers share out one
            // block's panels before the next block, so a batch's A block stays in cache while every
            // panel passes over it (one block, the old split, for a single image's T ≤ gemmRowBlock).
            // Each row's result does not depend on its block or its tile.
            let chunk = task % s.chunks, first = task / s.chunks * ParallelStep.gemmRowBlock
            let panels = chunk * s.panelCount / s.chunks ..< (chunk + 1) * s.panelCount / s.chunks
            let rows = min(ParallelStep.gemmRowBlock, s.m - first)
            kernels.gemm(rows, s.n, s.k, s.a + first * s.lda, s.lda, s.packed, s.c + first * s.ldc, s.ldc,
                         s.epilogue, panels)
        case .packHeads(let s):
            // Task = (image, head); image i's K and V in packed slot i·heads + head.
            let image = task / s.heads, head = task % s.heads
            let q = s.qkv + image * s.tokens * 3 * s.width + head * s.headDim
            if s.int16Attention {
                kernels.int16AttentionPackHead(s.tokens, s.headDim, q + s.width, q + 2 * s.width, 3 * s.width, s.scale,
                                               UnsafeMutableRawPointer(s.packedKeys + task * s.packedKeysCount),
                                               UnsafeMutableRawPointer(s.packedValues + task * s.packedValuesCount))
            } else {
                kernels.attentionPackHead(s.tokens, s.headDim, q + s.width, q + 2 * s.width, 3 * s.width, s.scale,
                                          s.packedKeys + task * s.packedKeysCount,
                                          s.packedValues + task * s.packedValuesCount)
            }
        case .attentionRows(let s):
            // Task = (image, head, block of query rows).
            let image = task / (s.heads * s.blocksPerHead), slot = task / s.blocksPerHead  // slot: image·heads + head
            let head = slot % s.heads
            let first = (task % s.blocksPerHead) * s.rowBlock
            let q = s.qkv + image * s.tokens * 3 * s.width
            let rows = first..<min(s.queryRows, first + s.rowBlock)
            let out = s.out + image * s.tokens * s.width + head * s.headDim
            let probabilities = s.probabilities.map { $0 + head * s.probabilityRows * s.tokens }
            if s.int16Attention {
                kernels.int16AttentionRows(rows, s.tokens, s.headDim, q + head * s.headDim, 3 * s.width,
                                           UnsafeRawPointer(s.packedKeys + slot * s.packedKeysCount),
                                           UnsafeRawPointer(s.packedValues + slot * s.packedValuesCount),
                                           s.scores + worker * s.scoresPerWorker, out, s.width,
                                           probabilities, s.probabilityRows)
            } else {
                kernels.attentionRows(rows, s.tokens, s.headDim, q + head * s.headDim, 3 * s.width,
                                      s.packedKeys + slot * s.packedKeysCount,
                                      s.packedValues + slot * s.packedValuesCount,
                                      s.scores + worker * s.scoresPerWorker, out, s.width,
                                      probabilities, s.probabilityRows)
            }
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
            if let q = s.quantized {
                // The next int8 GEMM's input, from the rows just written (still in L1).
                kernels.int8QuantizeRows(end - first, s.width, s.out + first * s.width, s.width, q.bytes + first * q.ld, q.ld,
                                         q.scales + first * q.ldScales, q.ldScales)
            }
        case .blasLinear(let s):
            s.run(task: task, kernels: kernels)
        case .quantizeRows(let s):
            let first = task * s.rows / s.chunks, end = (task + 1) * s.rows / s.chunks
            kernels.int8QuantizeRows(end - first, s.k, s.x + first * s.ldx, s.ldx, s.out + first * s.ldOut, s.ldOut,
                                     s.scales + first * s.ldScales, s.ldScales)
        case .int8Linear(let s):
            // (block of rows, range of panels), as .linear.
            let chunk = task % s.chunks, first = task / s.chunks * ParallelStep.gemmRowBlock
            let rows = min(ParallelStep.gemmRowBlock, s.m - first)
            guard let q = s.quantizedOutput else {
                let panels = chunk * s.panelCount / s.chunks ..< (chunk + 1) * s.panelCount / s.chunks
                kernels.int8GEMM(rows, s.n, s.k, s.a + first * s.lda, s.lda, s.aScales + first * s.ldScales, s.ldScales,
                                 s.packed, s.c + first * s.ldc, s.ldc, s.epilogue, panels)
                return
            }
            // Chunks of panel pairs: two 16-column panels are one 32-input scale group of the next
            // layer. Each pair goes to this worker's strip (rows × 32 floats, in L1/L2) and is
            // quantised from there at once: the floats are never written to C nor read back.
            let strip = q.strips + worker * ParallelStep.gemmRowBlock * Int8GEMM.groupSize  // [rows, 32]
            let pairBytes = Int8GEMM.packedByteCount(n: Int8GEMM.groupSize, k: s.k)  // a pair's two panels
            let pairCount = (s.panelCount + 1) / 2
            for pair in chunk * pairCount / s.chunks ..< (chunk + 1) * pairCount / s.chunks {
                let column = pair * Int8GEMM.groupSize, columns = min(Int8GEMM.groupSize, s.n - column)
                kernels.int8GEMM(rows, columns, s.k, s.a + first * s.lda, s.lda, s.aScales + first * s.ldScales, s.ldScales,
                                 s.packed + pair * pairBytes, strip, Int8GEMM.groupSize, s.epilogue,
                                 0..<Int8GEMM.panelCount(n: columns))
                kernels.int8QuantizeRows(rows, columns, strip, Int8GEMM.groupSize, q.rows.bytes + first * q.rows.ld + column,
                                         q.rows.ld, q.rows.scales + first * q.rows.ldScales + pair, q.rows.ldScales)
            }
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
    var chunks: Int                                  // panel ranges per block of rows; tasks: chunks·row blocks
}

/// A GEMM's input rows quantised per row, in `chunks` tasks of whole rows.
struct QuantizeRowsStep {
    var x: UnsafePointer<Float>, ldx: Int            // [rows, k]
    var out: UnsafeMutablePointer<UInt8>, ldOut: Int // [rows, Int8GEMM.quantizedRowLength(k)]
    var scales: UnsafeMutablePointer<Float>, ldScales: Int  // [rows, Int8GEMM.groupCount(k)]
    var rows: Int, k: Int, chunks: Int
}

/// Rows of an int8 GEMM's input as `Int8GEMM.quantizeRows` writes them: bytes `q + 128` and one scale
/// per 32 inputs.
struct QuantizedRows {
    var bytes: UnsafeMutablePointer<UInt8>, ld: Int         // [rows, quantizedRowLength(k)]
    var scales: UnsafeMutablePointer<Float>, ldScales: Int  // [rows, groupCount(k)]
}

/// An int8 GEMM split over panel ranges.
struct Int8LinearStep {
    var m: Int, n: Int, k: Int
    var a: UnsafePointer<UInt8>, lda: Int            // [m, quantizedRowLength(k)]
    var aScales: UnsafePointer<Float>, ldScales: Int // [m, Int8GEMM.groupCount(k)]
    var packed: UnsafeRawPointer                     // Int8GEMM.pack of W [n, k] with bias
    var c: UnsafeMutablePointer<Float>, ldc: Int     // [m, n]
    var epilogue: GEMMEpilogue
    var panelCount: Int                              // ⌈n / 16⌉
    var chunks: Int                                  // tasks: contiguous panel ranges (of pairs with quantizedOutput)
    /// Set: C is kept only quantised for the next int8 GEMM (c is not written; store or GELU epilogue).
    var quantizedOutput: QuantizedOutput? = nil
}

/// An int8 GEMM's output [m, n] as `Int8GEMM.quantizeRows` would leave it, made by the GEMM's own
/// tasks a pair of panels at a time in per-worker strips.
struct QuantizedOutput {
    var rows: QuantizedRows
    var strips: UnsafeMutablePointer<Float>          // [threads, gemmRowBlock, 32]
}

/// Multi-head attention from the qkv buffer into the head outputs, for `images` images at once
/// (image i's rows at i·T in qkv and out; its packed K and V in slots i·heads ..< (i+1)·heads).
struct AttentionStep {
    var tokens: Int, headDim: Int, width: Int        // T, hd, D
    var scale: Float
    var qkv: UnsafeMutablePointer<Float>             // [images·T, 3D]
    var packedKeys: UnsafeMutablePointer<Float>      // [images·heads, packedKeysCount]
    var packedValues: UnsafeMutablePointer<Float>    // [images·heads, packedValuesCount]
    var packedKeysCount: Int, packedValuesCount: Int
    var scores: UnsafeMutablePointer<Float>          // [threads, scoresPerWorker]: [rowBlock, T] scores (+ 16-bit attention: Q and E rows quantised)
    var scoresPerWorker: Int                         // ActivationPlan.scoresPerWorker (talking heads: unused)
    var out: UnsafeMutablePointer<Float>             // [images·T, D]
    var queryRows: Int                               // rows 0 ..< queryRows of out are computed (≤ T)
    var rowBlock: Int, blocksPerHead: Int
    var probabilities: UnsafeMutablePointer<Float>? = nil  // [heads, probabilityRows, T], or nil
    var probabilityRows: Int = 0                     // query rows whose softmax rows are written
    var heads: Int = 1                               // tasks decode (image, head) with it
    var images: Int = 1                              // probabilities: single runs only (images 1)
    var int16Attention: Bool = false                 // Q·Kᵀ and E·V on 16-bit integers (Int16AttentionKernel), K and V packed for it
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
    /// out quantised for the next int8 GEMM, as `Int8GEMM.quantizeRows` would: [rows, width] (nil: not)
    var quantized: QuantizedRows? = nil
}
