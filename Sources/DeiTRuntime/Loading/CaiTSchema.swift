/// The tensors a CaiT (timm `Cait`, "Going deeper with Image Transformers") has beyond the ViT schema.
///
/// A CaiT checkpoint is a ViT-shaped checkpoint — `patch_embed`, `cls_token`, `pos_embed` over the
/// patches only [1, G², D] (deit's `noEmbedClass`), `blocks.i.*` with LayerScale under the original
/// names `gamma_1` / `gamma_2`, `norm`, `head` — plus (timm names, PyTorch layouts):
///
///     blocks.i.attn.proj_l.{weight [h, h], bias [h]}      talking heads: mixes the heads' logits
///     blocks.i.attn.proj_w.{weight [h, h], bias [h]}      … and their softmax weights (i < depth)
///     blocks_token_only.j.norm1.{weight,bias} [D]         class-attention block j (j < J):
///     blocks_token_only.j.attn.{q,k,v}.weight [D, D]      .bias [D] (iff the patch blocks' qkv has one)
///     blocks_token_only.j.attn.proj.weight [D, D]         .bias [D]
///     blocks_token_only.j.norm2.{weight,bias} [D]
///     blocks_token_only.j.mlp.fc1.weight [Hc, D] .bias [Hc]   mlp.fc2.weight [D, Hc] .bias [D]
///     blocks_token_only.j.gamma_1 [D]  gamma_2 [D]        LayerScale, folded into proj / fc2 at load
///
/// The head count h is read from `proj_l` (a description's num_heads must agree). Checkpoint.swift's
/// `Checkpoint.init` sets these tensors aside (`CaiTSchema.isCaiTTensor`), classifies the rest with
/// the ViT schema, then validates them here against the derived configuration.
enum CaiTSchema {
    /// Whether `name` is one of CaiT's own tensors (outside the ViT schema).
    static func isCaiTTensor(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        if hasPrefix(bytes, "blocks_token_only.") { return true }
        guard let (_, suffix) = indexed(bytes, prefix: "blocks.") else { return false }
        return hasPrefix(suffix, "attn.proj_l.") || hasPrefix(suffix, "attn.proj_w.")
    }

