/// A loaded DeiT / ViT classifier: its configuration and its packed weights. Immutable after
/// `init`, so one model may be shared by sessions on any number of threads.
public final class Model: @unchecked Sendable {
    public let config: ModelConfig
    let weights: PackedWeights

    /// Loads a checkpoint from safetensors bytes (validated completely; the bytes may be released
    /// afterwards: the weights are converted and packed into the model's own allocation).
    /// (`limits.maxFileBytes` is checked with the container, `SafetensorsFile.headerLength`.)
    public init(bytes: UnsafeRawBufferPointer, limits: LoadLimits = .default) throws(DeiTError) {
        let checkpoint = try Checkpoint(bytes: bytes, limits: limits)
        config = checkpoint.config
        weights = try PackedWeights(checkpoint: checkpoint, source: .memory(bytes))
    }

    /// Loads a checkpoint from a file: the header is read and validated first, then each tensor is
    /// read and packed in turn, so the whole file is never held in memory.
    public static func load(path: UnsafePointer<CChar>, limits: LoadLimits = .default) throws(DeiTError) -> Model {
        let file = try ModelFile(path: path, limits: limits)
        let weights = try PackedWeights(checkpoint: file.checkpoint, source: .file(file))
        file.releaseStaging()
        return Model(config: file.checkpoint.config, weights: weights)
    }

    private init(config: ModelConfig, weights: PackedWeights) {
        self.config = config
        self.weights = weights
    }

    /// Bytes of the packed weight allocation.
    public var weightBytes: Int { weights.byteCount }

    /// Parameters in the checkpoint.
    public var parameterCount: Int { config.parameterCount }
}
