/// The DeiT/ViT tensor schema: which names a checkpoint must hold, their exact shapes, and the
/// `ModelConfig` those shapes imply. Anything outside the schema is rejected, naming the tensor.
///
/// timm names and PyTorch layouts (Linear [out, in], Conv2d [out, in, kh, kw]):
///
///     patch_embed.proj.weight [D, 3, P, P]    patch_embed.proj.bias [D]
///     cls_token [1, 1, D]                     dist_token [1, 1, D]          (optional → distilled)
///     pos_embed [1, prefix + G², D]           image side S = G·P
///     blocks.i.norm1.{weight,bias} [D]        blocks.i.attn.qkv.weight [3D, D]   .bias [3D]
///     blocks.i.attn.proj.weight [D, D]        blocks.i.attn.proj.bias [D]
///     blocks.i.norm2.{weight,bias} [D]        blocks.i.mlp.fc1.weight [H, D]      .bias [H]
///     blocks.i.mlp.fc2.weight [D, H]          blocks.i.mlp.fc2.bias [D]           (i in 0..<depth)
///     norm.{weight,bias} [D]                  head.weight [C, D]   head.bias [C]
///     head_dist.weight [C, D]  head_dist.bias [C]                                 (iff dist_token)
///
/// num_heads comes from `__metadata__["num_heads"]` when present, else D/64 (timm's DeiT/ViT
/// widths all use 64-wide heads).

/// A safetensors file that forms a DeiT/ViT, with the configuration derived from it.
public struct Checkpoint: Sendable {
    /// The validated tensor table and metadata.
    public let file: SafetensorsFile
    /// The architecture the tensors describe.
    public let config: ModelConfig

    /// Parses `bytes` (the whole file, which the caller keeps alive for `readFloats`), validates
    /// the container and the schema, and derives the configuration.
    public init(bytes: UnsafeRawBufferPointer, limits: LoadLimits = .default) throws(DeiTError) {
        try self.init(file: try SafetensorsFile.parse(bytes, limits: limits), limits: limits)
    }

    /// Validates the schema of an already parsed file and derives the configuration.
    public init(file: SafetensorsFile, limits: LoadLimits = .default) throws(DeiTError) {
        self.config = try ModelConfig(header: file, limits: limits)
        self.file = file
    }

    /// The validated entry called `name` (e.g. "blocks.3.attn.qkv.weight"), nil if absent.
    public func tensor(_ name: String) -> TensorInfo? { file.tensor(named: name) }
}

