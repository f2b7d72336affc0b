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
    let normGamma: UnsafePointer<Float>    // (D)
    let normBeta: UnsafePointer<Float>     // (D)
    let head: LinearWeights                // Linear (C ← D)
    let headDist: LinearWeights?           // Linear (C ← D), distilled models only

    var byteCount: Int { storage.byteCount }

    init(checkpoint: Checkpoint, source: TensorSource) throws(DeiTError) {
        let config = checkpoint.config
        let d = config.embedDim, h = config.mlpHiddenDim, c = config.numClasses

        let format = LinearFormat.native
        try format.checkSizes(config)
        // Pass 1: lay out every region (in floats, each rounded to a 64-byte boundary).
        var layout = RegionLayout(format: format)
        let patchEmbedAt = try layout.reserveLinear(n: d, k: config.patchValues)
        let classTokenAt = try layout.reserve(d)
        let distTokenAt = config.distilled ? try layout.reserve(d) : 0
        let posEmbedAt = try layout.reserve(try checkedProduct(config.numTokens, d, "pos_embed"))
        var blockOffsets: [[Int]] = []
        for _ in 0..<config.depth {
            blockOffsets.append([
                try layout.reserve(d), try layout.reserve(d),
                try layout.reserveLinear(n: 3 * d, k: d),
                try layout.reserveLinear(n: d, k: d),
                try layout.reserve(d), try layout.reserve(d),
                try layout.reserveLinear(n: h, k: d),
                try layout.reserveLinear(n: d, k: h),
            ])
        }
        let normGammaAt = try layout.reserve(d)
        let normBetaAt = try layout.reserve(d)
        let headAt = try layout.reserveLinear(n: c, k: d)
        let headDistAt = config.distilled ? try layout.reserveLinear(n: c, k: d) : 0

        // Pass 2: allocate once and fill.
        storage = try AlignedBuffer(byteCount: try checkedProduct(layout.floatCount, 4, "packed weights"),
                                    purpose: "packed weights")
        let base = storage.floats
        var filler = try WeightFiller(checkpoint: checkpoint, source: source, format: format)
        try filler.copy("cls_token", to: base + classTokenAt)
        if config.distilled { try filler.copy("dist_token", to: base + distTokenAt) }
        try filler.copy("pos_embed", to: base + posEmbedAt)
        try filler.packLinear("patch_embed.proj", to: base + patchEmbedAt)
        var blocks: [BlockWeights] = []
        blocks.reserveCapacity(config.depth)
        for (index, at) in blockOffsets.enumerated() {
            let prefix = "blocks.\(index)."
            try filler.copy(prefix + "norm1.weight", to: base + at[0])
            try filler.copy(prefix + "norm1.bias", to: base + at[1])
            try filler.packLinear(prefix + "attn.qkv", to: base + at[2])
            try filler.packLinear(prefix + "attn.proj", to: base + at[3])
            try filler.copy(prefix + "norm2.weight", to: base + at[4])
            try filler.copy(prefix + "norm2.bias", to: base + at[5])
            try filler.packLinear(prefix + "mlp.fc1", to: base + at[6])
            try filler.packLinear(prefix + "mlp.fc2", to: base + at[7])
            blocks.append(BlockWeights(
                norm1Gamma: UnsafePointer(base + at[0]), norm1Beta: UnsafePointer(base + at[1]),
                qkv: filler.linear(base + at[2], n: 3 * d, k: d), proj: filler.linear(base + at[3], n: d, k: d),
                norm2Gamma: UnsafePointer(base + at[4]), norm2Beta: UnsafePointer(base + at[5]),
                fc1: filler.linear(base + at[6], n: h, k: d), fc2: filler.linear(base + at[7], n: d, k: h)))
        }
        try filler.copy("norm.weight", to: base + normGammaAt)
        try filler.copy("norm.bias", to: base + normBetaAt)
        try filler.packLinear("head", to: base + headAt)
        if config.distilled { try filler.packLinear("head_dist", to: base + headDistAt) }
        patchEmbed = filler.linear(base + patchEmbedAt, n: d, k: config.patchValues)
        classToken = UnsafePointer(base + classTokenAt)
        distToken = config.distilled ? UnsafePointer(base + distTokenAt) : nil
        posEmbed = UnsafePointer(base + posEmbedAt)
        self.blocks = blocks
        normGamma = UnsafePointer(base + normGammaAt)
        normBeta = UnsafePointer(base + normBetaAt)
        head = filler.linear(base + headAt, n: c, k: d)
        headDist = config.distilled ? filler.linear(base + headDistAt, n: c, k: d) : nil
        filler.release()
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

/// Converts checkpoint tensors to Float32 at their packed places; Linear layers go through one
/// scratch buffer (sized for the largest) and the kernels' packer.
private struct WeightFiller {
    let checkpoint: Checkpoint
    let source: TensorSource
    let format: LinearFormat
    private var scratch: AlignedBuffer?   // (largest Linear weight + its bias) floats, load time only

    init(checkpoint: Checkpoint, source: TensorSource, format: LinearFormat) throws(DeiTError) {
        self.checkpoint = checkpoint
        self.source = source
        self.format = format
        var largest = 0
        for tensor in checkpoint.file.tensors { largest = max(largest, tensor.elementCount) }
        let floats = try checkedSum(largest, checkpoint.config.mlpHiddenDim + 3 * checkpoint.config.embedDim
                                        + checkpoint.config.numClasses, "load scratch")
        scratch = try AlignedBuffer(byteCount: try checkedProduct(floats, 4, "load scratch"), purpose: "load scratch")
    }

    func tensor(_ name: String) throws(DeiTError) -> TensorInfo {
        guard let tensor = checkpoint.tensor(name) else {
            throw DeiTError(.format, "missing tensor '\(name)'")
        }
        return tensor
    }

    func copy(_ name: String, to destination: UnsafeMutablePointer<Float>) throws(DeiTError) {
        try source.readFloats(try tensor(name), into: destination)
    }

    /// Packs `<prefix>.weight` (n, k) and `<prefix>.bias` (n) into kernel panels at `destination`
    /// (the OpenBLAS build stores them as they are: weight, then bias).
    func packLinear(_ prefix: String, to destination: UnsafeMutablePointer<Float>) throws(DeiTError) {
        guard let scratch else { throw DeiTError(.invalidArgument, "weight filler used after release") }
        let weight = try tensor(prefix + ".weight")
        let bias = try tensor(prefix + ".bias")
        guard weight.shape.count >= 2, bias.elementCount > 0, weight.elementCount % bias.elementCount == 0 else {
            throw DeiTError(.format, "tensor '\(prefix).weight' does not match '\(prefix).bias'")
        }
        let n = bias.elementCount, k = weight.elementCount / n
        let weightFloats = scratch.floats          // (n, k)
        let biasFloats = scratch.floats + weight.elementCount   // (n)
        try source.readFloats(weight, into: weightFloats)
        try source.readFloats(bias, into: biasFloats)
        format.store(weight: weightFloats, bias: biasFloats, n: n, k: k, into: destination)
    }

    /// The Linear layer (n ← k) packed at `region`.
    func linear(_ region: UnsafeMutablePointer<Float>, n: Int, k: Int) -> LinearWeights {
        LinearWeights(format: format, data: UnsafeRawPointer(region), n: n, k: k, scales: nil)
    }

    mutating func release() { scratch = nil }
}
