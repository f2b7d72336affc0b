/// Finding and reading the timm `config.json` beside a model file (the Hugging Face hub layout:
/// `model.safetensors` and `config.json` in one directory), through the C shim.
enum ConfigJSONFile {
    /// Calls `body` with the bytes of the `config.json` in the directory of `modelPath`, or nil
    /// when there is none. Larger than `limits.maxConfigBytes` is `.outOfMemory`; unreadable `.io`.
    static func withBytes<Result>(besideModel modelPath: String, limits: LoadLimits,
                                  _ body: (UnsafeRawBufferPointer?) throws(DeiTError) -> Result) throws(DeiTError) -> Result {
        var path = Array(modelPath.utf8)
        while let last = path.last, last != UInt8(ascii: "/") { path.removeLast() }
        path.append(contentsOf: "config.json".utf8)
        path.append(0)
        return try path.withUnsafeBufferPointer { buffer throws(DeiTError) in
            guard let base = buffer.baseAddress else { return try body(nil) }
            return try base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { cPath throws(DeiTError) in
                try FileContents.withBytesIfPresent(of: cPath, maxBytes: limits.maxConfigBytes,
                                                    limitName: "the maxConfigBytes limit", body)
            }
        }
    }
}
