/// A loaded DeiT / ViT classifier: its configuration and its packed weights. Immutable after
/// `init`, so one model may be shared by sessions on any number of threads.
public final class Model: @unchecked Sendable {
    public let config: ModelConfig
    let weights: PackedWeights

    /// Loads a checkpoint from safetensors bytes (validated completely; the bytes may be released
    /// afterwards: the weights are converted and packed into the model's own allocation).
    public init(bytes: UnsafeRawBufferPointer, limits: LoadLimits = .default) throws(DeiTError) {
        guard bytes.count <= limits.maxFileBytes else {
            throw DeiTError(.outOfMemory, "model is \(bytes.count) bytes, above the limit of \(limits.maxFileBytes) bytes")
        }
        let checkpoint = try Checkpoint(bytes: bytes, limits: limits)
        config = checkpoint.config
        weights = try PackedWeights(checkpoint: checkpoint, bytes: bytes)
    }

    /// Loads a checkpoint from a file (read whole, then as `init(bytes:)`).
    public static func load(path: UnsafePointer<CChar>, limits: LoadLimits = .default) throws(DeiTError) -> Model {
        try FileContents.withBytes(of: path, maxBytes: limits.maxFileBytes, limitName: "the limit") { bytes throws(DeiTError) in
            try Model(bytes: bytes, limits: limits)
        }
    }

    /// Bytes of the packed weight allocation.
    public var weightBytes: Int { weights.byteCount }

    /// Parameters in the checkpoint.
    public var parameterCount: Int { config.parameterCount }
}
