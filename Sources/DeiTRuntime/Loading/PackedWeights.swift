import DeiTKernelTable
// Layout arithmetic only (`Int8GEMM.groupCount`, `groupSize`: the same in every set); packing runs
// through the load-time `KernelTable`.
import DeiTKernels

/// Weights of one transformer block, as pointers into the model's single weight allocation.
struct BlockWeights {
    var norm1Gamma: UnsafePointer<Float>   // (D)
    var norm1Beta: UnsafePointer<Float>    // (D)
    var qkv: LinearWeights                 // Linear (3D ← D)
    var proj: LinearWeights                // Linear (D ← D)
    var norm2Gamma: UnsafePointer<Float>   // (D)
    var norm2Beta: UnsafePointer<Float>    // (D)
    var fc1: LinearWeights                 // Linear (H ← D)
    var fc2: LinearWeights                 // Linear (D ← H)
    var qkNorm: QKNormWeights?             // qk_norm models only
}

/// The LayerNorms over head_dim on q and k of one block (timm `attn.q_norm`, `attn.k_norm`), shared by
/// every head.
struct QKNormWeights {
    var qGamma: UnsafePointer<Float>       // (hd)
    var qBeta: UnsafePointer<Float>        // (hd)
    var kGamma: UnsafePointer<Float>       // (hd)
    var kBeta: UnsafePointer<Float>        // (hd)
}

/// Every weight of a model, converted to Float32 and packed for the kernels once at load, in one
/// 64-byte-aligned allocation. Immutable afterwards, so any number of sessions may read it.
final class PackedWeights {
    let storage: AlignedBuffer
    let patchEmbed: LinearWeights          // Linear (D ← 3·P·P), the conv as a GEMM over patches
    let classToken: UnsafePointer<Float>?  // (D); nil without a class token (timm class_token=False)
    let registers: UnsafePointer<Float>?   // (R, D), register models only
    let normPreGamma: UnsafePointer<Float>?  // (D), pre_norm models only
    let normPreBeta: UnsafePointer<Float>?   // (D)
    let distToken: UnsafePointer<Float>?   // (D), distilled models only
    let posEmbed: UnsafePointer<Float>     // (T, D)
    let blocks: [BlockWeights]             // depth entries
    let normGamma: UnsafePointer<Float>    // (D)  `norm`, or `fc_norm` when config.fcNorm
    let normBeta: UnsafePointer<Float>     // (D)
    let head: LinearWeights?               // Linear (C ← D); nil when headless
    let headDist: LinearWeights?           // Linear (C ← D), distilled models only
    /// The precision the blocks' Linear layers were stored at.
    let precision: Precision
    let cait: CaiTWeights?                 // a CaiT's mixes and class-attention blocks; nil for a ViT
    /// The weights these were re-packed from (`repacked(forPanelWidth:)`), whose allocations hold
    /// every tensor but the re-packed Linear layers; nil for weights loaded from a checkpoint.
    private let original: PackedWeights?

    var byteCount: Int { storage.byteCount + (cait?.byteCount ?? 0) }