extension ModelConfig {
    /// Derives the architecture from a validated file's tensor names and shapes, checking that the
    /// file holds exactly the DeiT/ViT schema. `.format` for missing, extra or mis-shaped tensors;
    /// `.unsupported` for dtypes other than F32/F16/BF16, input channels ≠ 3 or non-square patches;
    /// `.outOfMemory` when a `limits` bound is exceeded.
    public init(header file: SafetensorsFile, limits: LoadLimits = .default) throws(DeiTError) {
        let layout = try SchemaLayout(classifying: file.tensors, limits: limits)
        let tensors = file.tensors

        func required(_ slot: TopTensor) throws(DeiTError) -> TensorInfo {
            guard let index = layout.top[slot.rawValue] else {
                throw DeiTError(.format, "missing tensor '\(slot.name)'")
            }
            return tensors[index]
        }
        for slot in TopTensor.alwaysRequired { _ = try required(slot) }

        // Distillation: dist_token ⇔ head_dist.{weight,bias}.
        let distilled = layout.top[TopTensor.distToken.rawValue] != nil
        for slot in [TopTensor.headDistWeight, .headDistBias] {
            let present = layout.top[slot.rawValue] != nil
            if distilled && !present {
                throw DeiTError(.format, "missing tensor '\(slot.name)' (required because the file has 'dist_token')")
            }
            if !distilled && present {
                throw DeiTError(.format, "unexpected tensor '\(slot.name)' (only allowed together with 'dist_token')")
            }
        }

        // D, channels and P from the patch embedding.
        let patchWeight = try required(.patchWeight)
        guard patchWeight.shape.count == 4 else { throw shapeError(patchWeight, expected: "[D, 3, P, P]") }
        let embedDim = try checkedDimension(patchWeight.shape[0], of: patchWeight, what: "embed dim D",
                                            limitName: "maxEmbedDim", limit: limits.maxEmbedDim)
        if patchWeight.shape[1] != 3 {
            throw DeiTError(.unsupported, "tensor 'patch_embed.proj.weight' has \(patchWeight.shape[1]) input channels; only 3 (RGB) is supported")
        }
        if patchWeight.shape[2] != patchWeight.shape[3] {
            throw DeiTError(.unsupported, "tensor 'patch_embed.proj.weight' has a non-square \(patchWeight.shape[2])×\(patchWeight.shape[3]) patch kernel; only square patches are supported")
        }
        let patchSize = try checkedDimension(patchWeight.shape[2], of: patchWeight, what: "patch size P",
                                             limitName: "maxPatchSize", limit: limits.maxPatchSize)

        // H from block 0's fc1, C from the head.
        let fc1 = tensors[layout.blocks[0][BlockTensor.fc1Weight.rawValue]]
        guard fc1.shape.count == 2, fc1.shape[1] == embedDim else { throw shapeError(fc1, expected: "[H, \(embedDim)]") }
        let hiddenDim = try checkedDimension(fc1.shape[0], of: fc1, what: "MLP hidden dim H",
                                             limitName: "maxMLPHiddenDim", limit: limits.maxMLPHiddenDim)
        let head = try required(.headWeight)
        guard head.shape.count == 2, head.shape[1] == embedDim else { throw shapeError(head, expected: "[C, \(embedDim)]") }
        let numClasses = try checkedDimension(head.shape[0], of: head, what: "class count C",
                                              limitName: "maxClasses", limit: limits.maxClasses)

        // Tokens T = prefix + G² from pos_embed; S = G·P.
        let prefixTokens = distilled ? 2 : 1
        let posEmbed = try required(.posEmbed)
        guard posEmbed.shape.count == 3, posEmbed.shape[0] == 1, posEmbed.shape[2] == embedDim else {
            throw shapeError(posEmbed, expected: "[1, T, \(embedDim)]")
        }
        let tokenCount = posEmbed.shape[1]
        if tokenCount > limits.maxTokens {
            throw DeiTError(.outOfMemory, "tensor 'pos_embed' has \(tokenCount) tokens, above the maxTokens limit (\(limits.maxTokens))")
        }
        let patchCount = tokenCount - prefixTokens
        let gridSize = integerSquareRoot(patchCount)
        if patchCount < 1 || gridSize * gridSize != patchCount {
            throw DeiTError(.format, "tensor 'pos_embed' has \(tokenCount) tokens; after \(prefixTokens) prefix token(s) the \(patchCount) patches do not form a square grid")
        }

        let numHeads = try headCount(file, embedDim: embedDim)
        // No overflow below or in ModelConfig's derived sizes: every factor is ≥ 1 and a dimension
        // of a tensor whose bytes exist (span checked), so each product is at most the file size.
        self.init(imageSize: gridSize * patchSize, patchSize: patchSize, inChannels: 3, embedDim: embedDim,
                  depth: layout.blocks.count, numHeads: numHeads, mlpHiddenDim: hiddenDim,
                  numClasses: numClasses, distilled: distilled)

        // Every tensor's exact shape and dtype.
        for (slot, index) in layout.top.enumerated() {
            guard let index, let kind = TopTensor(rawValue: slot) else { continue }
            try checkTensor(tensors[index], expected: kind.expectedShape(self))
        }
        for block in layout.blocks {
            for (slot, index) in block.enumerated() {
                guard let kind = BlockTensor(rawValue: slot) else { continue }
                try checkTensor(tensors[index], expected: kind.expectedShape(self))
            }
        }
    }
}

