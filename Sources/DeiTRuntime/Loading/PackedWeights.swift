import DeiTKernelTable

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
}

/// Every weight of a model, converted to Float32 and packed for the kernels once at load, in one
/// 64-byte-aligned allocation. Immutable afterwards, so any number of sessions may read it.
final class PackedWeights {
    let storage: AlignedBuffer
    let patchEmbed: LinearWeights          // Linear (D ← 3·P·P), the conv as a GEMM over patches
    let classToken: UnsafePointer<Float>   // (D)
    let distToken: UnsafePointer<Float>?   // (D), distilled models only
    let posEmbed: UnsafePointer<Float>     // (T, D)
    let blocks: [BlockWeights]             // depth entries
    let normGamma: UnsafePointer<Float>    // (D)  `norm`, or `fc_norm` when config.fcNorm
    let normBeta: UnsafePointer<Float>     // (D)
    let head: LinearWeights?               // Linear (C ← D); nil when headless
    let headDist: LinearWeights?           // Linear (C ← D), distilled models only
    /// The weights these were re-packed from (`repacked(forPanelWidth:)`), whose allocation holds
    /// every tensor but the Linear layers; nil for weights loaded from a checkpoint.
    private let original: PackedWeights?

    var byteCount: Int { storage.byteCount }

    /// Converts and stores every tensor, walking the checkpoint's slot table twice in its fixed order:
    /// once to lay out the regions, once (after the single allocation) to fill them.
    init(checkpoint: Checkpoint, source: TensorSource) throws(DeiTError) {
        let config = checkpoint.config
        let schema = CheckpointSchema.deit
        let table = checkpoint.table
        let tensors = checkpoint.file.tensors
        // Packed for the kernel set sessions choose by default, so they use these weights as they are.
        let format = LinearFormat.native(panelWidth: KernelChoice.loadPanelWidth)
        try format.checkSizes(config)

        // Pass 1: lay out every region (in floats, each rounded to a 64-byte boundary): a copied tensor
        // on its own, a Linear layer's weight and bias together in `format`.
        var layout = RegionLayout(format: format)
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
                regions[position] = try layout.reserveLinear(n: n, k: k)
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
        var filler = try WeightFiller(source: source, format: format, scratchFloats: largestLinear)
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
                let list = position.block == nil ? schema.top : schema.block
                let scaleSlot = list.firstIndex { $0.kind == .layerScale(weight: position.slot) }
                let scale = scaleSlot.flatMap { table[SlotPosition(block: position.block, slot: $0)] }
                try filler.packLinear(weight: tensors[index], bias: bias.map { tensors[$0] },
                                      scale: scale.map { tensors[$0] }, n: n, k: k, to: base + region)
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
        func linear(_ region: Int?, _ spec: CheckpointSlot) throws(DeiTError) -> LinearWeights {
            let (n, k) = try linearSize(spec.shape.dimensions(config))
            return LinearWeights(format: format, data: UnsafeRawPointer(try floats(region)), n: n, k: k, scales: nil)
        }
        var blocks: [BlockWeights] = []
        blocks.reserveCapacity(config.depth)
        for block in 0..<config.depth {
            func at(_ slot: BlockTensor) -> Int? { regions[SlotPosition(block: block, slot: slot.rawValue)] }
            blocks.append(BlockWeights(
                norm1Gamma: try floats(at(.norm1Weight)), norm1Beta: try floats(at(.norm1Bias)),
                qkv: try linear(at(.qkvWeight), BlockTensor.qkvWeight.spec),
                proj: try linear(at(.projWeight), BlockTensor.projWeight.spec),
                norm2Gamma: try floats(at(.norm2Weight)), norm2Beta: try floats(at(.norm2Bias)),
                fc1: try linear(at(.fc1Weight), BlockTensor.fc1Weight.spec),
                fc2: try linear(at(.fc2Weight), BlockTensor.fc2Weight.spec)))
        }
        patchEmbed = try linear(top(.patchWeight), TopTensor.patchWeight.spec)
        classToken = try floats(top(.clsToken))
        distToken = config.distilled ? try floats(top(.distToken)) : nil
        posEmbed = try floats(top(.posEmbed))
        self.blocks = blocks
        normGamma = try floats(config.fcNorm ? top(.fcNormWeight) : top(.normWeight))
        normBeta = try floats(config.fcNorm ? top(.fcNormBias) : top(.normBias))
        head = config.hasHead ? try linear(top(.headWeight), TopTensor.headWeight.spec) : nil
        headDist = config.distilled && config.hasHead ? try linear(top(.headDistWeight), TopTensor.headDistWeight.spec) : nil
        original = nil
    }