    /// Converts and stores every tensor, walking the checkpoint's slot table twice in its fixed order:
    /// once to lay out the regions, once (after the single allocation) to fill them.
    /// `precision` chooses the Linear layers' format (`Precision.linearFormat`: the blocks' and the
    /// heads'); the patch embedding and a CaiT's class-attention blocks are always
    /// `LinearFormat.native`.
    init(checkpoint: Checkpoint, source: TensorSource, precision: Precision = .f32) throws(DeiTError) {
        let config = checkpoint.config
        let schema = CheckpointSchema.deit
        let table = checkpoint.table
        let tensors = checkpoint.file.tensors
        // The Float32 layers are packed for the kernel set sessions choose by default, so they use these
        // weights as they are (int8 panels are the same in every set).
        let nativeFormat = LinearFormat.native(panelWidth: KernelChoice.loadPanelWidth)
        let linearFormat = precision.linearFormat(native: nativeFormat)
        if checkpoint.storedPrecision == .int8 && precision != .int8 {
            throw DeiTError(.unsupported, "the model file is int8 (written by deit-cli quantize): it runs at int8 only (load the float checkpoint for f32)")
        }
        try nativeFormat.checkSizes(config)
        try linearFormat.checkSizes(config)
        let patchSlot = TopTensor.patchWeight.rawValue
        func format(_ position: SlotPosition) -> LinearFormat {
            position.block == nil && position.slot == patchSlot ? nativeFormat : linearFormat
        }
        self.precision = precision

        // Pass 1: lay out every region (in floats, each rounded to a 64-byte boundary): a copied tensor
        // on its own, a Linear layer's weight and bias together in its format.
        var layout = RegionLayout()
        var regions = SlotRegions(table: table)
        var largestLinear = 0   // floats of the largest Linear weight + its bias: the load scratch
        try table.forEachPresent(in: schema) { position, slot, _ throws(DeiTError) in
            switch slot.kind {
            case .copy where position == PositionEmbeddingResampler.slot:
                // At the run size: `posEmbedTokens` rows (resampled below when G' ≠ the trained grid).
                regions[position] = try layout.reserve(try checkedProduct(config.posEmbedTokens, config.embedDim, "pos_embed"))
            case .copy:
                regions[position] = try layout.reserve(try checkedElementCount(slot.shape.dimensions(config)))
            case .linearWeight:
                let (n, k) = try linearSize(slot.shape.dimensions(config))
                regions[position] = try layout.reserve(try format(position).floatCount(n: n, k: k))
                // weight, bias (and a LayerScale γ)
                largestLinear = max(largestLinear, try checkedSum(try checkedProduct(n, k, "load scratch"),
                                                                  try checkedProduct(n, config.layerScale ? 2 : 1, "load scratch"),
                                                                  "load scratch"))
            case .linearBias, .layerScale:
                break   // inside its weight's region / folded into it
            }
        }

        // Pass 2: allocate once and fill.
        storage = try AlignedBuffer(byteCount: try checkedProduct(layout.floatCount, 4, "packed weights"),
                                    purpose: "packed weights")
        let base = storage.floats
        var filler = try WeightFiller(source: source, scratchFloats: largestLinear)
        try table.forEachPresent(in: schema) { position, slot, index throws(DeiTError) in
            guard let region = regions[position] else { return }
            switch slot.kind {
            case .copy where position == PositionEmbeddingResampler.slot && config.trainedGridSize != config.gridSize:
                try PositionEmbeddingResampler.fill(from: tensors[index], source: source, config: config, into: base + region)
            case .copy:
                try source.readFloats(tensors[index], into: base + region)
            case .linearWeight(let biasSlot):
                let (n, k) = try linearSize(slot.shape.dimensions(config))
                // An absent bias (qkv_bias=False) is zeros; a LayerScale γ aimed at this weight is folded in.
                let bias = table[SlotPosition(block: position.block, slot: biasSlot)]
                if let scaleTable = checkpoint.scaleTable, position.block != nil || tensors[index].dtype == .i8 {
                    // An int8 file: I8 weight and its scales, γ already folded in (StoredInt8.swift). A
                    // float head there (a file from before 2026-12-02) is quantised below, as for a
                    // float checkpoint; the patch embedding, always float, is packed as Float32.
                    guard let scaleIndex = scaleTable[position] else {
                        throw DeiTError(.format, "missing the scale tensor of \(quotedName(tensors[index].name))")
                    }
                    try filler.packStoredInt8(weight: tensors[index], scales: tensors[scaleIndex], bias: bias.map { tensors[$0] },
                                              n: n, k: k, to: base + region)
                    return
                }
                let list = position.block == nil ? schema.top : schema.block
                let scaleSlot = list.firstIndex { $0.kind == .layerScale(weight: position.slot) }
                let scale = scaleSlot.flatMap { table[SlotPosition(block: position.block, slot: $0)] }
                // At int8 the patch embedding's weights are binary16 values (`Precision.int8`): an int8
                // file stores them F16, and a float checkpoint's are rounded here to the same values.
                // (F16 weights are binary16 values already.)
                let halfWeights = precision == .int8 && position.block == nil && position.slot == patchSlot
                    && tensors[index].dtype != .f16
                try filler.packLinear(weight: tensors[index], bias: bias.map { tensors[$0] },
                                      scale: scale.map { tensors[$0] }, n: n, k: k, format: format(position),
                                      halfWeights: halfWeights, to: base + region)
            case .linearBias, .layerScale:
                break
            }
        }
        filler.release()

        // The named views the forward pass reads.
        func floats(_ region: Int?) throws(DeiTError) -> UnsafePointer<Float> {
            guard let region else { throw DeiTError(.invalidArgument, "packed weights: a required slot has no region") }
            return UnsafePointer(base + region)
        }
        func top(_ slot: TopTensor) -> Int? { regions[SlotPosition(block: nil, slot: slot.rawValue)] }
        func linear(_ region: Int?, _ spec: CheckpointSlot, _ format: LinearFormat) throws(DeiTError) -> LinearWeights {
            let (n, k) = try linearSize(spec.shape.dimensions(config))
            return LinearWeights(format: format, data: UnsafeRawPointer(try floats(region)), n: n, k: k)
        }
        var blocks: [BlockWeights] = []
        blocks.reserveCapacity(config.depth)
        for block in 0..<config.depth {
            func at(_ slot: BlockTensor) -> Int? { regions[SlotPosition(block: block, slot: slot.rawValue)] }
            blocks.append(BlockWeights(
                norm1Gamma: try floats(at(.norm1Weight)), norm1Beta: try floats(at(.norm1Bias)),
                qkv: try linear(at(.qkvWeight), BlockTensor.qkvWeight.spec, linearFormat),
                proj: try linear(at(.projWeight), BlockTensor.projWeight.spec, linearFormat),
                norm2Gamma: try floats(at(.norm2Weight)), norm2Beta: try floats(at(.norm2Bias)),
                fc1: try linear(at(.fc1Weight), BlockTensor.fc1Weight.spec, linearFormat),
                fc2: try linear(at(.fc2Weight), BlockTensor.fc2Weight.spec, linearFormat),
                qkNorm: config.qkNorm ? QKNormWeights(qGamma: try floats(at(.qNormWeight)), qBeta: try floats(at(.qNormBias)),
                                                      kGamma: try floats(at(.kNormWeight)), kBeta: try floats(at(.kNormBias)))
                                      : nil))
        }
        patchEmbed = try linear(top(.patchWeight), TopTensor.patchWeight.spec, nativeFormat)
        classToken = config.classToken ? try floats(top(.clsToken)) : nil
        registers = config.regTokens > 0 ? try floats(top(.regToken)) : nil
        normPreGamma = config.preNorm ? try floats(top(.normPreWeight)) : nil
        normPreBeta = config.preNorm ? try floats(top(.normPreBias)) : nil
        distToken = config.distilled ? try floats(top(.distToken)) : nil
        posEmbed = try floats(top(.posEmbed))
        self.blocks = blocks
        normGamma = try floats(config.fcNorm ? top(.fcNormWeight) : top(.normWeight))
        normBeta = try floats(config.fcNorm ? top(.fcNormBias) : top(.normBias))
        head = config.hasHead ? try linear(top(.headWeight), TopTensor.headWeight.spec, linearFormat) : nil
        headDist = config.distilled && config.hasHead ? try linear(top(.headDistWeight), TopTensor.headDistWeight.spec, linearFormat) : nil
        // CaiT's mixes and class-attention blocks stay f32 at every precision (the patch blocks and
        // the heads above follow `precision`).
        cait = try checkpoint.caitTable.map { caitTable throws(DeiTError) in
            try CaiTWeights(checkpoint: checkpoint, table: caitTable, format: nativeFormat, source: source)
        }
        original = nil
    }

