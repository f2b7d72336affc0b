import CDeiTSupport

/// Where packing reads tensor data from: a whole file already in memory (the caller's buffer), or
/// an open file read one tensor at a time. Loading from a path uses the second, so the file and
/// the packed weights are never in memory together: the peak is the packed weights plus the
/// largest tensor.
enum TensorSource {
    case memory(UnsafeRawBufferPointer)
    case file(ModelFile)

    /// Converts `tensor` (F32/F16/BF16) to Float32 into `destination` (`elementCount` floats).
    func readFloats(_ tensor: TensorInfo, into destination: UnsafeMutablePointer<Float>) throws(DeiTError) {
        switch self {
        case .memory(let bytes):
            try tensor.readFloats(from: bytes, into: destination)
        case .file(let file):
            try tensor.readFloats(tensorBytes: try file.bytes(of: tensor), into: destination)
        }
    }

    /// The raw bytes of `tensor` (`byteRange.count` of them): in the caller's buffer, or read into the
    /// file's staging buffer (valid until the next read).
    func bytes(of tensor: TensorInfo) throws(DeiTError) -> UnsafeRawBufferPointer {
        switch self {
        case .memory(let bytes):
            guard tensor.byteRange.lowerBound >= 0, tensor.byteRange.upperBound <= bytes.count else {
                throw DeiTError(.invalidArgument, "tensor \(quotedName(tensor.name)): bytes \(tensor.byteRange.lowerBound)..<\(tensor.byteRange.upperBound) are not inside the \(bytes.count)-byte buffer given")
            }
            return UnsafeRawBufferPointer(rebasing: bytes[tensor.byteRange])
        case .file(let file):
            return try file.bytes(of: tensor)
        }
    }
}

/// A safetensors file opened for loading: its validated header in memory, tensor data read on
/// demand with positioned reads into one staging buffer. Reads, not a memory mapping: a file
/// truncated while it loads then fails with `.io` instead of killing the process with SIGBUS.
final class ModelFile {
    let path: String
    let checkpoint: Checkpoint
    private let handle: OpaquePointer             // deit_support_file
    private var staging: AlignedBuffer?           // (largest tensor's bytes), allocated on first use

    /// Opens `path`, reads and validates its header and schema (the data is not read yet), with
    /// `configJSON` as its timm config.json, else the config.json beside the file if there is one.
    init(path cPath: UnsafePointer<CChar>, limits: LoadLimits, configJSON: UnsafeRawBufferPointer? = nil) throws(DeiTError) {
        let path = String(cString: cPath)
        var size: UInt64 = 0
        var errorNumber: Int32 = 0
        guard let handle = deit_support_file_open(cPath, &size, &errorNumber) else {
            throw DeiTError(.io, "cannot open '\(path)' (errno \(errorNumber))")
        }
        self.path = path
        self.handle = handle
        do throws(DeiTError) {
            // The size limit (`maxFileBytes`) is checked by `headerLength`, before more than the first
            // 8 bytes are read. fstat sizes fit in an Int; clamping keeps an absurd one refused.
            let fileSize = Int(clamping: size)
            let length = try Self.read(handle, path, count: min(fileSize, 8))   // the u64 header length
            let headerLength = try SafetensorsFile.headerLength(
                prefix: UnsafeRawBufferPointer(start: length.raw, count: length.byteCount), fileSize: fileSize, limits: limits)
            let prefix = try Self.read(handle, path, count: 8 + headerLength)    // length + JSON header
            let file = try SafetensorsFile.parse(
                prefix: UnsafeRawBufferPointer(start: prefix.raw, count: prefix.byteCount), fileSize: fileSize, limits: limits)
            if let configJSON {
                checkpoint = try Checkpoint(file: file, limits: limits, configJSON: configJSON)
            } else {
                checkpoint = try ConfigJSONFile.withBytes(besideModel: path, limits: limits) { config throws(DeiTError) in
                    try Checkpoint(file: file, limits: limits, configJSON: config)
                }
            }
        } catch {
            deit_support_file_close(handle)
            throw error
        }
    }

    deinit { deit_support_file_close(handle) }

    /// The bytes of `tensor`, read into the staging buffer (valid until the next call).
    func bytes(of tensor: TensorInfo) throws(DeiTError) -> UnsafeRawBufferPointer {
        let count = tensor.byteRange.count
        if staging == nil {
            var largest = 0
            for entry in checkpoint.file.tensors { largest = max(largest, entry.byteRange.count) }
            staging = try AlignedBuffer(byteCount: largest, purpose: "tensor staging")
        }
        guard let staging, count <= staging.byteCount else {
            throw DeiTError(.invalidArgument, "tensor \(quotedName(tensor.name)) is not in '\(path)'")
        }
        let destination = staging.raw
        let status = deit_support_file_read_at(handle, UInt64(tensor.byteRange.lowerBound), destination, count)
        guard status == 0 else {
            throw DeiTError(.io, "cannot read tensor \(quotedName(tensor.name)) from '\(path)' (errno \(status); was the file changed while loading?)")
        }
        return UnsafeRawBufferPointer(start: destination, count: count)
    }

    /// Frees the staging buffer once packing is done.
    func releaseStaging() { staging = nil }

    /// The file's first `count` bytes in a new buffer.
    private static func read(_ handle: OpaquePointer, _ path: String, count: Int) throws(DeiTError) -> AlignedBuffer {
        let buffer = try AlignedBuffer(byteCount: count, purpose: "safetensors header")
        let status = deit_support_file_read_at(handle, 0, buffer.raw, count)
        guard status == 0 else { throw DeiTError(.io, "cannot read '\(path)' (errno \(status))") }
        return buffer
    }
}
