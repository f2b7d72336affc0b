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
///     norm.{weight,bias} [D]                  head.weight [C, D]   head.bias [C]   (none: headless)
///     head_dist.weight [C, D]  head_dist.bias [C]                 (iff dist_token, unless headless)
///
/// timm ViT-family options that change only the tensors (each detected from them):
///
///     blocks.i.ls1.gamma [D]  blocks.i.ls2.gamma [D]   LayerScale (DeiT III, `init_values`); the
///         original DeiT III names blocks.i.gamma_1 / gamma_2 are accepted too. Folded into proj and
///         fc2 at load: x + γ⊙(W·y + b) = x + (diag(γ)W)·y + γ⊙b.
///     no blocks.i.attn.qkv.bias                        `qkv_bias=False`: a zero bias.
///     fc_norm.{weight,bias} [D] instead of norm.*      `fc_norm=True` (MAE/BEiT): the final LayerNorm
///         runs after pooling; pooling is then average unless __metadata__ says otherwise.
///     pos_embed [1, G², D]                             `no_embed_class` (DeiT III, register models):
///         added to the patch tokens only, before the prefix tokens are put in front.
///     reg_token [1, R, D]                              `reg_tokens=R`: after the class [and dist] token.
///     no cls_token                                     `class_token=False`: pooled over the patches
///         (the description must name avg, max or avgmax).
///     blocks.i.attn.{q,k}_norm.{weight,bias} [D/heads] `qk_norm`: LayerNorm over head_dim on q and k.
///     norm_pre.{weight,bias} [D], no patch_embed.proj.bias   `pre_norm` (CLIP; timm drops the bias).
///
/// The description (`__metadata__`, config.json, the architecture table) selects the pooling
/// (`global_pool` token / avg / max / avgmax; the only way to tell patch pooling without fc_norm from
/// class-token pooling), the LayerNorm eps and the activation (GELU or QuickGELU). Known timm options
/// that are not implemented (attention pooling, SwiGLU, …) are refused with `.unsupported` naming the
/// option; unknown names stay `.format`. A checkpoint without
/// `head.*` is headless (timm num_classes=0): C = 0, and it outputs its pooled features.
///
/// That table is written once, as data: `TopTensor` and `BlockTensor` below (name, shape rule, what
/// loading does with the tensor, when it must be present, how timm initialises it), gathered into
/// `CheckpointSchema.deit`. Validation classifies the file's tensors into a `CheckpointTable` (slot →
/// tensor index) that `Checkpoint` keeps; `PackedWeights` walks that table, and the synthetic model
/// (deit-cli) and the test writer list their tensors from `CheckpointSchema.tensors(of:)`.
///
/// num_heads comes from the model description (`__metadata__["num_heads"]`, config.json's
/// model_args, the architecture table: ModelDescription.swift) when present, else D/64 (most of
/// timm's DeiT/ViT widths use 64-wide heads; ViT-H's 80-wide heads need the description).

