// The attention panels' sizes only: their layout (24-column panels, 8-float steps) is the same in
// every kernel set, so the arena can be planned before a set is chosen (SetIndependentLayoutTests
// checks it against the baseline and AVX2 modules).
// Every kernel call goes through the session's `KernelTable`.
import DeiTKernelTable
import DeiTKernels

/// The steps of one forward pass, in order. The buffers a step touches must be live at that step;
/// buffers not live together may share bytes (`MemoryPlan`). The steps of a block repeat for every
/// block, which reuses the same buffers.
enum ForwardStep: Int, Comparable {
    /// Classify only: the eval transform writes the model input (its weight tables in scratch).
    case preprocess = -1
    /// im2col of the input image into the patch matrix.
    case patchExtraction = 0
    /// Patch GEMM into the residual stream, class [and distillation] token, position embedding.
    case patchEmbedding = 1
    /// Per block: LN1.
    case layerNorm1 = 2
    /// Per block: the qkv GEMM.
    case qkv = 3
    /// Per block: K and V packed per head, Q·Kᵀ, softmax, ·V.
    case attention = 4
    /// Per block: the output projection GEMM + residual.
    case projection = 5
    /// Per block: LN2.
    case layerNorm2 = 6
    /// Per block: fc1 + GELU.
    case mlpHidden = 7
    /// Per block: fc2 + residual.
    case mlpOutput = 8
    /// The final LayerNorm, on the prefix tokens only.
    case finalNorm = 9
    /// The classifier head(s).
    case heads = 10