    /// Sorts the CaiT tensors of `tensors` (indices `indices` into the file's list) into their slots
    /// and checks them against `config` (the ViT-shaped part, already derived): presence, exact shapes
    /// and dtypes. Returns the table and the CaiT part of the configuration.
    static func classify(_ tensors: [TensorInfo], indices: [Int], config: ModelConfig,
                         limits: LoadLimits) throws(DeiTError) -> (table: CaiTTable, config: CaiTConfig) {
        // The ViT-shaped part must be CaiT's: patch-only pos_embed, LayerScale, one prefix token, `norm`.
        if config.distilled {
            throw DeiTError(.format, "unexpected tensor 'dist_token' (a CaiT has no distillation token)")
        }
        if !config.noEmbedClass {
            throw DeiTError(.format, "tensor 'pos_embed' covers the class token; a CaiT's covers the patches only")
        }
        if !config.layerScale {
            throw DeiTError(.format, "missing tensor 'blocks.0.gamma_1' (a CaiT's LayerScale)")
        }
        if config.fcNorm {
            throw DeiTError(.format, "unexpected tensor 'fc_norm.weight' (a CaiT's final LayerNorm is 'norm')")
        }
        var mixes = [[Int?]](repeating: [Int?](repeating: nil, count: MixTensor.allCases.count), count: config.depth)
        var classEntries: [(block: Int, slot: Int, index: Int)] = []
        for index in indices {
            let name = tensors[index].name
            let bytes = Array(name.utf8)
            if let (block, suffix) = indexed(bytes, prefix: "blocks_token_only.") {
                guard let slot = ClassBlockTensor.allCases.first(where: { staticStringEquals($0.name, suffix) }) else {
                    throw DeiTError(.format, "unexpected tensor \(quotedName(name)) (not part of the CaiT schema)")
                }
                if block >= limits.maxDepth {
                    throw DeiTError(.outOfMemory, "tensor \(quotedName(name)): block index is at or above the maxDepth limit (\(limits.maxDepth))")
                }
                classEntries.append((block, slot.rawValue, index))
            } else if let (block, suffix) = indexed(bytes, prefix: "blocks."),
                      let slot = MixTensor.allCases.first(where: { staticStringEquals($0.name, suffix) }) {
                guard block < config.depth else {
                    throw DeiTError(.format, "unexpected tensor \(quotedName(name)) (the model has \(config.depth) blocks)")
                }
                mixes[block][slot.rawValue] = index
            } else {
                throw DeiTError(.format, "unexpected tensor \(quotedName(name)) (not part of the CaiT schema)")
            }
        }
        // Class-attention blocks: contiguous from 0, every slot present (q/k/v biases iff qkv_bias).
        classEntries.sort { $0.block != $1.block ? $0.block < $1.block : $0.slot < $1.slot }
        var classBlocks: [[Int?]] = []
        var position = 0
        while position < classEntries.count {
            let block = classBlocks.count
            if classEntries[position].block != block {
                throw DeiTError(.format, "missing tensor 'blocks_token_only.\(block).norm1.weight': class-attention block \(block) is absent but a later one exists")
            }
            var row = [Int?](repeating: nil, count: ClassBlockTensor.allCases.count)
            while position < classEntries.count, classEntries[position].block == block {
                row[classEntries[position].slot] = classEntries[position].index
                position += 1
            }
            classBlocks.append(row)
        }

        // The head count from block 0's proj_l; then every tensor's presence and exact shape.
        guard config.depth > 0, let firstMix = mixes[0][MixTensor.projLWeight.rawValue] else {
            throw DeiTError(.format, "missing tensor 'blocks.0.attn.proj_l.weight' (a CaiT's talking-heads mix)")
        }
        let mix = tensors[firstMix]
        let heads = mix.shape.count == 2 ? mix.shape[0] : 0
        guard heads >= 1, mix.shape == [heads, heads], config.embedDim % heads == 0 else {
            throw DeiTError(.format, "tensor \(quotedName(mix.name)) has shape \(describeShape(mix.shape)); expected [h, h] with h dividing \(config.embedDim)")
        }
        if heads != config.numHeads {
            throw DeiTError(.format, "tensor \(quotedName(mix.name)) mixes \(heads) heads; the model has \(config.numHeads)")
        }
        var hiddenDim = 0
        if let first = classBlocks.first, let fc1 = first[ClassBlockTensor.fc1Weight.rawValue] {
            let shape = tensors[fc1].shape
            guard shape.count == 2, shape[0] >= 1, shape[1] == config.embedDim else {
                throw DeiTError(.format, "tensor \(quotedName(tensors[fc1].name)) has shape \(describeShape(shape)); expected [Hc, \(config.embedDim)]")
            }
            if shape[0] > limits.maxMLPHiddenDim {
                throw DeiTError(.outOfMemory, "tensor \(quotedName(tensors[fc1].name)) has MLP hidden dim \(shape[0]), above the maxMLPHiddenDim limit (\(limits.maxMLPHiddenDim))")
            }
            hiddenDim = shape[0]
        }
        let cait = CaiTConfig(classAttentionDepth: classBlocks.count, classAttentionHiddenDim: hiddenDim)
        for (block, row) in mixes.enumerated() {
            for slot in MixTensor.allCases {
                guard let index = row[slot.rawValue] else {
                    throw DeiTError(.format, "missing tensor 'blocks.\(block).\(slot.name)' (a CaiT's talking-heads mix)")
                }
                try check(tensors[index], slot.isWeight ? [heads, heads] : [heads])
            }
        }
        let d = config.embedDim
        for (block, row) in classBlocks.enumerated() {
            for slot in ClassBlockTensor.allCases {
                let wanted = slot.isQKVBias ? config.qkvBias : true
                let present = row[slot.rawValue]
                if wanted && present == nil {
                    throw DeiTError(.format, "missing tensor 'blocks_token_only.\(block).\(slot.name)'")
                }
                if let present {
                    if !wanted {
                        throw DeiTError(.format, "unexpected tensor 'blocks_token_only.\(block).\(slot.name)' (the patch blocks' attn.qkv has no bias)")
                    }
                    try check(tensors[present], slot.shape(embedDim: d, hiddenDim: hiddenDim))
                }
            }
        }
        return (CaiTTable(mixes: mixes.map { $0.map { $0 ?? 0 } }, classBlocks: classBlocks), cait)
    }

    private static func check(_ tensor: TensorInfo, _ expected: [Int]) throws(DeiTError) {
        if !tensor.shape.elementsEqual(expected) {
            throw DeiTError(.format, "tensor \(quotedName(tensor.name)) has shape \(describeShape(tensor.shape)); expected \(describeShape(expected))")
        }
        if !tensor.dtype.isSupportedWeightType {
            throw DeiTError(.unsupported, "tensor \(quotedName(tensor.name)) has dtype \(tensor.dtype.name); only F32, F16 and BF16 weights are supported")
        }
    }