// MARK: - Schema tables

/// Tensors outside the blocks. Raw values index `SchemaLayout.top`.
enum TopTensor: Int {
    case patchWeight, patchBias, clsToken, distToken, posEmbed, normWeight, normBias,
         headWeight, headBias, headDistWeight, headDistBias

    static let all: [TopTensor] = [.patchWeight, .patchBias, .clsToken, .distToken, .posEmbed, .normWeight,
                                   .normBias, .headWeight, .headBias, .headDistWeight, .headDistBias]
    /// The ones every checkpoint has (dist_token and head_dist are checked together).
    static let alwaysRequired: [TopTensor] = [.patchWeight, .patchBias, .clsToken, .posEmbed, .normWeight,
                                              .normBias, .headWeight, .headBias]

    var name: StaticString {
        switch self {
        case .patchWeight: return "patch_embed.proj.weight"
        case .patchBias: return "patch_embed.proj.bias"
        case .clsToken: return "cls_token"
        case .distToken: return "dist_token"
        case .posEmbed: return "pos_embed"
        case .normWeight: return "norm.weight"
        case .normBias: return "norm.bias"
        case .headWeight: return "head.weight"
        case .headBias: return "head.bias"
        case .headDistWeight: return "head_dist.weight"
        case .headDistBias: return "head_dist.bias"
        }
    }

    func expectedShape(_ config: ModelConfig) -> [Int] {
        let d = config.embedDim, p = config.patchSize, c = config.numClasses
        switch self {
        case .patchWeight: return [d, 3, p, p]
        case .patchBias, .normWeight, .normBias: return [d]
        case .clsToken, .distToken: return [1, 1, d]
        case .posEmbed: return [1, config.numTokens, d]
        case .headWeight, .headDistWeight: return [c, d]
        case .headBias, .headDistBias: return [c]
        }
    }
}

/// Tensors inside `blocks.i.`. Raw values index a row of `SchemaLayout.blocks`.
enum BlockTensor: Int {
    case norm1Weight, norm1Bias, qkvWeight, qkvBias, projWeight, projBias,
         norm2Weight, norm2Bias, fc1Weight, fc1Bias, fc2Weight, fc2Bias

    static let all: [BlockTensor] = [.norm1Weight, .norm1Bias, .qkvWeight, .qkvBias, .projWeight, .projBias,
                                     .norm2Weight, .norm2Bias, .fc1Weight, .fc1Bias, .fc2Weight, .fc2Bias]

    /// The name after "blocks.i.".
    var suffix: StaticString {
        switch self {
        case .norm1Weight: return "norm1.weight"
        case .norm1Bias: return "norm1.bias"
        case .qkvWeight: return "attn.qkv.weight"
        case .qkvBias: return "attn.qkv.bias"
        case .projWeight: return "attn.proj.weight"
        case .projBias: return "attn.proj.bias"
        case .norm2Weight: return "norm2.weight"
        case .norm2Bias: return "norm2.bias"
        case .fc1Weight: return "mlp.fc1.weight"
        case .fc1Bias: return "mlp.fc1.bias"
        case .fc2Weight: return "mlp.fc2.weight"
        case .fc2Bias: return "mlp.fc2.bias"
        }
    }

    func expectedShape(_ config: ModelConfig) -> [Int] {
        let d = config.embedDim, h = config.mlpHiddenDim
        switch self {
        case .norm1Weight, .norm1Bias, .projBias, .norm2Weight, .norm2Bias, .fc2Bias: return [d]
        case .qkvWeight: return [3 * d, d]
        case .qkvBias: return [3 * d]
        case .projWeight: return [d, d]
        case .fc1Weight: return [h, d]
        case .fc1Bias: return [h]
        case .fc2Weight: return [d, h]
        }
    }
}