/// A safetensors file that forms a DeiT/ViT, with the configuration derived from it.
package struct Checkpoint: Sendable {
    /// The validated tensor table and metadata.
    package let file: SafetensorsFile
    /// The architecture the tensors describe (run at another image size by `running(atImageSize:)`).
    package internal(set) var config: ModelConfig
    /// What timm's metadata, config.json and architecture table say (ModelDescription.swift).
    package let description: ModelDescription
    /// Where each slot of `CheckpointSchema.deit` is in `file.tensors` (validated: names, presence,
    /// exact shapes and dtypes).
    let table: CheckpointTable
    /// Where a CaiT's own tensors are (CaiTSchema.swift); nil for a ViT.
    let caitTable: CaiTTable?
    /// The precision the file stores the blocks' Linear weights at: `.int8` for a file written by
    /// `deit-cli quantize` (`__metadata__` deit.precision, StoredInt8.swift), else `.f32` (F32, F16
    /// or BF16 tensors, converted at load).
    package let storedPrecision: Precision
    /// Where an int8 file's weight scales are; nil for a float file.
    let scaleTable: ScaleTable?

    /// Parses `bytes` (the whole file, which the caller keeps alive for `readFloats`), validates
    /// the container and the schema, and derives the configuration.
    package init(bytes: UnsafeRawBufferPointer, limits: LoadLimits = .default,
                 configJSON: UnsafeRawBufferPointer? = nil) throws(DeiTError) {
        try self.init(file: try SafetensorsFile.parse(bytes, limits: limits), limits: limits, configJSON: configJSON)
    }

    /// Validates the schema of an already parsed file and derives the configuration.
    /// `configJSON`: the bytes of the config.json beside the file, if any.
    package init(file: SafetensorsFile, limits: LoadLimits = .default,
                 configJSON: UnsafeRawBufferPointer? = nil) throws(DeiTError) {
        let description = try ModelDescription(metadata: file.metadata, configJSON: configJSON, limits: limits)
        try description.checkSupported()
        // An int8 file's weight scales (StoredInt8.swift) and a CaiT's own tensors (CaiTSchema.swift)
        // are set aside; the rest is ViT-shaped.
        let storedPrecision = try StoredInt8.storedPrecision(file)
        var scaleIndices: [Int] = []
        for (index, tensor) in file.tensors.enumerated() where try StoredInt8.scalePosition(of: tensor.name, limits: limits) != nil {
            if storedPrecision != .int8 {
                throw DeiTError(.format, "unexpected tensor \(quotedName(tensor.name)) (an int8 weight scale, but __metadata__ '\(StoredInt8.precisionKey)' is not 'int8')")
            }
            scaleIndices.append(index)
        }
        let caitIndices = file.tensors.indices.filter { CaiTSchema.isCaiTTensor(file.tensors[$0].name) }
        var table: CheckpointTable
        var heads = description.numHeads
        if caitIndices.isEmpty && scaleIndices.isEmpty {
            table = try CheckpointTable(classifying: file.tensors, schema: .deit, limits: limits)
        } else {
            var setAside = [Bool](repeating: false, count: file.tensors.count)
            for index in caitIndices { setAside[index] = true }
            for index in scaleIndices { setAside[index] = true }
            let vitIndices = file.tensors.indices.filter { !setAside[$0] }
            table = try CheckpointTable(classifying: vitIndices.map { file.tensors[$0] }, schema: .deit, limits: limits)
            table.top = table.top.map { $0.map { vitIndices[$0] } }
            table.blocks = table.blocks.map { $0.map { $0.map { vitIndices[$0] } } }
            if heads == nil && !caitIndices.isEmpty {
                heads = Described(try CaiTSchema.headCount(file.tensors, indices: caitIndices), .shapes)
            }
        }
        var config = try ModelConfig(file: file, table: table, limits: limits, heads: heads,
                                     pool: description.globalPool, noEmbedClassHint: description.noEmbedClass,
                                     int8Weights: storedPrecision == .int8)
        if storedPrecision == .int8 {
            scaleTable = try ScaleTable(tensors: file.tensors, indices: scaleIndices, table: table, config: config,
                                        groupSize: try StoredInt8.declaredGroupSize(file), limits: limits)
            let folded = file.metadataValue(forKey: StoredInt8.layerScaleKey).map { staticStringEquals("folded", $0.utf8) } ?? false
            if config.layerScale && !folded {
                throw DeiTError(.format, "an int8 file of a LayerScale model needs __metadata__ '\(StoredInt8.layerScaleKey)' 'folded' (γ multiplied into the I8 weights and their biases)")
            }
        } else {
            scaleTable = nil
        }
        self.storedPrecision = storedPrecision
        // What only a description can say: LayerNorm epsilon and the MLP's activation.
        config.layerNormEpsilon = description.layerNormEpsilon
        config.activation = description.mlpActivation
        if !caitIndices.isEmpty {
            // timm's Cait has none of these ViT options; the CaiT forward pass does not run them.
            if !config.classToken || config.regTokens > 0 || config.qkNorm || config.preNorm || config.activation != .gelu {
                throw DeiTError(.unsupported, "a CaiT with ViT options (no class token, register tokens, qk_norm, norm_pre or an activation other than GELU) is not supported")
            }
            let (caitTable, cait) = try CaiTSchema.classify(file.tensors, indices: caitIndices, config: config, limits: limits)
            config.cait = cait
            self.caitTable = caitTable
        } else {
            self.caitTable = nil
        }
        try description.check(against: config)
        self.config = config
        self.description = description
        self.file = file
        self.table = table
    }

    /// The validated entry called `name` (e.g. "blocks.3.attn.qkv.weight"), nil if absent.
    package func tensor(_ name: String) -> TensorInfo? { file.tensor(named: name) }
}

extension ModelConfig {
    /// Derives the architecture from a validated file's tensor names and shapes, checking that the
    /// file holds exactly the DeiT/ViT schema. `.format` for missing, extra or mis-shaped tensors;
    /// `.unsupported` for dtypes other than F32/F16/BF16, input channels ≠ 3 or non-square patches;
    /// `.outOfMemory` when a `limits` bound is exceeded.
    package init(header file: SafetensorsFile, limits: LoadLimits = .default) throws(DeiTError) {
        self = try Checkpoint(file: file, limits: limits).config
    }

