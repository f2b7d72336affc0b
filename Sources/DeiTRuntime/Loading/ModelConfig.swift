/// The architecture of a DeiT / ViT classifier, derived entirely from a checkpoint's tensor shapes
/// (see `ModelConfig.init(header:)` in CheckpointSchema.swift).
public struct ModelConfig: Equatable, Sendable {
    /// Input side S (square images, S×S pixels) the model runs at: as trained, or another multiple of
    /// the patch size (`running(atImageSize:)`, pos_embed resampled at load).
    public var imageSize: Int
    /// Patches per side of the checkpoint's `pos_embed` (the grid it was trained at).
    public var trainedGridSize: Int
    /// Patch side P (S is a multiple of P).
    public var patchSize: Int
    /// Input channels (3 for RGB).
    public var inChannels: Int
    /// Token width D.
    public var embedDim: Int
    /// Number of transformer blocks.
    public var depth: Int
    /// Attention heads; D is a multiple of it.
    public var numHeads: Int
    /// Hidden width of the MLP (fc1 outputs), 4·D for DeiT.
    public var mlpHiddenDim: Int
    /// Classifier outputs C; 0 for a headless model (timm `num_classes=0`: no `head`, the output is
    /// the pooled features).
    public var numClasses: Int
    /// True when the model has a distillation token and a second head (`dist_token`, `head_dist`).
    public var distilled: Bool
    /// LayerScale (DeiT III, timm `init_values`): `ls1.gamma`, `ls2.gamma` in every block, folded into
    /// proj and fc2 at load.
    public var layerScale: Bool = false
    /// The qkv Linear has a bias (timm `qkv_bias`, default true); without one it runs with zeros.
    public var qkvBias: Bool = true
    /// The final LayerNorm is `fc_norm`, applied after pooling (MAE/BEiT), instead of `norm` before it.
    public var fcNorm: Bool = false
    /// What reaches the head: the class token, or the mean of the patch tokens (timm `global_pool`).
    public var globalPool: GlobalPool = .token
    /// `pos_embed` covers the patches only and the class token gets none (DeiT III, timm
    /// `no_embed_class`).
    public var noEmbedClass: Bool = false
    /// The model has a class token (`cls_token`; timm `class_token=False` models pool the patches).
    public var classToken: Bool = true
    /// Register tokens after the class [and distillation] token (`reg_token` [1, R, D], timm
    /// `reg_tokens`): they take part in attention and are left out of pooling.
    public var regTokens: Int = 0
    /// LayerNorm over head_dim on every head's q and k before the scores (timm `qk_norm`).
    public var qkNorm: Bool = false
    /// A LayerNorm on the tokens after the position embedding, before block 0 (`norm_pre`, timm
    /// `pre_norm`, CLIP).
    public var preNorm: Bool = false
    /// Epsilon of every LayerNorm (timm's ViT: 1e-6; CLIP's `nn.LayerNorm`: 1e-5), from the description.
    public var layerNormEpsilon: Float = 1e-6
    /// The MLP's activation (timm `act_layer`), from the description.
    public var activation: Activation = .gelu
    /// CaiT (timm `Cait`): talking-heads attention in the patch blocks, which run on the patch tokens
    /// alone, then class-attention blocks that update the class token only; nil for a ViT.
    public var cait: CaiTConfig? = nil

    public init(imageSize: Int, patchSize: Int, inChannels: Int = 3, embedDim: Int, depth: Int,
                numHeads: Int, mlpHiddenDim: Int, numClasses: Int, distilled: Bool, trainedGridSize: Int? = nil) {
        self.imageSize = imageSize
        self.trainedGridSize = trainedGridSize ?? imageSize / patchSize
        self.patchSize = patchSize
        self.inChannels = inChannels
        self.embedDim = embedDim
        self.depth = depth
        self.numHeads = numHeads
        self.mlpHiddenDim = mlpHiddenDim
        self.numClasses = numClasses
        self.distilled = distilled
    }

    /// Prefix tokens `pos_embed` covers: all of them, or none when `noEmbedClass`.
    public var posEmbedPrefixTokens: Int { noEmbedClass ? 0 : numPrefixTokens }
    /// Rows of `pos_embed` at the run size: T, or the patches alone when `noEmbedClass`.
    public var posEmbedTokens: Int { posEmbedPrefixTokens + numPatches }
    /// Rows of the checkpoint's `pos_embed`, at the trained grid (resampled to `posEmbedTokens` at load).
    public var trainedPosEmbedTokens: Int { posEmbedPrefixTokens + trainedGridSize * trainedGridSize }