    /// These weights for a kernel set whose GEMM panels are `panelWidth` wide: `self` when every
    /// Float32 Linear layer is packed that way already (or none is packed: the OpenBLAS build), else a
    /// copy with those layers re-packed (`PanelPacking.repack`, the same bits) into one new allocation,
    /// sharing every other tensor (int8 layers, whose panels are the same in every set, included).
    /// Only a session forced to a set that packs differently from the one the model was loaded for
    /// (e.g. avx2-fma's 16-wide panels on an AVX-512 CPU, whose 32-wide panels the model holds) pays
    /// for the copy: the Float32 Linear layers' bytes once more, at session creation.
    func repacked(forPanelWidth panelWidth: Int) throws(DeiTError) -> PackedWeights {
        func needsRepacking(_ linear: LinearWeights) -> Bool {
            if case .packedF32(let current) = linear.format { return current != panelWidth }
            return false
        }
        var anyToRepack = false
        _ = mappingLinears { linear in
            if needsRepacking(linear) { anyToRepack = true }
            return linear
        }
        guard anyToRepack else { return self }
        let format = LinearFormat.packedF32(panelWidth: panelWidth)
        // Pass 1: lay out the re-packed regions in the order `mappingLinears` visits the layers.
        var layout = RegionLayout()
        var regions: [Int] = []
        var layoutError: DeiTError?
        _ = mappingLinears { linear in
            guard needsRepacking(linear), layoutError == nil else { return linear }
            do throws(DeiTError) {
                regions.append(try layout.reserveLinear(n: linear.n, k: linear.k, format: format))
            } catch {
                layoutError = error
            }
            return linear
        }
        if let layoutError { throw layoutError }
        // Pass 2: one allocation, then each layer re-packed into its region, in the same order.
        let storage = try AlignedBuffer(byteCount: try checkedProduct(layout.floatCount, 4, "re-packed weights"),
                                        purpose: "re-packed weights")
        var next = 0
        return mappingLinears(storage: storage) { linear in
            guard needsRepacking(linear), case .packedF32(let fromWidth) = linear.format, next < regions.count else {
                return linear
            }
            let destination = storage.floats + regions[next]
            next += 1
            PanelPacking.repack(linear.floats, fromWidth: fromWidth, into: destination, toWidth: panelWidth,
                                n: linear.n, k: linear.k)
            return LinearWeights(format: format, data: UnsafeRawPointer(destination), n: linear.n, k: linear.k)
        }
    }

