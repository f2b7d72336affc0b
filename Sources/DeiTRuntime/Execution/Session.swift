import DeiTKernelTable

/// The mutable half of inference: one arena of activations planned for a model. Use a session
/// from one thread at a time; give each thread its own.
public final class Session {
    public let model: Model
    /// Threads a run uses: the caller plus `threadCount − 1` workers started with the session.
    public let threadCount: Int
    /// Bytes of arena the session uses (its own, or the caller's).
    public let arenaBytes: Int

    /// The model's weights, or for a kernel set that packs differently, a re-packed copy of them.
    let weights: PackedWeights
    let buffers: ActivationBuffers
    let plan: ActivationPlan
    let pool: WorkerPool
    private let ownedArena: AlignedBuffer?

    /// Images `runBatch` takes at most (the arena holds the row-wise activations of this many).
    public let maxBatch: Int

    /// Largest thread count accepted.
    public static let maxThreads = 256
    /// Largest max batch accepted (the arena grows linearly with it: ≈ 1 MB per image for DeiT-Ti).
    public static let maxBatchLimit = 4096

    /// Arena bytes a session of `model` with `threads` workers and batches of up to `maxBatch` needs.
    public static func arenaBytes(for model: Model, threads: Int, maxBatch: Int = 1) throws(DeiTError) -> Int {
        try validate(maxBatch: maxBatch, config: model.config)
        return try arenaBytes(for: model.config, threads: threads, precision: model.precision, maxBatch: maxBatch)
    }

    /// Arena bytes a session of a model with `config`, loaded at `precision`, with `threads` workers
    /// and batches of up to `maxBatch` images needs.
    public static func arenaBytes(for config: ModelConfig, threads: Int, precision: Precision = .f32,
                                  maxBatch: Int = 1) throws(DeiTError) -> Int {
        try validate(threads: threads)
        try validate(maxBatch: maxBatch, config: config)
        return try ActivationPlan(config: config, threads: threads, precision: precision, batch: maxBatch).arenaBytes
    }

    /// The kernels this session runs (chosen at creation: `KernelChoice`).
    public var kernels: KernelTable { pool.kernels }

    /// A session over `arena` (caller memory of `arenaBytes` bytes, any alignment, outliving the
    /// session) or, when `arena` is nil, over an arena allocated here once. `maxBatch` > 1 plans the
    /// arena for `runBatch` of up to that many images (CaiT: unsupported). `kernelSet` forces an
    /// instruction set (`.unsupported` when this CPU cannot run it); nil lets `KernelChoice` pick
    /// (`DEIT_KERNEL_SET`, else the best this CPU has).
    public init(model: Model, threads: Int = 1, maxBatch: Int = 1, arena: UnsafeMutableRawPointer? = nil,
                arenaBytes: Int = 0, kernelSet: KernelSet? = nil) throws(DeiTError) {
        try Session.validate(threads: threads)
        try Session.validate(maxBatch: maxBatch, config: model.config)
        let kernels = try KernelChoice.table(for: kernelSet)
        let plan = try ActivationPlan(config: model.config, threads: threads, precision: model.precision, batch: maxBatch)
        let base: UnsafeMutableRawPointer
        if let arena {
            guard arenaBytes >= plan.arenaBytes else {
                throw DeiTError(.arenaTooSmall, "arena of \(arenaBytes) bytes is smaller than the \(plan.arenaBytes) bytes this model needs")
            }
            ownedArena = nil
            base = arena
            self.arenaBytes = arenaBytes
        } else {
            let owned = try AlignedBuffer(byteCount: plan.arenaBytes, purpose: "session arena")
            ownedArena = owned
            base = owned.raw
            self.arenaBytes = plan.arenaBytes
        }
        let misalignment = Int(bitPattern: base) & (ActivationPlan.alignment - 1)
        let aligned = misalignment == 0 ? base : base + (ActivationPlan.alignment - misalignment)
        self.model = model
        self.threadCount = threads
        self.maxBatch = maxBatch
        self.buffers = ActivationBuffers(arena: aligned, plan: plan)
        self.plan = plan
        self.weights = try model.weights.repacked(forPanelWidth: kernels.gemmPanelWidth)
        self.pool = try WorkerPool(threads: threads, kernels: kernels)
    }