    /// Patches per side, S/P.
    public var gridSize: Int { imageSize / patchSize }
    /// (S/P)².
    public var numPatches: Int { gridSize * gridSize }
    /// The tokens before the patches, in timm's order: class token, distillation token, registers.
    public var numPrefixTokens: Int { (classToken ? 1 : 0) + (distilled ? 1 : 0) + regTokens }
    /// Sequence length T = prefix tokens + patches (197 for DeiT-Ti at 224, 198 distilled).
    public var numTokens: Int { numPrefixTokens + numPatches }
    /// Width of one head, D / heads.
    public var headDim: Int { embedDim / numHeads }
    /// Whether the model has a classifier head (C ≥ 1); headless models output their features.
    public var hasHead: Bool { numClasses > 0 }
    /// Width of the pooled features (timm `forward_head(pre_logits=True)`): D.
    public var featureDim: Int { embedDim }
    /// Floats a forward pass outputs (what timm's `forward` returns): C, or D when headless.
    public var outputDim: Int { hasHead ? numClasses : featureDim }
    /// Floats in one input image, 3·S·S.
    public var inputCount: Int { inChannels * imageSize * imageSize }
    /// Values in one flattened patch, 3·P·P (the patch-embedding GEMM's K).
    public var patchValues: Int { inChannels * patchSize * patchSize }

    /// The patch-embedding convolution has a bias: timm's VisionTransformer builds it with
    /// `bias=not pre_norm`, so exactly the models without norm_pre.
    public var patchEmbedBias: Bool { !preNorm }

    /// Parameters in a checkpoint of this architecture.
    public var parameterCount: Int {
        let d = embedDim, h = mlpHiddenDim
        let tokens = numPrefixTokens * d + trainedPosEmbedTokens * d
        let patchEmbed = d * patchValues + (patchEmbedBias ? d : 0)
        let block = 2 * (2 * d)            // norm1, norm2
            + (qkNorm ? 4 * headDim : 0)   // q_norm, k_norm
            + (3 * d * d + (qkvBias ? 3 * d : 0))   // qkv
            + (d * d + d)                  // proj
            + (h * d + h) + (d * h + d)    // fc1, fc2
            + (layerScale ? 2 * d : 0)     // ls1, ls2
        let heads = (distilled ? 2 : 1) * (numClasses * d + numClasses)
        return patchEmbed + tokens + depth * block + 2 * d + (preNorm ? 2 * d : 0) + heads + (cait?.parameterCount(self) ?? 0)
    }
}

/// timm's `global_pool` for a classifier: what the head reads (`global_pool_nlc`).
public enum GlobalPool: Equatable, Sendable {
    /// The class token (timm "token"; the distillation token too for distilled models).
    case token
    /// The mean of the patch tokens, prefix tokens excluded (timm "avg").
    case average
    /// The per-channel maximum of the patch tokens, prefix tokens excluded (timm "max").
    case max
    /// (max + mean) / 2 of the patch tokens, prefix tokens excluded (timm "avgmax").
    case averageMax
}

/// timm's `act_layer` of the MLP.
public enum Activation: Equatable, Sendable {
    /// Exact (erf) GELU, timm's default; fused into the fc1 GEMM.
    case gelu
    /// `x · sigmoid(1.702·x)` (OpenAI CLIP, timm `quick_gelu`); a separate pass after fc1.
    case quickGELU
}

/// What a CaiT adds to the ViT-shaped part of `ModelConfig` (whose `depth` counts the patch blocks,
/// `noEmbedClass` is true and `layerScale` true): per patch block the talking-heads mixes
/// (`attn.proj_l`, `attn.proj_w`, each Linear(heads ← heads)), and the class-attention blocks
/// (`blocks_token_only.j`: LN, separate q/k/v Linear layers, proj, LN, MLP, LayerScale γ).
public struct CaiTConfig: Equatable, Sendable {
    /// Class-attention blocks (timm `depth_token_only`, 2 in every pretrained CaiT).
    public var classAttentionDepth: Int
    /// Hidden width of a class-attention block's MLP (timm `mlp_ratio_token_only`·D).
    public var classAttentionHiddenDim: Int

    public init(classAttentionDepth: Int, classAttentionHiddenDim: Int) {
        self.classAttentionDepth = classAttentionDepth
        self.classAttentionHiddenDim = classAttentionHiddenDim
    }

    /// Parameters beyond the ViT-shaped part: the mixes of every patch block and the class blocks.
    func parameterCount(_ config: ModelConfig) -> Int {
        let d = config.embedDim, heads = config.numHeads, h = classAttentionHiddenDim
        let mixes = 2 * (heads * heads + heads)
        let classBlock = 2 * (2 * d)                         // norm1, norm2
            + 3 * (d * d + (config.qkvBias ? d : 0))         // q, k, v
            + (d * d + d)                                    // proj
            + (h * d + h) + (d * h + d)                      // fc1, fc2
            + 2 * d                                          // gamma_1, gamma_2
        return config.depth * mixes + classAttentionDepth * classBlock
    }
}
