/// The architecture of a DeiT / ViT classifier, derived entirely from a checkpoint's tensor shapes
/// (see `ModelConfig.init(header:)` in CheckpointSchema.swift).
public struct ModelConfig: Equatable, Sendable {
    /// Input side S (square images, S×S pixels).
    public var imageSize: Int
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
    /// Classifier outputs C.
    public var numClasses: Int
    /// True when the model has a distillation token and a second head (`dist_token`, `head_dist`).
    public var distilled: Bool
    /// timm's `global_pool` from the model description (`.token` when none says otherwise).
    public var pooling: Pooling = .token

    public init(imageSize: Int, patchSize: Int, inChannels: Int = 3, embedDim: Int, depth: Int,
                numHeads: Int, mlpHiddenDim: Int, numClasses: Int, distilled: Bool) {
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.inChannels = inChannels
        self.embedDim = embedDim
        self.depth = depth
        self.numHeads = numHeads
        self.mlpHiddenDim = mlpHiddenDim
        self.numClasses = numClasses
        self.distilled = distilled
    }

    /// Patches per side, S/P.
    public var gridSize: Int { imageSize / patchSize }
    /// (S/P)².
    public var numPatches: Int { gridSize * gridSize }
    /// Class token, plus distillation token when distilled.
    public var numPrefixTokens: Int { distilled ? 2 : 1 }
    /// Sequence length T = prefix tokens + patches (197 for DeiT-Ti at 224, 198 distilled).
    public var numTokens: Int { numPrefixTokens + numPatches }
    /// Width of one head, D / heads.
    public var headDim: Int { embedDim / numHeads }
    /// Floats in one input image, 3·S·S.
    public var inputCount: Int { inChannels * imageSize * imageSize }
    /// Values in one flattened patch, 3·P·P (the patch-embedding GEMM's K).
    public var patchValues: Int { inChannels * patchSize * patchSize }

    /// Parameters in a checkpoint of this architecture.
    public var parameterCount: Int {
        let d = embedDim, h = mlpHiddenDim
        let patchEmbed = d * patchValues + d
        let tokens = numPrefixTokens * d + numTokens * d
        let block = 2 * (2 * d)            // norm1, norm2
            + (3 * d * d + 3 * d)          // qkv
            + (d * d + d)                  // proj
            + (h * d + h) + (d * h + d)    // fc1, fc2
        let heads = (distilled ? 2 : 1) * (numClasses * d + numClasses)
        return patchEmbed + tokens + depth * block + 2 * d + heads
    }
}