    /// Derives the architecture from a table whose names and presence are checked, then checks every
    /// tensor's exact shape and dtype against it.
    init(file: SafetensorsFile, table: CheckpointTable, limits: LoadLimits,
         heads: Described<Int>? = nil, pool: Described<Pooling>? = nil,
         noEmbedClassHint: Described<Bool>? = nil, int8Weights: Bool = false) throws(DeiTError) {
        let tensors = file.tensors
        func required(_ slot: TopTensor) throws(DeiTError) -> TensorInfo {
            guard let index = table.top[slot.rawValue] else {
                throw DeiTError(.format, "missing tensor '\(slot.spec.name)'")
            }
            return tensors[index]
        }
        func required(_ slot: BlockTensor, block: Int) throws(DeiTError) -> TensorInfo {
            guard block < table.blocks.count, let index = table.blocks[block][slot.rawValue] else {
                throw DeiTError(.format, "missing tensor 'blocks.\(block).\(slot.spec.name)'")
            }
            return tensors[index]
        }
        let distilled = table.top[TopTensor.distToken.rawValue] != nil
        let classToken = table.top[TopTensor.clsToken.rawValue] != nil
        if distilled && !classToken {
            throw DeiTError(.format, "unexpected tensor 'dist_token' (a distilled model needs 'cls_token')")
        }
        // Options a block tensor switches on: on when any block has the tensor (then every block must).
        func anyBlockHas(_ slot: BlockTensor) -> Bool { table.blocks.contains { $0[slot.rawValue] != nil } }
        let layerScale = anyBlockHas(.ls1Gamma) || anyBlockHas(.ls2Gamma)
        let qkvBias = anyBlockHas(.qkvBias)
        let qkNorm = anyBlockHas(.qNormWeight) || anyBlockHas(.qNormBias) || anyBlockHas(.kNormWeight) || anyBlockHas(.kNormBias)
        let preNorm = table.top[TopTensor.normPreWeight.rawValue] != nil || table.top[TopTensor.normPreBias.rawValue] != nil
        // The final LayerNorm: `norm` before pooling, or `fc_norm` after it (timm has one or the other).
        let hasNorm = table.top[TopTensor.normWeight.rawValue] != nil || table.top[TopTensor.normBias.rawValue] != nil
        let fcNorm = table.top[TopTensor.fcNormWeight.rawValue] != nil || table.top[TopTensor.fcNormBias.rawValue] != nil
        if hasNorm && fcNorm {
            throw DeiTError(.format, "unexpected tensor 'fc_norm.weight' (a checkpoint has 'norm' or 'fc_norm', not both)")
        }
        if !classToken && pool == nil {
            // timm's default pooling is the class token; without one only a description can say which.
            throw DeiTError(.unsupported, "a model without a class token (no 'cls_token', timm class_token=False) needs its global_pool ('avg', 'max' or 'avgmax') from __metadata__, config.json or the architecture table")
        }
        let globalPool = try GlobalPool.from(pool, default: fcNorm ? .average : .token)
        if globalPool != .token && distilled {
            throw DeiTError(.unsupported, "global_pool '\(pool?.value.name ?? "avg")' with a distillation token is not supported")
        }
        if globalPool == .token && !classToken {
            throw DeiTError(.format, "global_pool 'token' (from \(pool?.source.name ?? "default")) needs a class token; the tensors have no 'cls_token'")
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
        let fc1 = try required(.fc1Weight, block: 0)
        guard fc1.shape.count == 2, fc1.shape[1] == embedDim else { throw shapeError(fc1, expected: "[H, \(embedDim)]") }
        let hiddenDim = try checkedDimension(fc1.shape[0], of: fc1, what: "MLP hidden dim H",
                                             limitName: "maxMLPHiddenDim", limit: limits.maxMLPHiddenDim)
        // Headless (timm num_classes=0): no head.weight; C = 0 and the output is the pooled features.
        var numClasses = 0
        if let headIndex = table.top[TopTensor.headWeight.rawValue] {
            let head = tensors[headIndex]
            guard head.shape.count == 2, head.shape[1] == embedDim else { throw shapeError(head, expected: "[C, \(embedDim)]") }
            numClasses = try checkedDimension(head.shape[0], of: head, what: "class count C",
                                              limitName: "maxClasses", limit: limits.maxClasses)
        }

        // Register tokens R from reg_token [1, R, D].
        var regTokens = 0
        if let regIndex = table.top[TopTensor.regToken.rawValue] {
            let reg = tensors[regIndex]
            guard reg.shape.count == 3, reg.shape[0] == 1, reg.shape[2] == embedDim else {
                throw shapeError(reg, expected: "[1, R, \(embedDim)]")
            }
            regTokens = try checkedDimension(reg.shape[1], of: reg, what: "register count R",
                                             limitName: "maxTokens", limit: limits.maxTokens)
            if distilled {
                throw DeiTError(.unsupported, "register tokens (reg_token) with a distillation token are not supported")
            }
        }

        // Tokens T = prefix + G² from pos_embed (or G² alone: no_embed_class); S = G·P.
        let prefixTokens = (classToken ? 1 : 0) + (distilled ? 1 : 0) + regTokens
        let posEmbed = try required(.posEmbed)
        guard posEmbed.shape.count == 3, posEmbed.shape[0] == 1, posEmbed.shape[2] == embedDim else {
            throw shapeError(posEmbed, expected: "[1, T, \(embedDim)]")
        }
        let tokenCount = posEmbed.shape[1]
        if tokenCount > limits.maxTokens {
            throw DeiTError(.outOfMemory, "tensor 'pos_embed' has \(tokenCount) tokens, above the maxTokens limit (\(limits.maxTokens))")
        }
        // pos_embed covers prefix + G² tokens (timm's default) or, with no_embed_class (DeiT III, the
        // register models), the G² patches alone. Both readings fit only for a few tiny grids with
        // some prefix counts ((H − G)(H + G) = prefix, e.g. 5 prefix tokens: G = 2, H = 3); there the
        // description's no_embed_class decides, else timm's default.
        let withPrefix = tokenCount - prefixTokens
        let fitsWithPrefix = withPrefix >= 1 && integerSquareRoot(withPrefix) * integerSquareRoot(withPrefix) == withPrefix
        let fitsPatchesOnly = prefixTokens > 0 && tokenCount >= 1
            && integerSquareRoot(tokenCount) * integerSquareRoot(tokenCount) == tokenCount
        guard fitsWithPrefix || fitsPatchesOnly else {
            throw DeiTError(.format, "tensor 'pos_embed' has \(tokenCount) tokens; after \(prefixTokens) prefix token(s) the \(withPrefix) patches do not form a square grid, nor do all \(tokenCount) (no_embed_class)")
        }
        let noEmbedClass = fitsPatchesOnly && (!fitsWithPrefix || noEmbedClassHint?.value == true)
        let patchCount = noEmbedClass ? tokenCount : withPrefix
        let gridSize = integerSquareRoot(patchCount)

        var numHeads: Int
        if let heads {
            guard heads.value >= 1, embedDim % heads.value == 0 else {
                throw DeiTError(.format, "num_heads '\(heads.value)' does not divide embed dim \(embedDim) (num_heads from \(heads.source.name))")
            }
            numHeads = heads.value
        } else {
            numHeads = try headCount(file, embedDim: embedDim)
        }
        // No overflow below or in ModelConfig's derived sizes: every factor is ≥ 1 and a dimension
        // of a tensor whose bytes exist (span checked), so each product is at most the file size.
        self.init(imageSize: gridSize * patchSize, patchSize: patchSize, inChannels: 3, embedDim: embedDim,
                  depth: table.blocks.count, numHeads: numHeads, mlpHiddenDim: hiddenDim,
                  numClasses: numClasses, distilled: distilled)
        self.layerScale = layerScale
        self.qkvBias = qkvBias
        self.fcNorm = fcNorm
        self.globalPool = globalPool
        self.noEmbedClass = noEmbedClass
        self.classToken = classToken
        self.regTokens = regTokens
        self.qkNorm = qkNorm
        self.preNorm = preNorm

        // The option-dependent slots: present exactly when the derived configuration has the option.
        try table.checkConfigured(in: .deit, self)
        // Every tensor's exact shape and dtype, in table order.
        // In an int8 file (StoredInt8.swift) the blocks' Linear weights are I8, the heads' I8 or float
        // (files from before they were quantised), and nothing else is I8.
        try table.forEachPresent(in: .deit) { position, slot, index throws(DeiTError) in
            var isBlockLinear = false
            if position.block != nil, case .linearWeight = slot.kind { isBlockLinear = true }
            let isTopLinear = position.block == nil && StoredInt8.quantizedTopSlots.contains { $0.rawValue == position.slot }
            try checkTensor(tensors[index], expected: slot.shape.dimensions(self),
                            int8: int8Weights && isBlockLinear, int8File: int8Weights,
                            int8Allowed: int8Weights && isTopLinear)
        }
    }
}

// MARK: - The schema table

/// What loading does with a slot's tensor.
enum SlotKind: Equatable, Sendable {
    /// Converted to Float32 into a region of its own.
    case copy
    /// The weight [n, k…] of a Linear layer (trailing dimensions flatten into k). With its bias, the
    /// slot at index `bias` of the same list, it is stored as one `LinearWeights` region.
    case linearWeight(bias: Int)
    /// A Linear layer's bias [n], stored inside its weight's region (zeros when the slot is absent).
    case linearBias
    /// A per-output scale [n] (LayerScale γ) folded at load into the Linear weight at index `weight` of
    /// the same list: its rows and its bias are multiplied by γ. No region of its own.
    case layerScale(weight: Int)
}

/// An optional part of the architecture, switched on by the presence of tensors.
enum ModelFeature: Equatable, Sendable {
    /// DeiT's distillation token and second head (`ModelConfig.distilled`).
    case distillation
    /// LayerScale γ in every block (`ModelConfig.layerScale`).
    case layerScale
    /// The qkv Linear's bias (`ModelConfig.qkvBias`).
    case qkvBias
    /// The final LayerNorm before pooling, `norm` (`!ModelConfig.fcNorm`).
    case norm
    /// The final LayerNorm after pooling, `fc_norm` (`ModelConfig.fcNorm`).
    case fcNorm
    /// The classifier head (`ModelConfig.hasHead`; headless models, timm num_classes=0, have none).
    case head
    /// The distillation head `head_dist`: distilled models with a head.
    case distilledHead
    /// The class token `cls_token` (`ModelConfig.classToken`).
    case classToken
    /// Register tokens `reg_token` (`ModelConfig.regTokens` > 0).
    case registers
    /// The patch embedding's bias (`ModelConfig.patchEmbedBias`; timm drops it with pre_norm).
    case patchEmbedBias
    /// `norm_pre` after the position embedding (`ModelConfig.preNorm`).
    case preNorm
    /// `attn.q_norm` and `attn.k_norm` in every block (`ModelConfig.qkNorm`).
    case qkNorm