/// Where each schema tensor sits in the file's (name-sorted) tensor table.
struct SchemaLayout {
    /// Index into the table per `TopTensor`, nil when absent.
    var top: [Int?]
    /// blocks[i][BlockTensor.rawValue] = index into the table; `count` is the depth.
    var blocks: [[Int]]

    /// Sorts every tensor into its slot; an unknown name, a malformed block index or an index at or
    /// above `limits.maxDepth` fails naming the tensor. Missing block tensors fail here too.
    /// Allocations are bounded by the number of tensors, never by a block index.
    init(classifying tensors: [TensorInfo], limits: LoadLimits) throws(DeiTError) {
        var top = [Int?](repeating: nil, count: TopTensor.all.count)
        var blockEntries: [(block: Int, slot: Int, index: Int)] = []
        var depth = 0
        tensorLoop: for (index, tensor) in tensors.enumerated() {
            let name = tensor.name.utf8
            for kind in TopTensor.all where staticStringEquals(kind.name, name) {
                top[kind.rawValue] = index
                continue tensorLoop
            }
            guard let (block, slot) = try SchemaLayout.blockSlot(of: tensor.name, limits: limits) else {
                throw DeiTError(.format, "unexpected tensor \(quotedName(tensor.name)) (not part of the DeiT/ViT schema)")
            }
            blockEntries.append((block, slot, index))
            depth = max(depth, block + 1)
        }
        if depth == 0 {
            throw DeiTError(.format, "missing tensor 'blocks.0.norm1.weight' (a model needs at least one block)")
        }
        // Sorted by (block, slot), a complete set is exactly (0, 0), (0, 1), … (depth−1, 11): the
        // first position that differs names the missing tensor. Names are unique and canonical, so
        // no pair repeats, and nothing here is sized by the (untrusted) largest index.
        blockEntries.sort { $0.block != $1.block ? $0.block < $1.block : $0.slot < $1.slot }
        let slotsPerBlock = BlockTensor.all.count
        var blocks: [[Int]] = []
        var row: [Int] = []
        // The loop ends by the time it passes blockEntries.count; the product only bounds it.
        let (expectedCount, overflow) = depth.multipliedReportingOverflow(by: slotsPerBlock)
        for expected in 0..<(overflow ? Int.max : expectedCount) {
            let block = expected / slotsPerBlock, slot = expected % slotsPerBlock
            guard expected < blockEntries.count, blockEntries[expected].block == block,
                  blockEntries[expected].slot == slot else {
                let missing = "blocks.\(block).\(BlockTensor.all[slot].suffix)"
                let present = expected < blockEntries.count ? blockEntries[expected].block : depth
                if slot == 0 && present > block {
                    throw DeiTError(.format, "missing tensor '\(missing)': block \(block) is absent but block \(depth - 1) exists (block indices must run from 0 without gaps)")
                }
                throw DeiTError(.format, "missing tensor '\(missing)'")
            }
            row.append(blockEntries[expected].index)
            if slot == slotsPerBlock - 1 {
                blocks.append(row)
                row.removeAll(keepingCapacity: true)
            }
        }
        self.top = top
        self.blocks = blocks
    }

    /// (block index, BlockTensor slot) for "blocks.<i>.<suffix>", nil if the name has another form.
    /// The index is read digit by digit and stops at `limits.maxDepth`, so huge indices cannot
    /// overflow.
    static func blockSlot(of name: String, limits: LoadLimits) throws(DeiTError) -> (Int, Int)? {
        let bytes = Array(name.utf8)
        let prefix: StaticString = "blocks."
        let prefixCount = prefix.utf8CodeUnitCount
        guard bytes.count > prefixCount, staticStringEquals(prefix, bytes[0..<prefixCount]) else { return nil }
        var position = prefixCount
        let digitsStart = position
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            position += 1
        }
        let digitCount = position - digitsStart
        guard digitCount > 0, position < bytes.count, bytes[position] == UInt8(ascii: ".") else { return nil }
        if digitCount > 1 && bytes[digitsStart] == UInt8(ascii: "0") { return nil }  // "blocks.01." is not canonical
        let suffix = bytes[(position + 1)...]
        guard let slot = BlockTensor.all.firstIndex(where: { staticStringEquals($0.suffix, suffix) }) else { return nil }