    private static func validate(threads: Int) throws(DeiTError) {
        guard threads >= 1, threads <= maxThreads else {
            throw DeiTError(.invalidArgument, "num_threads is \(threads); it must be between 1 and \(maxThreads)")
        }
    }

    private static func validate(maxBatch: Int, config: ModelConfig) throws(DeiTError) {
        guard maxBatch >= 1, maxBatch <= maxBatchLimit else {
            throw DeiTError(.invalidArgument, "max_batch is \(maxBatch); it must be between 1 and \(maxBatchLimit)")
        }
        if maxBatch > 1 && config.cait != nil {
            throw DeiTError(.unsupported, "batches of CaiT models (talking-heads and class-attention blocks) are not supported yet: use max_batch 1")
        }
    }

    /// Classifies one image: `input` holds 3·S·S normalised floats (CHW), `logits` receives
    /// `outputDim` floats (C, or the D features of a headless model). Performs no heap allocation.
    public func run(input: UnsafeBufferPointer<Float>, logits: UnsafeMutableBufferPointer<Float>) throws(DeiTError) {
        try runCapturingTokens(input: input, logits: logits, tokens: nil)
    }

    /// Classifies `count` images in one pass: `inputs` holds count × 3·S·S normalised floats (image
    /// after image, CHW each), `logits` receives count × `outputDim` floats, image after image — the
    /// same bits `run` gives each image alone. `count` must be in 1...`maxBatch`. The tokens of the
    /// images are stacked into one (count·T, D) matrix for every Linear layer (each weight matrix is
    /// streamed once per batch); attention runs per image. Performs no heap allocation.
    public func runBatch(count: Int, inputs: UnsafeBufferPointer<Float>,
                         logits: UnsafeMutableBufferPointer<Float>) throws(DeiTError) {
        let config = model.config
        guard count >= 1, count <= maxBatch else {
            throw DeiTError(.invalidArgument, "batch of \(count) images; this session takes 1 to \(maxBatch) (its max_batch)")
        }
        // count ≤ maxBatch ≤ 4096 and the counts fit the arena's plan, so these products do not overflow.
        guard let inputBase = inputs.baseAddress, inputs.count == count * config.inputCount else {
            throw DeiTError(.invalidArgument, "inputs have \(inputs.count) floats; \(count) images × 3×\(config.imageSize)×\(config.imageSize) = \(count * config.inputCount)")
        }
        guard let logitsBase = logits.baseAddress, logits.count == count * config.outputDim else {
            throw DeiTError(.invalidArgument, "logits have room for \(logits.count) floats; \(count) images × \(config.outputDim) = \(count * config.outputDim)")
        }
        if config.cait != nil {  // unreachable: maxBatch is 1 for CaiT, so count is 1
            forward(input: inputBase, logits: logitsBase, taps: ForwardTaps())
            return
        }
        forward(images: count, input: inputBase, logits: logitsBase, taps: ForwardTaps())
    }

    /// As `run`, and when `tokens` is given, copies the residual stream after the embedding and after
    /// each block into it: (depth + 1, T, D) floats. For conformance tests against timm.
    public func runCapturingTokens(input: UnsafeBufferPointer<Float>, logits: UnsafeMutableBufferPointer<Float>,
                                   tokens: UnsafeMutableBufferPointer<Float>?) throws(DeiTError) {
        let config = model.config
        let inputBase = try checkedInput(input)
        let logitsBase = try checkedLogits(logits)
        var capture: UnsafeMutablePointer<Float>?
        if let tokens {
            let needed = (config.depth + 1) * config.numTokens * config.embedDim
            guard let tokensBase = tokens.baseAddress, tokens.count == needed else {
                throw DeiTError(.invalidArgument, "token capture needs \(needed) floats")
            }
            capture = tokensBase
        }
        forward(input: inputBase, logits: logitsBase, taps: ForwardTaps(capture: capture))
    }

    /// The pooled features of one image (timm's `forward_head(x, pre_logits=True)`): `features`
    /// receives `featureDim` (D) floats. The head is not run. Performs no heap allocation.
    public func runFeatures(input: UnsafeBufferPointer<Float>, features: UnsafeMutableBufferPointer<Float>) throws(DeiTError) {
        let config = model.config
        let inputBase = try checkedInput(input)
        guard let featuresBase = features.baseAddress, features.count == config.featureDim else {
            throw DeiTError(.invalidArgument, "features has room for \(features.count) floats; this model gives \(config.featureDim) (its embed dim)")
        }
        forward(input: inputBase, logits: nil, taps: ForwardTaps(features: featuresBase))
    }