    /// Whether a model of `config` has the feature.
    func isPresent(in config: ModelConfig) -> Bool {
        switch self {
        case .distillation: return config.distilled
        case .layerScale: return config.layerScale
        case .qkvBias: return config.qkvBias
        case .norm: return !config.fcNorm
        case .fcNorm: return config.fcNorm
        case .head: return config.hasHead
        case .distilledHead: return config.distilled && config.hasHead
        case .classToken: return config.classToken
        case .registers: return config.regTokens > 0
        case .patchEmbedBias: return config.patchEmbedBias
        case .preNorm: return config.preNorm
        case .qkNorm: return config.qkNorm
        }
    }
}

/// When a slot's tensor must be in the file.
enum SlotPresence: Equatable, Sendable {
    /// In every checkpoint.
    case required
    /// In every checkpoint that has `feature`, and in none other. The feature's first slot in the
    /// list decides whether the file has it; its other slots are then required, or rejected.
    case feature(ModelFeature)
    /// May be present or not, on its own (not used by the DeiT/ViT table; tests use it).
    case optional
    /// Present exactly when the configuration derived from the file has `feature`: the table only
    /// records where it is, `ModelConfig`'s derivation decides the feature and checks every such slot
    /// (`CheckpointTable.checkConfigured`).
    case configured(ModelFeature)
}

/// A width of the architecture, from a `ModelConfig`.
enum SlotDimension: Sendable {
    case embed          // D
    case tripleEmbed    // 3D
    case hidden         // H
    case classes        // C
    case head           // D / heads

    func value(_ config: ModelConfig) -> Int {
        switch self {
        case .head: return config.headDim
        case .embed: return config.embedDim
        case .tripleEmbed: return 3 * config.embedDim
        case .hidden: return config.mlpHiddenDim
        case .classes: return config.numClasses
        }
    }
}

/// A slot's exact shape, from a `ModelConfig`.
enum SlotShape: Sendable {
    case vector(SlotDimension)                  // [a]
    case matrix(SlotDimension, SlotDimension)   // [a, b]
    case token                                  // [1, 1, D]
    case registers                              // [1, R, D]
    case positions                              // [1, T, D], the checkpoint's T (trained grid)
    case patchKernel                            // [D, 3, P, P]

