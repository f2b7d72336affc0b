import DeiTKernelTable

/// A loaded DeiT / ViT classifier: its configuration and its packed weights. Immutable after
/// `init`, so one model may be shared by sessions on any number of threads.
public final class Model: @unchecked Sendable {
    public let config: ModelConfig
    /// What timm's metadata, config.json and architecture table say about the model, with sources.
    public let modelDescription: ModelDescription
    /// The eval transform's parameters (the description's pretrained_cfg, else deit's defaults).
    public let preprocessing: Preprocessing
    let weights: PackedWeights

    /// Loads a checkpoint from safetensors bytes (validated completely; the bytes may be released
    /// afterwards: the weights are converted and packed into the model's own allocation).
    /// (`limits.maxFileBytes` is checked with the container, `SafetensorsFile.headerLength`.)
    /// `imageSize` (0: as trained) runs the model at another side, a multiple of the patch size:
    /// `pos_embed` is resampled once here as timm's `resample_abs_pos_embed` does (bicubic,
    /// antialiased, prefix tokens kept); see `ModelConfig.running(atImageSize:limits:)` for the errors.
    /// `configJSON`: the bytes of the model's timm config.json, if the caller has it (files loaded
    /// with `load(path:)` read the config.json beside them).
    /// `precision`: `.int8` quantises the blocks' Linear layers here, from the checkpoint's floats;
    /// nil (the default): the file's precision (int8 for a file written by `deit-cli quantize`, else
    /// f32). `.f32` on an int8 file is `.unsupported` (`PrecisionSource.resolve`).
    public init(bytes: UnsafeRawBufferPointer, limits: LoadLimits = .default, imageSize: Int = 0,
                configJSON: UnsafeRawBufferPointer? = nil, precision: Precision? = nil) throws(DeiTError) {
        let checkpoint = try Checkpoint(bytes: bytes, limits: limits, configJSON: configJSON)
            .running(atImageSize: imageSize, limits: limits)
        let (resolved, source) = try PrecisionSource.resolve(requested: precision, stored: checkpoint.storedPrecision)
        config = checkpoint.config
        modelDescription = checkpoint.description
        preprocessing = Preprocessing(description: checkpoint.description, imageSize: checkpoint.config.imageSize)
        weights = try PackedWeights(checkpoint: checkpoint, source: .memory(bytes), precision: resolved)
        precisionSource = source
    }

    /// Loads a checkpoint from a file: the header is read and validated first, then each tensor is
    /// read and packed in turn, so the whole file is never held in memory. `imageSize` as for
    /// `init(bytes:limits:imageSize:)`; `precision` as there. `configJSON`, when given, is used
    /// instead of the config.json beside the file.
    public static func load(path: UnsafePointer<CChar>, limits: LoadLimits = .default, imageSize: Int = 0,
                            configJSON: UnsafeRawBufferPointer? = nil, precision: Precision? = nil) throws(DeiTError) -> Model {
        let file = try ModelFile(path: path, limits: limits, configJSON: configJSON)
        let checkpoint = try file.checkpoint.running(atImageSize: imageSize, limits: limits)
        let (resolved, source) = try PrecisionSource.resolve(requested: precision, stored: checkpoint.storedPrecision)
        let weights = try PackedWeights(checkpoint: checkpoint, source: .file(file), precision: resolved)
        file.releaseStaging()
        return Model(config: checkpoint.config, description: checkpoint.description, weights: weights, precisionSource: source)
    }

    private init(config: ModelConfig, description: ModelDescription, weights: PackedWeights, precisionSource: PrecisionSource) {
        self.precisionSource = precisionSource
        self.config = config
        self.modelDescription = description
        self.preprocessing = Preprocessing(description: description, imageSize: config.imageSize)
        self.weights = weights
    }

    /// The precision the model runs at (chosen at load).
    public var precision: Precision { weights.precision }

    /// Where `precision` came from: the load option, the file (an int8 file), or the default (f32).
    public let precisionSource: PrecisionSource

    /// Whether a session with `kernels` computes the blocks' attention products on 16-bit integers:
    /// at int8, on the sets that say it pays (`KernelTable.int16Attention`), for heads and token counts
    /// whose integer sums cannot wrap (`ActivationPlan.int16AttentionAllowed`).
    public func attentionOn16Bits(kernels: KernelTable) -> Bool {
        kernels.int16Attention && ActivationPlan.int16AttentionAllowed(config: config, precision: precision)
    }

    /// Bytes of the packed weight allocation.
    public var weightBytes: Int { weights.byteCount }

    /// Parameters in the checkpoint.
    public var parameterCount: Int { config.parameterCount }
}