    /// Which query rows `runAttention` returns per head: the prefix tokens' (class, distillation)
    /// rows, or all T rows (the full T×T maps).
    public enum AttentionRows: Sendable {
        case prefix
        case all
    }

    /// The attention probabilities of one image, timm's `softmax(q·scale @ kᵀ)` per block and head:
    /// `maps` receives (blocks.count, heads, R, T) floats, R = `numPrefixTokens` for `.prefix` or T
    /// for `.all`; `logits`, when given, receives the run's output as `run` writes it (same bits).
    /// Performs no heap allocation.
    public func runAttention(input: UnsafeBufferPointer<Float>, logits: UnsafeMutableBufferPointer<Float>?,
                             blocks: Range<Int>, rows: AttentionRows,
                             maps: UnsafeMutableBufferPointer<Float>) throws(DeiTError) {
        let config = model.config
        guard config.cait == nil else {
            throw DeiTError(.unsupported, "attention maps of CaiT models (talking-heads and class-attention blocks) are not supported yet")
        }
        let inputBase = try checkedInput(input)
        var logitsBase: UnsafeMutablePointer<Float>?
        if let logits { logitsBase = try checkedLogits(logits) }
        guard blocks.lowerBound >= 0, blocks.upperBound <= config.depth, !blocks.isEmpty else {
            throw DeiTError(.invalidArgument, "attention blocks \(blocks.lowerBound)..<\(blocks.upperBound) are not a non-empty range within the model's \(config.depth) blocks")
        }
        let rowCount = rows == .all ? config.numTokens : config.numPrefixTokens
        let needed = attentionMapCount(blocks: blocks.count, rows: rows)
        guard let mapsBase = maps.baseAddress, maps.count == needed else {
            throw DeiTError(.invalidArgument, "attention maps have room for \(maps.count) floats; \(blocks.count) block(s) × \(config.numHeads) heads × \(rowCount) rows × \(config.numTokens) tokens = \(needed)")
        }
        forward(input: inputBase, logits: logitsBase,
                taps: ForwardTaps(attention: AttentionTap(maps: mapsBase, rows: rowCount, blocks: blocks)))
    }

    /// Floats `runAttention` writes for `blocks` blocks (saturating: a caller's count can never match an
    /// overflowed product).
    public func attentionMapCount(blocks: Int, rows: AttentionRows) -> Int {
        let config = model.config
        let rowCount = rows == .all ? config.numTokens : config.numPrefixTokens
        func times(_ a: Int, _ b: Int) -> Int {
            let (product, overflow) = a.multipliedReportingOverflow(by: b)
            return overflow ? Int.max : product
        }
        return times(times(max(blocks, 0), config.numHeads), times(rowCount, config.numTokens))
    }

    /// Every token of the last block after the final norm (timm's `forward_features`): `tokens`
    /// receives T·D floats (T = `numTokens`, prefix tokens first in timm's order), the raw last
    /// block's output for fc_norm models (their `norm` is Identity). The head is not run; the last
    /// block runs on every row. Performs no heap allocation.
    public func runTokens(input: UnsafeBufferPointer<Float>, tokens: UnsafeMutableBufferPointer<Float>) throws(DeiTError) {
        let config = model.config
        guard config.cait == nil else {
            throw DeiTError(.unsupported, "the tokens of CaiT models (forward_features) are not supported yet")
        }
        let inputBase = try checkedInput(input)
        let needed = config.numTokens * config.embedDim
        guard let tokensBase = tokens.baseAddress, tokens.count == needed else {
            throw DeiTError(.invalidArgument, "tokens has room for \(tokens.count) floats; this model gives \(needed) (\(config.numTokens) tokens × embed dim \(config.embedDim))")
        }
        forward(input: inputBase, logits: nil, taps: ForwardTaps(tokens: tokensBase))
    }