    func dimensions(_ config: ModelConfig) -> [Int] {
        switch self {
        case .vector(let a): return [a.value(config)]
        case .matrix(let a, let b): return [a.value(config), b.value(config)]
        case .token: return [1, 1, config.embedDim]
        case .registers: return [1, config.regTokens, config.embedDim]
        case .positions: return [1, config.trainedPosEmbedTokens, config.embedDim]
        case .patchKernel: return [config.embedDim, config.inChannels, config.patchSize, config.patchSize]
        }
    }
}

/// How timm initialises a tensor, for synthetic checkpoints (LayerNorm weight 1 and bias 0; the
/// rest random).
public enum SlotInitialValue: Sendable {
    case random, ones, zeros
}

/// One tensor of the schema: its name (the whole name, or for a block slot the part after
/// "blocks.{i}."), exact shape, what loading does with it and when it must be present.
struct CheckpointSlot: Sendable {
    var name: StaticString
    var shape: SlotShape
    var kind: SlotKind
    var presence: SlotPresence
    var initialValue: SlotInitialValue
    /// Another name the same tensor is accepted under (older timm checkpoints), or nil.
    var alias: StaticString? = nil
}

/// The slots of a checkpoint, in the order loading walks them: the top-level tensors, then each
/// block's.
package struct CheckpointSchema: Sendable {
    var top: [CheckpointSlot]
    var block: [CheckpointSlot]

    /// timm's DeiT / ViT classifiers.
    package static let deit = CheckpointSchema(top: TopTensor.all.map { $0.spec }, block: BlockTensor.all.map { $0.spec })

    /// Whether a model of `config` has the tensor of `presence`.
    private static func has(_ presence: SlotPresence, _ config: ModelConfig) -> Bool {
        switch presence {
        case .required: return true
        case .feature(let feature), .configured(let feature): return feature.isPresent(in: config)
        case .optional: return false
        }
    }

    /// Every tensor a checkpoint of `config` holds, in the schema's order (top-level, then block 0,
    /// 1, …), with its exact shape and timm's initialisation; `.optional` slots are left out. The
    /// synthetic models and the test fixtures are written from this list.
    package func tensors(of config: ModelConfig) -> [(name: String, shape: [Int], initialValue: SlotInitialValue)] {
        var result: [(name: String, shape: [Int], initialValue: SlotInitialValue)] = []
        for slot in top where CheckpointSchema.has(slot.presence, config) {
            result.append(("\(slot.name)", slot.shape.dimensions(config), slot.initialValue))
        }
        for index in 0..<config.depth {
            for slot in block where CheckpointSchema.has(slot.presence, config) {
                result.append(("blocks.\(index).\(slot.name)", slot.shape.dimensions(config), slot.initialValue))
            }
        }
        return result
    }
}

/// Tensors outside the blocks, in load order (also the synthetic model's order: its seeded values
/// follow it). Raw values index `CheckpointSchema.deit.top` and `CheckpointTable.top`.
enum TopTensor: Int {
    case clsToken, posEmbed, patchWeight, patchBias, normWeight, normBias, headWeight, headBias,
         distToken, headDistWeight, headDistBias, fcNormWeight, fcNormBias, regToken, normPreWeight, normPreBias

    static let all: [TopTensor] = [.clsToken, .posEmbed, .patchWeight, .patchBias, .normWeight, .normBias,
                                   .headWeight, .headBias, .distToken, .headDistWeight, .headDistBias,
                                   .fcNormWeight, .fcNormBias, .regToken, .normPreWeight, .normPreBias]

    var spec: CheckpointSlot {
        switch self {
        case .clsToken: return CheckpointSlot(name: "cls_token", shape: .token, kind: .copy, presence: .configured(.classToken), initialValue: .random)
        case .posEmbed: return CheckpointSlot(name: "pos_embed", shape: .positions, kind: .copy, presence: .required, initialValue: .random)
        case .patchWeight: return CheckpointSlot(name: "patch_embed.proj.weight", shape: .patchKernel,
                                                 kind: .linearWeight(bias: TopTensor.patchBias.rawValue), presence: .required, initialValue: .random)
        case .patchBias: return CheckpointSlot(name: "patch_embed.proj.bias", shape: .vector(.embed), kind: .linearBias,
                                               presence: .configured(.patchEmbedBias), initialValue: .random)
        case .normWeight: return CheckpointSlot(name: "norm.weight", shape: .vector(.embed), kind: .copy, presence: .configured(.norm), initialValue: .ones)
        case .normBias: return CheckpointSlot(name: "norm.bias", shape: .vector(.embed), kind: .copy, presence: .configured(.norm), initialValue: .zeros)
        case .headWeight: return CheckpointSlot(name: "head.weight", shape: .matrix(.classes, .embed),
                                                kind: .linearWeight(bias: TopTensor.headBias.rawValue), presence: .configured(.head), initialValue: .random)
        case .headBias: return CheckpointSlot(name: "head.bias", shape: .vector(.classes), kind: .linearBias, presence: .configured(.head), initialValue: .random)
        case .distToken: return CheckpointSlot(name: "dist_token", shape: .token, kind: .copy, presence: .feature(.distillation), initialValue: .random)
        case .headDistWeight: return CheckpointSlot(name: "head_dist.weight", shape: .matrix(.classes, .embed),
                                                    kind: .linearWeight(bias: TopTensor.headDistBias.rawValue), presence: .configured(.distilledHead),
                                                    initialValue: .random)
        case .headDistBias: return CheckpointSlot(name: "head_dist.bias", shape: .vector(.classes), kind: .linearBias,
                                                  presence: .configured(.distilledHead), initialValue: .random)
        case .fcNormWeight: return CheckpointSlot(name: "fc_norm.weight", shape: .vector(.embed), kind: .copy, presence: .configured(.fcNorm), initialValue: .ones)
        case .fcNormBias: return CheckpointSlot(name: "fc_norm.bias", shape: .vector(.embed), kind: .copy, presence: .configured(.fcNorm), initialValue: .zeros)
        case .regToken: return CheckpointSlot(name: "reg_token", shape: .registers, kind: .copy, presence: .configured(.registers), initialValue: .random)
        case .normPreWeight: return CheckpointSlot(name: "norm_pre.weight", shape: .vector(.embed), kind: .copy, presence: .configured(.preNorm), initialValue: .ones)
        case .normPreBias: return CheckpointSlot(name: "norm_pre.bias", shape: .vector(.embed), kind: .copy, presence: .configured(.preNorm), initialValue: .zeros)
        }
    }
}

/// Tensors inside `blocks.i.`, in load order. Raw values index `CheckpointSchema.deit.block` and a
/// row of `CheckpointTable.blocks`.
enum BlockTensor: Int {
    case norm1Weight, norm1Bias, qkvWeight, qkvBias, projWeight, projBias,
         norm2Weight, norm2Bias, fc1Weight, fc1Bias, fc2Weight, fc2Bias, ls1Gamma, ls2Gamma,
         qNormWeight, qNormBias, kNormWeight, kNormBias