    /// A copy sharing every tensor but the Linear layers, which `transform` replaces (visited in a
    /// fixed order: patch embedding, each block's qkv, proj, fc1, fc2, the heads, then a CaiT's
    /// class-attention blocks' q, k, v, proj, fc1, fc2).
    private func mappingLinears(storage: AlignedBuffer? = nil,
                                _ transform: (LinearWeights) -> LinearWeights) -> PackedWeights {
        let patchEmbed = transform(self.patchEmbed)
        var blocks: [BlockWeights] = []
        blocks.reserveCapacity(self.blocks.count)
        for var block in self.blocks {
            block.qkv = transform(block.qkv)
            block.proj = transform(block.proj)
            block.fc1 = transform(block.fc1)
            block.fc2 = transform(block.fc2)
            blocks.append(block)
        }
        let head = self.head.map(transform)
        let headDist = self.headDist.map(transform)
        let cait = self.cait.map { cait in
            CaiTWeights(sharing: cait, classBlocks: cait.classBlocks.map { original in
                var block = original
                block.q = transform(block.q)
                block.k = transform(block.k)
                block.v = transform(block.v)
                block.proj = transform(block.proj)
                block.fc1 = transform(block.fc1)
                block.fc2 = transform(block.fc2)
                return block
            })
        }
        return PackedWeights(storage: storage ?? self.storage, original: self, patchEmbed: patchEmbed, blocks: blocks,
                             head: head, headDist: headDist, cait: cait)
    }

    /// `original`'s tensors with re-packed Linear layers in `storage`.
    private init(storage: AlignedBuffer, original: PackedWeights, patchEmbed: LinearWeights, blocks: [BlockWeights],
                 head: LinearWeights?, headDist: LinearWeights?, cait: CaiTWeights?) {
        self.storage = storage
        self.original = original
        self.patchEmbed = patchEmbed
        classToken = original.classToken
        registers = original.registers
        normPreGamma = original.normPreGamma
        normPreBeta = original.normPreBeta
        distToken = original.distToken
        posEmbed = original.posEmbed
        self.blocks = blocks
        normGamma = original.normGamma
        normBeta = original.normBeta
        self.head = head
        self.headDist = headDist
        precision = original.precision
        self.cait = cait
    }
}

/// A Linear weight's (n, k): its first dimension and the product of the rest.
func linearSize(_ shape: [Int]) throws(DeiTError) -> (n: Int, k: Int) {
    guard let n = shape.first else { throw DeiTError(.format, "a Linear weight has no dimensions") }
    return (n, try checkedElementCount(shape.dropFirst()))
}

/// The product of `dimensions`, checked for overflow.
private func checkedElementCount<Dimensions: Sequence>(_ dimensions: Dimensions) throws(DeiTError) -> Int
    where Dimensions.Element == Int {
    var count = 1
    for dimension in dimensions { count = try checkedProduct(count, dimension, "weight region") }
    return count
}

/// The float offset of each present slot's region, in the shape of a `CheckpointTable`.
private struct SlotRegions {
    private var top: [Int?]
    private var blocks: [[Int?]]

    init(table: CheckpointTable) {
        top = [Int?](repeating: nil, count: table.top.count)
        blocks = table.blocks.map { [Int?](repeating: nil, count: $0.count) }
    }

