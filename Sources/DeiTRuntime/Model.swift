import CDeiTSupport

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
        var data: UnsafeMutableRawPointer?
        var size = 0
        var errorNumber: Int32 = 0
        let result = deit_support_read_file(path, limits.maxFileBytes, &data, &size, &errorNumber)
        defer { deit_support_free(data) }
        switch result {
        case DEIT_SUPPORT_READ_OK:
            guard let data else { throw DeiTError(.io, "could not read '\(String(cString: path))'") }
            return try Model(bytes: UnsafeRawBufferPointer(start: data, count: size), limits: limits)
        case DEIT_SUPPORT_READ_TOO_LARGE:
            throw DeiTError(.outOfMemory,
                            "'\(String(cString: path))' is \(size) bytes, above the limit of \(limits.maxFileBytes) bytes")
        case DEIT_SUPPORT_READ_OUT_OF_MEMORY:
            throw DeiTError(.outOfMemory, "could not allocate \(size) bytes to read '\(String(cString: path))'")
        case DEIT_SUPPORT_READ_OPEN_FAILED:
            throw DeiTError(.io, "cannot open '\(String(cString: path))' (errno \(errorNumber))")
        default:
            throw DeiTError(.io, "cannot read '\(String(cString: path))' (errno \(errorNumber))")
        }
    }

    /// Bytes of the packed weight allocation.
    public var weightBytes: Int { weights.byteCount }

    /// Parameters in the checkpoint.
    public var parameterCount: Int { config.parameterCount }
}