    static let all: [BlockTensor] = [.norm1Weight, .norm1Bias, .qkvWeight, .qkvBias, .projWeight, .projBias,
                                     .norm2Weight, .norm2Bias, .fc1Weight, .fc1Bias, .fc2Weight, .fc2Bias,
                                     .ls1Gamma, .ls2Gamma, .qNormWeight, .qNormBias, .kNormWeight, .kNormBias]

    var spec: CheckpointSlot {
        func slot(_ name: StaticString, _ shape: SlotShape, _ kind: SlotKind, _ initialValue: SlotInitialValue = .random) -> CheckpointSlot {
            CheckpointSlot(name: name, shape: shape, kind: kind, presence: .required, initialValue: initialValue)
        }
        switch self {
        case .norm1Weight: return slot("norm1.weight", .vector(.embed), .copy, .ones)
        case .norm1Bias: return slot("norm1.bias", .vector(.embed), .copy, .zeros)
        case .qkvWeight: return slot("attn.qkv.weight", .matrix(.tripleEmbed, .embed), .linearWeight(bias: BlockTensor.qkvBias.rawValue))
        case .qkvBias:
            return CheckpointSlot(name: "attn.qkv.bias", shape: .vector(.tripleEmbed), kind: .linearBias,
                                  presence: .configured(.qkvBias), initialValue: .random)
        case .projWeight: return slot("attn.proj.weight", .matrix(.embed, .embed), .linearWeight(bias: BlockTensor.projBias.rawValue))
        case .projBias: return slot("attn.proj.bias", .vector(.embed), .linearBias)
        case .norm2Weight: return slot("norm2.weight", .vector(.embed), .copy, .ones)
        case .norm2Bias: return slot("norm2.bias", .vector(.embed), .copy, .zeros)
        case .fc1Weight: return slot("mlp.fc1.weight", .matrix(.hidden, .embed), .linearWeight(bias: BlockTensor.fc1Bias.rawValue))
        case .fc1Bias: return slot("mlp.fc1.bias", .vector(.hidden), .linearBias)
        case .fc2Weight: return slot("mlp.fc2.weight", .matrix(.embed, .hidden), .linearWeight(bias: BlockTensor.fc2Bias.rawValue))
        case .fc2Bias: return slot("mlp.fc2.bias", .vector(.embed), .linearBias)
        case .ls1Gamma:
            return CheckpointSlot(name: "ls1.gamma", shape: .vector(.embed), kind: .layerScale(weight: BlockTensor.projWeight.rawValue),
                                  presence: .configured(.layerScale), initialValue: .random, alias: "gamma_1")
        case .ls2Gamma:
            return CheckpointSlot(name: "ls2.gamma", shape: .vector(.embed), kind: .layerScale(weight: BlockTensor.fc2Weight.rawValue),
                                  presence: .configured(.layerScale), initialValue: .random, alias: "gamma_2")
        case .qNormWeight, .qNormBias, .kNormWeight, .kNormBias:
            let names: [StaticString] = ["attn.q_norm.weight", "attn.q_norm.bias", "attn.k_norm.weight", "attn.k_norm.bias"]
            let isWeight = self == .qNormWeight || self == .kNormWeight
            return CheckpointSlot(name: names[rawValue - BlockTensor.qNormWeight.rawValue], shape: .vector(.head), kind: .copy,
                                  presence: .configured(.qkNorm), initialValue: isWeight ? .ones : .zeros)
        }
    }
}

/// Where a slot sits: a top-level slot, or a slot of block `block`.
struct SlotPosition: Equatable {
    var block: Int?     // nil: top level
    var slot: Int       // index into the schema's `top` or `block` list
}

/// The validated slot → tensor table of one file: where each slot of a schema sits in the file's
/// (name-sorted) tensor list. Built once at load by `init(classifying:schema:limits:)`, kept by
/// `Checkpoint`, read by `PackedWeights`.
struct CheckpointTable: Sendable {
    /// Index into the tensor list per top-level slot, nil when absent.
    var top: [Int?]
    /// blocks[i][slot] = index into the tensor list, nil when absent (optional slots only);
    /// `count` is the depth.
    var blocks: [[Int?]]

    /// The tensor index at `position`, nil when absent.
    subscript(position: SlotPosition) -> Int? {
        guard let block = position.block else { return top[position.slot] }
        return blocks[block][position.slot]
    }

    /// Calls `body` for every present slot in load order: the top-level slots, then each block's.
    func forEachPresent(in schema: CheckpointSchema,
                        _ body: (SlotPosition, CheckpointSlot, Int) throws(DeiTError) -> Void) throws(DeiTError) {
        for (slot, index) in top.enumerated() {
            if let index { try body(SlotPosition(block: nil, slot: slot), schema.top[slot], index) }
        }
        for (block, row) in blocks.enumerated() {
            for (slot, index) in row.enumerated() {
                if let index { try body(SlotPosition(block: block, slot: slot), schema.block[slot], index) }
            }
        }
    }