    subscript(position: SlotPosition) -> Int? {
        get {
            guard let block = position.block else { return top[position.slot] }
            return blocks[block][position.slot]
        }
        set {
            guard let block = position.block else { top[position.slot] = newValue; return }
            blocks[block][position.slot] = newValue
        }
    }
}

/// Hands out float offsets, each region starting on a 64-byte boundary.
struct RegionLayout {
    private(set) var floatCount = 0

    /// A Linear layer's region in `format` (packed panels, plain weight and bias, or int8 panels).
    mutating func reserveLinear(n: Int, k: Int, format: LinearFormat) throws(DeiTError) -> Int {
        try reserve(try format.floatCount(n: n, k: k))
    }

    mutating func reserve(_ floats: Int) throws(DeiTError) -> Int {
        let start = floatCount
        let padded = try checkedSum(floats, 15, "weight region") / 16 * 16
        floatCount = try checkedSum(floatCount, padded, "packed weights")
        return start
    }
}

/// Converts a Linear layer's weight and bias to Float32 in one scratch buffer (sized for the largest
/// Linear weight + its bias), then stores them in the layer's format at their region.
struct WeightFiller {
    let source: TensorSource
    private var scratch: AlignedBuffer?   // (largest Linear weight + its bias) floats, load time only

    init(source: TensorSource, scratchFloats: Int) throws(DeiTError) {
        self.source = source
        scratch = try AlignedBuffer(byteCount: try checkedProduct(max(scratchFloats, 1), 4, "load scratch"),
                                    purpose: "load scratch")
    }

    /// Stores `weight` (n, k) and `bias` (n; zeros when nil), shapes already validated by the schema,
    /// at `destination`. With `scale` (LayerScale γ, n), row r of the weight and bias r are multiplied
    /// by γ[r] first: γ⊙(W·y + b) = (diag(γ)W)·y + γ⊙b.
    func packLinear(weight: TensorInfo, bias: TensorInfo?, scale: TensorInfo?, n: Int, k: Int, format: LinearFormat,
                    halfWeights: Bool = false, to destination: UnsafeMutablePointer<Float>) throws(DeiTError) {
        guard let scratch, weight.elementCount == n * k, bias.map({ $0.elementCount == n }) ?? true,
              scale.map({ $0.elementCount == n }) ?? true,
              n * k + (scale == nil ? n : 2 * n) <= scratch.byteCount / 4 else {
            throw DeiTError(.invalidArgument, "weight filler: tensor \(quotedName(weight.name)) does not fit its slot")
        }
        let weightFloats = scratch.floats          // (n, k)
        let biasFloats = scratch.floats + n * k    // (n)
        try source.readFloats(weight, into: weightFloats)
        if halfWeights { HalfConversion.roundToHalf(weightFloats, count: n * k) }
        if let bias {
            try source.readFloats(bias, into: biasFloats)
        } else {
            biasFloats.update(repeating: 0, count: n)
        }
        if let scale {
            let gamma = scratch.floats + n * k + n  // (n)
            try source.readFloats(scale, into: gamma)
            for row in 0..<n {
                let g = gamma[row]
                let rowStart = weightFloats + row * k
                for column in 0..<k { rowStart[column] *= g }
                biasFloats[row] *= g
            }
        }
        format.store(weight: weightFloats, bias: biasFloats, n: n, k: k, into: destination)
    }