        var block = 0
        for digit in bytes[digitsStart..<position] {
            let (times10, overflow1) = block.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            if overflow1 || overflow2 || next >= limits.maxDepth {
                throw DeiTError(.outOfMemory, "tensor \(quotedName(name)): block index is at or above the maxDepth limit (\(limits.maxDepth))")
            }
            block = next
        }
        return (block, slot)
    }
}

// MARK: - Checks

/// A dimension that must be ≥ 1 (else `.format`) and ≤ `limit` (else `.outOfMemory`).
private func checkedDimension(_ value: Int, of tensor: TensorInfo, what: StaticString,
                              limitName: StaticString, limit: Int) throws(DeiTError) -> Int {
    if value < 1 {
        throw DeiTError(.format, "tensor \(quotedName(tensor.name)) has shape \(describeShape(tensor.shape)): \(what) is \(value)")
    }
    if value > limit {
        throw DeiTError(.outOfMemory, "tensor \(quotedName(tensor.name)) has \(what) \(value), above the \(limitName) limit (\(limit))")
    }
    return value
}

/// `.format` error for a shape that does not fit the schema.
private func shapeError(_ tensor: TensorInfo, expected: String) -> DeiTError {
    DeiTError(.format, "tensor \(quotedName(tensor.name)) has shape \(describeShape(tensor.shape)); expected \(expected)")
}

/// Exact shape, then a dtype the runtime converts.
private func checkTensor(_ tensor: TensorInfo, expected: [Int]) throws(DeiTError) {
    if !tensor.shape.elementsEqual(expected) {
        throw shapeError(tensor, expected: describeShape(expected))
    }
    if !tensor.dtype.isSupportedWeightType {
        throw DeiTError(.unsupported, "tensor \(quotedName(tensor.name)) has dtype \(tensor.dtype.name); only F32, F16 and BF16 weights are supported")
    }
}

/// `__metadata__["num_heads"]` (decimal, dividing D) or D/64.
private func headCount(_ file: SafetensorsFile, embedDim: Int) throws(DeiTError) -> Int {
    guard let text = file.metadataValue(forKey: "num_heads") else {
        if embedDim % 64 == 0 { return embedDim / 64 }
        throw DeiTError(.unsupported, "cannot infer the head count: embed dim \(embedDim) is not a multiple of 64; add __metadata__ \"num_heads\" to the checkpoint")
    }
    var heads = 0
    var isDecimal = !text.utf8.isEmpty
    for byte in text.utf8 {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
            isDecimal = false
            break
        }
        let (times10, overflow1) = heads.multipliedReportingOverflow(by: 10)
        let (next, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
        heads = overflow1 || overflow2 ? Int.max : next
        if heads > embedDim { break }  // cannot divide D; stop before the value can grow further
    }
    if !isDecimal {
        throw DeiTError(.format, "__metadata__ num_heads \(quotedName(text)) is not a decimal integer")
    }
    if heads < 1 || heads > embedDim || embedDim % heads != 0 {
        throw DeiTError(.format, "__metadata__ num_heads \(quotedName(text)) does not divide embed dim \(embedDim)")
    }
    return heads
}

/// ⌊√value⌋ for value ≥ 0 (0 for negatives), exact for every `Int`.
func integerSquareRoot(_ value: Int) -> Int {
    if value < 2 { return max(value, 0) }
    var low = 1, high = min(value, 3_037_000_499)  // ⌊√Int64.max⌋
    while low < high {
        let middle = low + (high - low + 1) / 2
        if middle <= value / middle { low = middle } else { high = middle - 1 }
    }
    return low
}