    /// The head count a CaiT's tensors give: `blocks.0.attn.proj_l.weight` [h, h].
    static func headCount(_ tensors: [TensorInfo], indices: [Int]) throws(DeiTError) -> Int {
        for index in indices where staticStringEquals("blocks.0.attn.proj_l.weight", tensors[index].name.utf8) {
            let shape = tensors[index].shape
            guard shape.count == 2, shape[0] == shape[1], shape[0] >= 1 else {
                throw DeiTError(.format, "tensor 'blocks.0.attn.proj_l.weight' has shape \(describeShape(shape)); expected [h, h]")
            }
            return shape[0]
        }
        throw DeiTError(.format, "missing tensor 'blocks.0.attn.proj_l.weight' (a CaiT's talking-heads mix)")
    }

    private static func hasPrefix<Bytes: Collection>(_ bytes: Bytes, _ prefix: StaticString) -> Bool
        where Bytes.Element == UInt8 {
        let count = prefix.utf8CodeUnitCount
        return bytes.count >= count && staticStringEquals(prefix, bytes.prefix(count))
    }

    /// (index, rest) for "<prefix><decimal>.<rest>", nil for any other form (leading zeros, no digits,
    /// more than 9 digits).
    private static func indexed(_ bytes: [UInt8], prefix: StaticString) -> (Int, ArraySlice<UInt8>)? {
        guard hasPrefix(bytes, prefix) else { return nil }
        var position = prefix.utf8CodeUnitCount
        let start = position
        var value = 0
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            position += 1
            if position - start > 9 { return nil }
        }
        let digits = position - start
        guard digits > 0, position < bytes.count, bytes[position] == UInt8(ascii: "."),
              !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { return nil }
        return (value, bytes[(position + 1)...])
    }
}

/// Where a CaiT's own tensors are in the file's tensor list (validated by `CaiTSchema.classify`).
struct CaiTTable: Sendable {
    /// Per patch block, indexed by `MixTensor`.
    var mixes: [[Int]]
    /// Per class-attention block, indexed by `ClassBlockTensor` (nil: an absent q/k/v bias).
    var classBlocks: [[Int?]]
}

/// The talking-heads tensors of `blocks.i.attn`.
enum MixTensor: Int, CaseIterable {
    case projLWeight, projLBias, projWWeight, projWBias

    var name: StaticString {
        switch self {
        case .projLWeight: "attn.proj_l.weight"
        case .projLBias: "attn.proj_l.bias"
        case .projWWeight: "attn.proj_w.weight"
        case .projWBias: "attn.proj_w.bias"
        }
    }
    var isWeight: Bool { self == .projLWeight || self == .projWWeight }
}

/// The tensors of `blocks_token_only.j`, in load order.
enum ClassBlockTensor: Int, CaseIterable {
    case norm1Weight, norm1Bias, qWeight, qBias, kWeight, kBias, vWeight, vBias, projWeight, projBias,
         norm2Weight, norm2Bias, fc1Weight, fc1Bias, fc2Weight, fc2Bias, gamma1, gamma2

    var name: StaticString {
        switch self {
        case .norm1Weight: "norm1.weight"
        case .norm1Bias: "norm1.bias"
        case .qWeight: "attn.q.weight"
        case .qBias: "attn.q.bias"
        case .kWeight: "attn.k.weight"
        case .kBias: "attn.k.bias"
        case .vWeight: "attn.v.weight"
        case .vBias: "attn.v.bias"
        case .projWeight: "attn.proj.weight"
        case .projBias: "attn.proj.bias"
        case .norm2Weight: "norm2.weight"
        case .norm2Bias: "norm2.bias"
        case .fc1Weight: "mlp.fc1.weight"
        case .fc1Bias: "mlp.fc1.bias"
        case .fc2Weight: "mlp.fc2.weight"
        case .fc2Bias: "mlp.fc2.bias"
        case .gamma1: "gamma_1"
        case .gamma2: "gamma_2"
        }
    }

    var isQKVBias: Bool { self == .qBias || self == .kBias || self == .vBias }

    func shape(embedDim d: Int, hiddenDim h: Int) -> [Int] {
        switch self {
        case .qWeight, .kWeight, .vWeight, .projWeight: [d, d]
        case .fc1Weight: [h, d]
        case .fc1Bias: [h]
        case .fc2Weight: [d, h]
        default: [d]
        }
    }
}