    /// Stores an int8 file's Linear layer: `weight` (I8, n × k, in [−127, 127], pairs ≤ 128), `scales` (F32 or F16,
    /// n × ⌈k/32⌉, each finite and positive, or zero for a group whose weights are all zero) and `bias`
    /// (n; zeros when nil), shapes and dtypes already validated, as `LinearFormat.packedInt8` at
    /// `destination`. `.format` naming the tensor for a value outside those rules.
    func packStoredInt8(weight: TensorInfo, scales: TensorInfo, bias: TensorInfo?, n: Int, k: Int,
                        to destination: UnsafeMutablePointer<Float>) throws(DeiTError) {
        let groups = Int8GEMM.groupCount(k: k)
        guard let scratch, weight.dtype == .i8, weight.elementCount == n * k, scales.elementCount == n * groups,
              bias.map({ $0.elementCount == n }) ?? true, n + n * groups <= scratch.byteCount / 4 else {
            throw DeiTError(.invalidArgument, "weight filler: tensor \(quotedName(weight.name)) does not fit its slot")
        }
        let biasFloats = scratch.floats            // (n)
        let scaleFloats = scratch.floats + n       // (n, ⌈k/32⌉); NaN and ±Inf refused by readFloats
        if let bias {
            try source.readFloats(bias, into: biasFloats)
        } else {
            biasFloats.update(repeating: 0, count: n)
        }
        try source.readFloats(scales, into: scaleFloats)
        let bytes = try source.bytes(of: weight)   // (n, k) int8, valid until the next read
        guard bytes.count == n * k, let raw = bytes.baseAddress else {
            throw DeiTError(.invalidArgument, "weight filler: tensor \(quotedName(weight.name)) has \(bytes.count) bytes for \(n * k)")
        }
        let quantized = raw.assumingMemoryBound(to: Int8.self)
        // Branch-free passes that vectorise (the rare failure is located afterwards): the weights'
        // smallest value and largest pair sum, then each scale; a scale that is not positive is allowed
        // only as +0 over zeros. Weights the kernels cannot take are valid I8 all the same — −128, or
        // an even-aligned pair |w[2i]| + |w[2i+1]| above 128 (`vpmaddubsw` pair sums of 255·that
        // would saturate) —: `.unsupported`, e.g. a file from a plain 8-bit quantiser.
        func rule() -> String {  // built only for the message of a refusal
            "this runtime's int8 weights lie in [-\(Int8GEMM.weightLimit), \(Int8GEMM.weightLimit)] with |w[r, 2i]| + |w[r, 2i+1]| <= \(Int8GEMM.pairLimit) (quantise the float checkpoint with this deit-cli)"
        }
        var smallest: Int8 = 0
        for i in 0..<(n * k) { smallest = min(smallest, quantized[i]) }
        if smallest < -Int8(Int8GEMM.weightLimit) {
            let i = (0..<(n * k)).first { quantized[$0] < -Int8(Int8GEMM.weightLimit) } ?? 0
            throw DeiTError(.unsupported, "tensor \(quotedName(weight.name)) has \(quantized[i]) at [\(i / k), \(i % k)]; \(rule())")
        }
        func pairSum(_ i: Int) -> UInt16 { Int16(quantized[i]).magnitude &+ Int16(quantized[i + 1]).magnitude }
        var largestPair: UInt16 = 0
        if k % 2 == 0 {
            for pair in 0..<(n * k / 2) { largestPair = max(largestPair, pairSum(2 * pair)) }   // rows hold whole pairs
        } else {
            for row in 0..<n {
                for pair in 0..<(k / 2) { largestPair = max(largestPair, pairSum(row * k + 2 * pair)) }
            }
        }
        if largestPair > UInt16(Int8GEMM.pairLimit) {
            let i = (0..<(n * k)).first { $0 % k % 2 == 0 && $0 % k + 1 < k && pairSum($0) > UInt16(Int8GEMM.pairLimit) } ?? 0
            throw DeiTError(.unsupported, "tensor \(quotedName(weight.name)) has \(quantized[i]) and \(quantized[i + 1]) at [\(i / k), \(i % k)] and [\(i / k), \(i % k + 1)]; \(rule())")
        }
        var smallestScale = Float.infinity
        for i in 0..<(n * groups) { smallestScale = min(smallestScale, scaleFloats[i]) }
        if !(smallestScale > 0) {
            for row in 0..<n {
                for group in 0..<groups {
                    let scale = scaleFloats[row * groups + group]
                    if scale > 0 { continue }
                    let start = group * Int8GEMM.groupSize
                    let values = quantized + row * k + start
                    let allZero = (0..<min(Int8GEMM.groupSize, k - start)).allSatisfy { values[$0] == 0 }
                    if scale.bitPattern == 0 && allZero { continue }
                    let kind = scale.bitPattern == 0 ? "a zero scale for nonzero weights" : (scale < 0 ? "a negative scale" : "a -0 scale")
                    throw DeiTError(.format, "tensor \(quotedName(scales.name)) has \(kind) at [\(row), \(group)]; scales must be positive (0 only for a group of zero weights)")
                }
            }
        }
        // The load-time choice's kernels, as `LinearFormat.store` (the same panel bytes in every set,
        // and the bytes `int8Pack` writes for the float weight these were quantised from).
        KernelChoice.loadTable.int8PackQuantized(quantized, scaleFloats, biasFloats, n, k,
                                                 UnsafeMutableRawPointer(destination))
    }

    mutating func release() { scratch = nil }
}
