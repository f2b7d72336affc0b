import CDeiTSupport

/// Reading a whole file through the C shim (Embedded Swift has no file API), with one mapping of
/// its failures to statuses and messages that name the file.
enum FileContents {
    /// Calls `body` with the bytes of the file at `path` (at most `maxBytes`, else `.outOfMemory`
    /// naming `limitName`); the bytes are freed when `body` returns.
    static func withBytes<Result>(
        of path: UnsafePointer<CChar>, maxBytes: Int, limitName: String,
        _ body: (UnsafeRawBufferPointer) throws(DeiTError) -> Result
    ) throws(DeiTError) -> Result {
        try read(path, maxBytes: maxBytes, limitName: limitName, missingIsNil: false) { bytes throws(DeiTError) in
            guard let bytes else { throw DeiTError(.io, "could not read '\(String(cString: path))'") }
            return try body(bytes)
        }
    }

    /// As `withBytes`, but a file that does not exist (ENOENT) calls `body` with nil.
    static func withBytesIfPresent<Result>(
        of path: UnsafePointer<CChar>, maxBytes: Int, limitName: String,
        _ body: (UnsafeRawBufferPointer?) throws(DeiTError) -> Result
    ) throws(DeiTError) -> Result {
        try read(path, maxBytes: maxBytes, limitName: limitName, missingIsNil: true, body)
    }

    /// One read through the shim and one mapping of its failures (nil to `body` only for a missing
    /// file when `missingIsNil`).
    private static func read<Result>(
        _ path: UnsafePointer<CChar>, maxBytes: Int, limitName: String, missingIsNil: Bool,
        _ body: (UnsafeRawBufferPointer?) throws(DeiTError) -> Result
    ) throws(DeiTError) -> Result {
        var data: UnsafeMutableRawPointer?
        var size = 0
        var errorNumber: Int32 = 0
        let result = deit_support_read_file(path, maxBytes, &data, &size, &errorNumber)
        defer { deit_support_free(data) }
        switch result {
        case DEIT_SUPPORT_READ_OK:
            guard let data else { throw DeiTError(.io, "could not read '\(String(cString: path))'") }
            return try body(UnsafeRawBufferPointer(start: data, count: size))
        case DEIT_SUPPORT_READ_TOO_LARGE:
            throw DeiTError(.outOfMemory, "'\(String(cString: path))' is \(size) bytes, above \(limitName) of \(maxBytes) bytes")
        case DEIT_SUPPORT_READ_OUT_OF_MEMORY:
            throw DeiTError(.outOfMemory, "could not allocate \(size) bytes to read '\(String(cString: path))'")
        case DEIT_SUPPORT_READ_OPEN_FAILED where missingIsNil && errorNumber == 2:   // ENOENT (Linux, Darwin)
            return try body(nil)
        case DEIT_SUPPORT_READ_OPEN_FAILED:
            throw DeiTError(.io, "cannot open '\(String(cString: path))' (errno \(errorNumber))")
        default:
            throw DeiTError(.io, "cannot read '\(String(cString: path))' (errno \(errorNumber))")
        }
    }
}