    /// Sorts every tensor into its slot and checks presence: an unknown name, a malformed block
    /// index or an index at or above `limits.maxDepth` fails naming the tensor; so does a missing
    /// required tensor (blocks first, then the top level) or a feature's tensor without the one that
    /// decides the feature. Allocations are bounded by the number of tensors, never by a block index.
    init(classifying tensors: [TensorInfo], schema: CheckpointSchema, limits: LoadLimits) throws(DeiTError) {
        var top = [Int?](repeating: nil, count: schema.top.count)
        var blockEntries: [(block: Int, slot: Int, index: Int)] = []
        var depth = 0
        tensorLoop: for (index, tensor) in tensors.enumerated() {
            let name = tensor.name.utf8
            for (slot, spec) in schema.top.enumerated() where staticStringEquals(spec.name, name) {
                top[slot] = index
                continue tensorLoop
            }
            guard let (block, slot) = try CheckpointTable.blockSlot(of: tensor.name, schema: schema, limits: limits) else {
                if let feature = unsupportedFeature(named: tensor.name) {
                    throw DeiTError(.unsupported, "tensor \(quotedName(tensor.name)): \(feature) not supported yet")
                }
                throw DeiTError(.format, "unexpected tensor \(quotedName(tensor.name)) (not part of the DeiT/ViT schema)")
            }
            blockEntries.append((block, slot, index))
            depth = max(depth, block + 1)
        }
        // The slot a missing block is named by: its first required one (norm1.weight).
        let firstRequired = schema.block.firstIndex { $0.presence == .required } ?? 0
        let firstName = schema.block.isEmpty ? "" : "\(schema.block[firstRequired].name)"
        if depth == 0 {
            throw DeiTError(.format, "missing tensor 'blocks.0.\(firstName)' (a model needs at least one block)")
        }
        // Sorted by (block, slot), each block's tensors are contiguous and the blocks come in order;
        // a block with no tensor at all is a gap. Rows are added one per block that has tensors, so
        // nothing here is sized by the (untrusted) largest index.
        blockEntries.sort { $0.block != $1.block ? $0.block < $1.block : $0.slot < $1.slot }
        var blocks: [[Int?]] = []
        var position = 0
        while position < blockEntries.count {
            let block = blocks.count
            if blockEntries[position].block != block {
                throw DeiTError(.format, "missing tensor 'blocks.\(block).\(firstName)': block \(block) is absent but block \(depth - 1) exists (block indices must run from 0 without gaps)")
            }
            var row = [Int?](repeating: nil, count: schema.block.count)
            while position < blockEntries.count, blockEntries[position].block == block {
                let slot = blockEntries[position].slot
                if row[slot] != nil {  // a name and its alias (e.g. ls1.gamma and gamma_1)
                    throw DeiTError(.format, "duplicate tensor 'blocks.\(block).\(schema.block[slot].name)' (present under two names)")
                }
                row[slot] = blockEntries[position].index
                position += 1
            }
            for (slot, spec) in schema.block.enumerated() where spec.presence == .required && row[slot] == nil {
                throw DeiTError(.format, "missing tensor 'blocks.\(block).\(spec.name)'")
            }
            blocks.append(row)
        }
        for (slot, spec) in schema.top.enumerated() where spec.presence == .required && top[slot] == nil {
            throw DeiTError(.format, "missing tensor '\(spec.name)'")
        }
        // The heads, named as damage before any shape is read: head.bias needs head.weight (and the
        // reverse); with a head, dist_token and head_dist.* need each other. Without head.* the model
        // is headless (timm num_classes=0), its head_dist an Identity too.
        func present(_ name: StaticString) -> Bool? {
            schema.top.firstIndex { staticStringEquals($0.name, "\(name)".utf8) }.map { top[$0] != nil }
        }
        if let weight = present("head.weight"), let bias = present("head.bias"), weight != bias {
            throw DeiTError(.format, weight ? "missing tensor 'head.bias'" : "missing tensor 'head.weight' (the file has 'head.bias')")
        }
        if let dist = present("dist_token"), let headDist = present("head_dist.weight"), let head = present("head.weight") {
            if dist && head && !headDist {
                throw DeiTError(.format, "missing tensor 'head_dist.weight' (required because the file has 'dist_token' and 'head.weight')")
            }
            if !dist && headDist {
                throw DeiTError(.format, "unexpected tensor 'head_dist.weight' (only allowed together with 'dist_token')")
            }
        }
        // Features: the first slot of each decides; the others follow it (in every block too).
        for (slot, spec) in schema.top.enumerated() {
            guard case .feature(let feature) = spec.presence,
                  let decider = schema.top.firstIndex(where: { $0.presence == .feature(feature) }), decider != slot else {
                continue
            }
            try CheckpointTable.checkFeature(name: "\(spec.name)", present: top[slot] != nil,
                                             decidedBy: schema.top[decider].name, on: top[decider] != nil)
        }
        for (block, row) in blocks.enumerated() {
            for (slot, spec) in schema.block.enumerated() {
                guard case .feature(let feature) = spec.presence else { continue }
                let decider = schema.top.firstIndex { $0.presence == .feature(feature) }
                try CheckpointTable.checkFeature(name: "blocks.\(block).\(spec.name)", present: row[slot] != nil,
                                                 decidedBy: decider.map { schema.top[$0].name } ?? "",
                                                 on: decider.map { top[$0] != nil } ?? false)
            }
        }
        self.top = top
        self.blocks = blocks
    }