    /// As `run`, and adds the time of each op class (and the run's total) to `profile`, which
    /// accumulates over calls. Same logits as `run`; costs a few dozen clock reads per run.
    public func runProfiled(input: UnsafeBufferPointer<Float>, logits: UnsafeMutableBufferPointer<Float>,
                            profile: inout ForwardProfile) throws(DeiTError) {
        let inputBase = try checkedInput(input)
        let logitsBase = try checkedLogits(logits)
        withUnsafeMutablePointer(to: &profile) { profile in
            forward(input: inputBase, logits: logitsBase, taps: ForwardTaps(profile: profile))
        }
    }
}

extension Session {
    /// The input's base when it holds exactly 3·S·S floats (the run entry points' one check).
    private func checkedInput(_ input: UnsafeBufferPointer<Float>) throws(DeiTError) -> UnsafePointer<Float> {
        let config = model.config
        guard let base = input.baseAddress, input.count == config.inputCount else {
            throw DeiTError(.invalidArgument, "input has \(input.count) floats; this model takes 3×\(config.imageSize)×\(config.imageSize) = \(config.inputCount)")
        }
        return base
    }

    /// The logits' base when they have room for exactly `outputDim` floats.
    private func checkedLogits(_ logits: UnsafeMutableBufferPointer<Float>) throws(DeiTError) -> UnsafeMutablePointer<Float> {
        let config = model.config
        guard let base = logits.baseAddress, logits.count == config.outputDim else {
            throw DeiTError(.invalidArgument, "logits has room for \(logits.count) floats; this model gives \(config.outputDim)\(config.hasHead ? "" : " (headless: its features)")")
        }
        return base
    }
}

/// Typed pointers into the aligned arena, one per `ActivationSlot` (shapes and lifetimes there).
struct ActivationBuffers {
    let patches: UnsafeMutablePointer<Float>
    let tokens: UnsafeMutablePointer<Float>
    let normed1: UnsafeMutablePointer<Float>
    let qkv: UnsafeMutablePointer<Float>
    let packedKeys: UnsafeMutablePointer<Float>
    let packedValues: UnsafeMutablePointer<Float>
    let scores: UnsafeMutablePointer<Float>
    let heads: UnsafeMutablePointer<Float>
    let normed2: UnsafeMutablePointer<Float>
    let hidden: UnsafeMutablePointer<Float>
    let prefix: UnsafeMutablePointer<Float>
    let headDist: UnsafeMutablePointer<Float>
    let input: UnsafeMutablePointer<Float>
    let logits: UnsafeMutablePointer<Float>
    let preprocessScratch: UnsafeMutableRawBufferPointer
    let quantizedRows: UnsafeMutablePointer<UInt8>
    let rowScales: UnsafeMutablePointer<Float>
    let talkingHeadsScores: UnsafeMutablePointer<Float>
    let quantizedHidden: UnsafeMutablePointer<UInt8>
    let hiddenScales: UnsafeMutablePointer<Float>
    let fc1Strips: UnsafeMutablePointer<Float>

    init(arena: UnsafeMutableRawPointer, plan: ActivationPlan) {
        // Every buffer holds Float32 but the quantized rows and hidden (UInt8); offsets are multiples of 64 bytes.
        let floats = arena.bindMemory(to: Float.self, capacity: plan.plannedBytes / MemoryLayout<Float>.stride)
        func at(_ slot: ActivationSlot) -> UnsafeMutablePointer<Float> {
            floats + plan.offset(of: slot) / MemoryLayout<Float>.stride
        }
        patches = at(.patches); tokens = at(.tokens); normed1 = at(.normed1); qkv = at(.qkv)
        packedKeys = at(.packedKeys); packedValues = at(.packedValues); scores = at(.scores); heads = at(.heads)
        normed2 = at(.normed2); hidden = at(.hidden); prefix = at(.prefix); headDist = at(.headDist)
        input = at(.input); logits = at(.logits); rowScales = at(.rowScales)
        talkingHeadsScores = at(.talkingHeadsScores); hiddenScales = at(.hiddenScales)
        fc1Strips = at(.fc1Strips)
        // Bytes no Float slot shares at the same time (disjoint lifetimes or offsets).
        quantizedRows = (arena + plan.offset(of: .quantizedRows)).assumingMemoryBound(to: UInt8.self)
        quantizedHidden = (arena + plan.offset(of: .quantizedHidden)).assumingMemoryBound(to: UInt8.self)
        preprocessScratch = UnsafeMutableRawBufferPointer(start: arena + plan.offset(of: .preprocessScratch),
                                                          count: EvalTransform.scratchBytes)
    }
}