    static func < (lhs: ForwardStep, rhs: ForwardStep) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The activation buffers of one forward pass (T tokens of width D, H MLP hidden units, C classes,
/// N patches of P×P, S×S input; B images per run, the session's max batch: the row-wise buffers hold
/// B·T rows, the images' tokens stacked). The order of the cases is the order the planner receives them
/// in (it breaks ties by that order), so a new slot goes at the end or moves the plan.
enum ActivationSlot: Int, CaseIterable {
    case patches             // (N, 3·P·P)   patches of the input image, im2col order
    case tokens              // (B·T, D)     the residual stream (image i's rows at i·T)
    case normed1             // (B·T, D)     LN1 output
    case qkv                 // (B·T, 3D)    q | k | v per token
    case packedKeys          // (B·heads, packedKeysCount)    scale·K of every image's heads, in GEMM panels (int8 on x86: Int16AttentionKernel's bytes)
    case packedValues        // (B·heads, packedValuesCount)  V of every image's heads, in GEMM panels (int8 on x86: Int16AttentionKernel's bytes)
    case scores              // (threads, scoresPerWorker)  each worker's scores/softmax for R query rows [R, T] (int8: then those rows' Q and E in 16 bits)
    case heads               // (B·T, D)     concatenated head outputs
    case normed2             // (B·T, D)     LN2 output
    case hidden              // (B·T, H)     GELU(fc1) (not written when an int8 fc1 quantises it for fc2 itself)
    case prefix              // (prefix, D)  final LN of the prefix tokens; (2, D) pooled + scratch with avg pooling; (4, D) pooled, max, sum, scratch with max/avgmax
    case headDist            // (C)          head_dist logits, distilled models only (else empty)
    case input               // (3, S, S)    the model input (classify: the preprocessed image)
    case logits              // (C)          classify: the logits
    case preprocessScratch   // (EvalTransform.scratchBytes bytes)  classify: resampling weights
    case quantizedRows       // (B·T, ⌈max(D, H)/4⌉·4) UInt8  int8 precision: a GEMM's input quantised per row, q + 128 (else empty)
    case rowScales           // (B·T, ⌈max(D, H)/32⌉)  int8 precision: those rows' scales, one per 32 inputs (else empty)
    case talkingHeadsScores  // (threads, 2·heads·R', N)  CaiT: each worker's scores and mixes for R' query rows (else empty)
    case quantizedHidden     // (B·T, ⌈H/4⌉·4) UInt8  int8 precision: GELU(fc1) quantised per row by fc1's own tasks, fc2's input (else empty)
    case hiddenScales        // (B·T, ⌈H/32⌉)  int8 precision: those rows' scales (else empty)
    case fc1Strips           // (threads, 240, 32)  int8 precision: each worker's 32 columns of GELU(fc1) before quantising (else empty)

    /// The first and last steps (inclusive) the slot is live in.
    var lifetime: (first: ForwardStep, last: ForwardStep) {
        switch self {
        case .patches: (.patchExtraction, .patchEmbedding)
        case .tokens: (.patchEmbedding, .heads)
        case .normed1: (.layerNorm1, .qkv)
        case .qkv: (.qkv, .attention)
        case .packedKeys, .packedValues, .scores, .talkingHeadsScores: (.attention, .attention)
        case .heads: (.attention, .projection)
        case .normed2: (.layerNorm2, .mlpHidden)
        case .hidden: (.mlpHidden, .mlpOutput)
        case .prefix: (.finalNorm, .heads)
        case .headDist, .logits: (.heads, .heads)
        case .input: (.preprocess, .patchExtraction)
        case .preprocessScratch: (.preprocess, .preprocess)
        case .quantizedRows, .rowScales: (.qkv, .heads)   // the blocks' Linear layers and the heads
        case .quantizedHidden, .hiddenScales: (.mlpHidden, .mlpOutput)
        case .fc1Strips: (.mlpHidden, .mlpHidden)
        }
    }

    /// The widest input of an int8 Linear layer: D (qkv, proj, heads) or H (fc2).
    static func int8InputWidth(_ config: ModelConfig) -> Int { max(config.embedDim, config.mlpHiddenDim) }

    /// Bytes the slot needs for a model with `config` run on `threads` threads at `precision`, for
    /// batches of up to `batch` images. Fails with `.outOfMemory` naming the buffer when a size overflows.
    func bytes(config: ModelConfig, threads: Int, precision: Precision = .f32, batch: Int = 1) throws(DeiTError) -> Int {
        let d = config.embedDim
        // Rows of the row-wise buffers: T per image (batch 1: T, the single-image plan exactly).
        let t = try checkedProduct(config.numTokens, max(batch, 1), "batch rows")
        switch self {
        case .patches: return try floatBytes(config.numPatches, config.patchValues, "patches")
        case .tokens: return try floatBytes(t, d, "tokens")
        case .normed1: return try floatBytes(t, d, "LN1 output")
        case .qkv: return try floatBytes(t, 3 * d, "qkv")
        case .packedKeys:
            let count = ActivationPlan.packedKeysCount(config: config, precision: precision)
            return try floatBytes(try checkedProduct(config.numHeads, max(batch, 1), "packed keys"), count, "packed keys")
        case .packedValues:
            let count = ActivationPlan.packedValuesCount(config: config, precision: precision)
            return try floatBytes(try checkedProduct(config.numHeads, max(batch, 1), "packed values"), count, "packed values")
        case .scores:
            // Each task holds one image's R query rows against its T keys: T, not B·T.
            let perWorker = ActivationPlan.scoresPerWorker(config: config, precision: precision)
            if perWorker == Int.max { throw DeiTError(.outOfMemory, "attention scores: size overflows") }
            return try floatBytes(max(threads, 1), perWorker, "attention scores")
        case .heads: return try floatBytes(t, d, "attention output")
        case .normed2: return try floatBytes(t, d, "LN2 output")
        case .hidden:  // CaiT's class-attention blocks run their MLP on the class token alone
            return try floatBytes(max(try checkedProduct(t, config.mlpHiddenDim, "MLP hidden"),
                                      config.cait?.classAttentionHiddenDim ?? 0), 1, "MLP hidden")
        case .prefix:
            let rows: Int
            switch config.globalPool {
            case .token: rows = config.numPrefixTokens
            case .average: rows = 2        // the pooled row and a scratch row
            case .max, .averageMax: rows = 4   // pooled, running max, running sum, a normed row
            }
            return try floatBytes(rows, d, "final LN")
        case .headDist: return try floatBytes(config.distilled ? config.numClasses : 0, 1, "head_dist logits")
        case .input: return try floatBytes(config.inputCount, 1, "input")
        case .logits: return try floatBytes(config.numClasses, 1, "logits")
        case .preprocessScratch: return EvalTransform.scratchBytes
        case .quantizedRows:
            guard precision == .int8 else { return 0 }
            let width = Int8GEMM.quantizedRowLength(k: ActivationSlot.int8InputWidth(config))
            return try checkedProduct(try checkedProduct(t, width, "quantized rows"), MemoryLayout<UInt8>.stride, "quantized rows")
        case .rowScales:
            return try floatBytes(precision == .int8 ? t : 0, Int8GEMM.groupCount(k: ActivationSlot.int8InputWidth(config)), "row scales")
        case .quantizedHidden:
            guard precision == .int8 else { return 0 }
            let width = Int8GEMM.quantizedRowLength(k: config.mlpHiddenDim)
            return try checkedProduct(try checkedProduct(t, width, "quantized hidden"), MemoryLayout<UInt8>.stride, "quantized hidden")
        case .hiddenScales:
            return try floatBytes(precision == .int8 ? t : 0, Int8GEMM.groupCount(k: config.mlpHiddenDim), "hidden scales")
        case .fc1Strips:
            guard precision == .int8 else { return 0 }
            // Worker w's strip starts at w·gemmRowBlock rows (ParallelStep), whatever T is.
            let rows = try checkedProduct(max(threads, 1), ParallelStep.gemmRowBlock, "fc1 strips")
            return try floatBytes(rows, Int8GEMM.groupSize, "fc1 strips")
        case .talkingHeadsScores:
            guard config.cait != nil else { return 0 }
            let rows = min(ActivationPlan.talkingHeadsRowBlock, config.numPatches)
            let perWorker = TalkingHeadsKernel.scratchCount(rows: rows, heads: config.numHeads, tokens: config.numPatches)
            if perWorker == Int.max { throw DeiTError(.outOfMemory, "talking-heads scores: size overflows") }
            return try floatBytes(max(threads, 1), perWorker, "talking-heads scores")
        }
    }

    private func floatBytes(_ rows: Int, _ columns: Int, _ what: String) throws(DeiTError) -> Int {
        try checkedProduct(try checkedProduct(rows, columns, what), MemoryLayout<Float>.stride, what)
    }
}

/// Every `ActivationSlot`'s offset in a session's arena: one `MemoryPlan` over the slots' sizes and
/// lifetimes, requested in slot order.
struct ActivationPlan {
    /// Offsets in bytes from the aligned arena start, indexed by `ActivationSlot.rawValue`;
    /// multiples of `alignment`.
    private let offsets: [Int]
    /// Bytes the buffers need, aligned start to end.
    let plannedBytes: Int
    /// Bytes a session asks for: the plan plus slack to align any caller pointer to 64 bytes.
    var arenaBytes: Int { plannedBytes + ActivationPlan.alignment - 1 }
    /// Floats of one head's packed keys and packed values.
    let packedKeysCount: Int
    let packedValuesCount: Int
    /// Floats of each worker's attention scratch (`ActivationSlot.scores`).
    let scoresPerWorker: Int
    /// Whether the blocks' attention may compute its products on 16-bit integers (`Int16AttentionKernel`):
    /// at `Precision.int8`, with heads and token counts whose integer sums cannot wrap. The session
    /// does where its kernel set says it pays (`Model.attentionOn16Bits`); the slots fit either way.
    static func int16AttentionAllowed(config: ModelConfig, precision: Precision) -> Bool {
        precision == .int8 && config.headDim <= Int16AttentionKernel.maximumHeadDim
            && config.numTokens <= Int16AttentionKernel.maximumTokens
    }

    /// Floats per head of the packed keys: the f32 attention panels, or at int8 the 16-bit panels'
    /// bytes if they are more (they are not for any head width ≥ 2).
    static func packedKeysCount(config: ModelConfig, precision: Precision) -> Int {
        let floats = AttentionKernel.packedKeysCount(tokens: config.numTokens, headDim: config.headDim)
        guard precision == .int8 else { return floats }
        let bytes = Int16AttentionKernel.packedKeysByteCount(tokens: config.numTokens, headDim: config.headDim)
        return max(floats, SaturatingArithmetic.ceilingDivision(bytes, MemoryLayout<Float>.stride))
    }

    /// Floats per head of the packed values: as the keys'.
    static func packedValuesCount(config: ModelConfig, precision: Precision) -> Int {
        let floats = AttentionKernel.packedValuesCount(tokens: config.numTokens, headDim: config.headDim)
        guard precision == .int8 else { return floats }
        let bytes = Int16AttentionKernel.packedValuesByteCount(tokens: config.numTokens, headDim: config.headDim)
        return max(floats, SaturatingArithmetic.ceilingDivision(bytes, MemoryLayout<Float>.stride))
    }

    /// Floats of one worker's attention scratch: R query rows' scores, and at int8 those rows
    /// quantised too (more than the scores alone). Saturates at `Int.max`.
    static func scoresPerWorker(config: ModelConfig, precision: Precision) -> Int {
        let tokens = config.numTokens, rows = min(attentionRowBlock, tokens)
        let scores = AttentionKernel.scoresCount(rows: rows, tokens: tokens)
        guard precision == .int8 else { return scores }
        return max(scores, Int16AttentionKernel.scratchCount(rows: rows, tokens: tokens, headDim: config.headDim))
    }

    static let alignment = 64

    /// Query rows per attention task (R): small enough that a worker's R×T scores stay in L1/L2 and
    /// each head gives several tasks to share out (5 per head at T = 197); large enough that the
    /// GEMM tiles run full (40 = 8·5).
    static let attentionRowBlock = 40

    /// Query rows per talking-heads task (R'): its scratch holds every head's scores for them, twice
    /// (2·heads·R'·N floats: 100 KB at CaiT-XXS's 4 heads and N = 196).
    static let talkingHeadsRowBlock = 16

    /// Images per run the plan holds (1: the single-image plan).
    let batch: Int

    init(config: ModelConfig, threads: Int, precision: Precision = .f32, batch: Int = 1) throws(DeiTError) {
        self.batch = max(batch, 1)
        packedKeysCount = ActivationPlan.packedKeysCount(config: config, precision: precision)
        scoresPerWorker = ActivationPlan.scoresPerWorker(config: config, precision: precision)
        packedValuesCount = ActivationPlan.packedValuesCount(config: config, precision: precision)
        var requests: [BufferRequest] = []
        requests.reserveCapacity(ActivationSlot.allCases.count)
        for slot in ActivationSlot.allCases {
            let lifetime = slot.lifetime
            requests.append(BufferRequest(bytes: try slot.bytes(config: config, threads: threads, precision: precision,
                                                                         batch: self.batch),
                                          firstUse: lifetime.first.rawValue, lastUse: lifetime.last.rawValue))
        }
        let plan = try MemoryPlan(requests, alignment: ActivationPlan.alignment)
        offsets = plan.offsets
        plannedBytes = plan.totalBytes
        _ = try checkedSum(plannedBytes, ActivationPlan.alignment, "arena")
    }

    /// The slot's offset in bytes from the aligned arena start.
    func offset(of slot: ActivationSlot) -> Int {
        offsets[slot.rawValue]
    }
}