    /// These weights for a kernel set whose GEMM panels are `panelWidth` wide: `self` when they are
    /// packed that way already (or not packed: the OpenBLAS build), else a copy with every Linear
    /// layer re-packed (`PanelPacking.repack`, the same bits) into one new allocation, sharing the
    /// other tensors. Only a session forced to a set that packs differently from the one the model
    /// was loaded for (e.g. avx2-fma's 16-wide panels on an AVX-512 CPU, whose 32-wide panels the
    /// model holds) pays for the copy: the Linear layers' bytes once more, at session creation.
    func repacked(forPanelWidth panelWidth: Int) throws(DeiTError) -> PackedWeights {
        guard case .packedF32(let current) = patchEmbed.format, current != panelWidth else { return self }
        let format = LinearFormat.packedF32(panelWidth: panelWidth)
        // Pass 1: lay out the re-packed regions in the order `mappingLinears` visits the layers.
        var layout = RegionLayout(format: format)
        var regions: [Int] = []
        _ = try mappingLinears { linear throws(DeiTError) in
            regions.append(try layout.reserveLinear(n: linear.n, k: linear.k))
            return linear
        }
        // Pass 2: one allocation, then each layer re-packed into its region, in the same order.
        let storage = try AlignedBuffer(byteCount: try checkedProduct(layout.floatCount, 4, "re-packed weights"),
                                        purpose: "re-packed weights")
        var next = 0
        return try mappingLinears(storage: storage) { linear throws(DeiTError) in
            guard case .packedF32(let fromWidth) = linear.format, next < regions.count else {
                throw DeiTError(.invalidArgument, "re-packing: a Linear layer is not in the packed format")
            }
            let destination = storage.floats + regions[next]
            next += 1
            PanelPacking.repack(linear.floats, fromWidth: fromWidth, into: destination, toWidth: panelWidth,
                                n: linear.n, k: linear.k)
            return LinearWeights(format: format, data: UnsafeRawPointer(destination), n: linear.n, k: linear.k,
                                 scales: nil)
        }
    }

    /// A copy sharing every tensor but the Linear layers, which `transform` replaces (visited in a
    /// fixed order: patch embedding, each block's qkv, proj, fc1, fc2, then the heads).
    private func mappingLinears(storage: AlignedBuffer? = nil,
                                _ transform: (LinearWeights) throws(DeiTError) -> LinearWeights) throws(DeiTError) -> PackedWeights {
        let patchEmbed = try transform(self.patchEmbed)
        var blocks: [BlockWeights] = []
        blocks.reserveCapacity(self.blocks.count)
        for var block in self.blocks {
            block.qkv = try transform(block.qkv)
            block.proj = try transform(block.proj)
            block.fc1 = try transform(block.fc1)
            block.fc2 = try transform(block.fc2)
            blocks.append(block)
        }
        var head: LinearWeights?
        if let base = self.head { head = try transform(base) }
        var headDist: LinearWeights?
        if let base = self.headDist { headDist = try transform(base) }
        return PackedWeights(storage: storage ?? self.storage, original: self, patchEmbed: patchEmbed, blocks: blocks,
                             head: head, headDist: headDist)
    }

    /// `original`'s tensors with re-packed Linear layers in `storage`.
    private init(storage: AlignedBuffer, original: PackedWeights, patchEmbed: LinearWeights, blocks: [BlockWeights],
                 head: LinearWeights?, headDist: LinearWeights?) {
        self.storage = storage
        self.original = original
        self.patchEmbed = patchEmbed
        classToken = original.classToken
        distToken = original.distToken
        posEmbed = original.posEmbed
        self.blocks = blocks
        normGamma = original.normGamma
        normBeta = original.normBeta
        self.head = head
        self.headDist = headDist
    }
}

/// A Linear weight's (n, k): its first dimension and the product of the rest.
private func linearSize(_ shape: [Int]) throws(DeiTError) -> (n: Int, k: Int) {
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
private struct RegionLayout {
    let format: LinearFormat
    private(set) var floatCount = 0

    init(format: LinearFormat) { self.format = format }

    mutating func reserve(_ floats: Int) throws(DeiTError) -> Int {
        let start = floatCount
        let padded = try checkedSum(floats, 15, "weight region") / 16 * 16
        floatCount = try checkedSum(floatCount, padded, "packed weights")
        return start
    }

    /// A Linear layer's region in `format` (packed panels, or in the OpenBLAS build plain weight and bias).
    mutating func reserveLinear(n: Int, k: Int) throws(DeiTError) -> Int {
        try reserve(try format.floatCount(n: n, k: k))
    }
}

/// Converts a Linear layer's weight and bias to Float32 in one scratch buffer (sized for the largest
/// Linear weight + its bias), then stores them in `format` at their region.
private struct WeightFiller {
    let source: TensorSource
    let format: LinearFormat
    private var scratch: AlignedBuffer?   // (largest Linear weight + its bias) floats, load time only

    init(source: TensorSource, format: LinearFormat, scratchFloats: Int) throws(DeiTError) {
        self.source = source
        self.format = format
        scratch = try AlignedBuffer(byteCount: try checkedProduct(max(scratchFloats, 1), 4, "load scratch"),
                                    purpose: "load scratch")
    }

    /// Stores `weight` (n, k) and `bias` (n; zeros when nil), shapes already validated by the schema,
    /// at `destination`. With `scale` (LayerScale γ, n), row r of the weight and bias r are multiplied
    /// by γ[r] first: γ⊙(W·y + b) = (diag(γ)W)·y + γ⊙b.
    func packLinear(weight: TensorInfo, bias: TensorInfo?, scale: TensorInfo?, n: Int, k: Int,
                    to destination: UnsafeMutablePointer<Float>) throws(DeiTError) {
        guard let scratch, weight.elementCount == n * k, bias.map({ $0.elementCount == n }) ?? true,
              scale.map({ $0.elementCount == n }) ?? true,
              n * k + (scale == nil ? n : 2 * n) <= scratch.byteCount / 4 else {
            throw DeiTError(.invalidArgument, "weight filler: tensor \(quotedName(weight.name)) does not fit its slot")
        }
        let weightFloats = scratch.floats          // (n, k)
        let biasFloats = scratch.floats + n * k    // (n)
        try source.readFloats(weight, into: weightFloats)
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

    mutating func release() { scratch = nil }
}