    /// Every `.configured` slot is present exactly when `config` has its feature (in every block).
    func checkConfigured(in schema: CheckpointSchema, _ config: ModelConfig) throws(DeiTError) {
        func check(_ name: String, _ spec: CheckpointSlot, present: Bool) throws(DeiTError) {
            guard case .configured(let feature) = spec.presence else { return }
            let wanted = feature.isPresent(in: config)
            if wanted && !present { throw DeiTError(.format, "missing tensor '\(name)'") }
            if !wanted && present { throw DeiTError(.format, "unexpected tensor '\(name)'") }
        }
        for (slot, spec) in schema.top.enumerated() {
            try check("\(spec.name)", spec, present: top[slot] != nil)
        }
        for (block, row) in blocks.enumerated() {
            for (slot, spec) in schema.block.enumerated() {
                try check("blocks.\(block).\(spec.name)", spec, present: row[slot] != nil)
            }
        }
    }

    /// A feature's tensor must be present exactly when the feature's deciding tensor is.
    private static func checkFeature(name: String, present: Bool, decidedBy decider: StaticString, on: Bool) throws(DeiTError) {
        if on && !present {
            throw DeiTError(.format, "missing tensor '\(name)' (required because the file has '\(decider)')")
        }
        if !on && present {
            throw DeiTError(.format, "unexpected tensor '\(name)' (only allowed together with '\(decider)')")
        }
    }

    /// (block index, block slot) for "blocks.<i>.<suffix>", nil if the name has another form.
    /// The index is read digit by digit and stops at `limits.maxDepth`, so huge indices cannot
    /// overflow.
    static func blockSlot(of name: String, schema: CheckpointSchema, limits: LoadLimits) throws(DeiTError) -> (Int, Int)? {
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
        guard let slot = schema.block.firstIndex(where: { spec in
            staticStringEquals(spec.name, suffix) || spec.alias.map { staticStringEquals($0, suffix) } == true
        }) else { return nil }

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

/// The timm option a tensor outside the schema belongs to, when it is a known one this runtime does
/// not implement (the message's subject: "… not supported yet"); nil for names nobody writes.
private func unsupportedFeature(named name: String) -> String? {
    let bytes = Array(name.utf8)
    func starts(_ prefix: StaticString, at start: Int = 0) -> Bool {
        let count = prefix.utf8CodeUnitCount
        return bytes.count >= start + count && staticStringEquals(prefix, bytes[start..<(start + count)])
    }
    if starts("attn_pool.") { return "attention pooling (attn_pool, timm global_pool='map') is" }
    if starts("patch_embed.norm.") { return "a LayerNorm in the patch embedding (patch_embed.norm) is" }
    if starts("head.fc.") || starts("head.norm.") { return "a multi-layer head is" }
    // "blocks.<digits>.<suffix>"
    guard starts("blocks.") else { return nil }
    var position = 7
    while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") { position += 1 }
    guard position > 7, position < bytes.count, bytes[position] == UInt8(ascii: ".") else { return nil }
    let start = position + 1
    if starts("attn.norm.", at: start) { return "a LayerNorm inside attention (attn.norm, timm scale_attn_norm=True) is" }
    if starts("mlp.norm.", at: start) { return "a LayerNorm inside the MLP (mlp.norm, timm scale_mlp_norm=True) is" }
    if starts("mlp.fc1_g.", at: start) || starts("mlp.fc1_x.", at: start) || starts("mlp.w12.", at: start) {
        return "a gated MLP (SwiGLU, timm mlp_layer=SwiGLU) is"
    }
    if starts("attn.q_bias", at: start) || starts("attn.v_bias", at: start) || starts("attn.q_proj.", at: start)
        || starts("attn.k_proj.", at: start) || starts("attn.v_proj.", at: start) {
        return "separate q/k/v projections or biases (BEiT/EVA-style attention) are"
    }
    return nil
}

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

/// Exact shape, then a dtype the runtime converts: I8 when `int8` (a block's Linear weight in an int8
/// file), I8 or F32/F16/BF16 when `int8Allowed` (an int8 file's heads), else
/// F32/F16/BF16 (an I8 tensor elsewhere in an int8 file is damage: `.format`).
private func checkTensor(_ tensor: TensorInfo, expected: [Int], int8: Bool = false, int8File: Bool = false,
                         int8Allowed: Bool = false) throws(DeiTError) {
    if !tensor.shape.elementsEqual(expected) {
        throw shapeError(tensor, expected: describeShape(expected))
    }
    if int8Allowed && tensor.dtype == .i8 { return }   // an int8 file's head
    if int8 {
        if tensor.dtype != .i8 {
            throw DeiTError(.format, "tensor \(quotedName(tensor.name)) has dtype \(tensor.dtype.name); an int8 file ('\(StoredInt8.precisionKey)' 'int8') stores the blocks' Linear weights as I8")
        }
        return
    }
    if int8File && tensor.dtype == .i8 {
        throw DeiTError(.format, "tensor \(quotedName(tensor.name)) has dtype I8; in an int8 file only the Linear weights (the blocks' qkv, proj, fc1, fc2, the heads) are I8, this tensor must be F32, F16 or BF16")
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

extension GlobalPool {
    /// The described `global_pool` (metadata ▸ config.json ▸ architecture table), or `fallback`
    /// (timm's rule: average when the model has fc_norm) when no source names one.
    static func from(_ pool: Described<Pooling>?, default fallback: GlobalPool) throws(DeiTError) -> GlobalPool {
        guard let pool else { return fallback }
        switch pool.value {
        case .token: return .token
        case .avg: return .average
        case .max: return .max
        case .avgmax: return .averageMax
        case .map, .none:
            throw DeiTError(.unsupported, "global_pool '\(pool.value.name)' (from \(pool.source.name)) is not supported (deit runs \"token\", \"avg\", \"max\" and \"avgmax\")")
        }
    }
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
