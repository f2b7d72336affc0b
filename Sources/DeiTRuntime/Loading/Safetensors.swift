/// Reading and completely validating a safetensors file (huggingface/safetensors format):
/// an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// `{name: {dtype, shape, data_offsets: [begin, end)}, "__metadata__": {string: string}}`,
/// then the data buffer that the tensors must tile exactly.
///
/// Every rule of the reference implementation is enforced, plus the ones third-party parsers
/// missed (checked shape products, no negative/reversed offsets, zero-size tensors only at tile
/// boundaries). Nothing is allocated from an untrusted number before it is checked against the
/// file size. See Tests/Fixtures/malformed/README.md for the rule → status table.

/// Element types a safetensors file may declare (the reference's `Dtype`, 0.4). The `UInt8` raw
/// type is only there so Embedded builds use the generic `Hashable` code instead of emitting
/// hashing (and its random seed) for this enum.
package enum TensorDType: UInt8, Sendable {
    case bool, u8, i8, f8E5M2, f8E4M3, i16, u16, f16, bf16, i32, u32, f32, f64, i64, u64

    /// Every dtype, in the order the reference lists them.
    package static let all: [TensorDType] = [.bool, .u8, .i8, .f8E5M2, .f8E4M3, .i16, .u16, .f16, .bf16,
                                            .i32, .u32, .f32, .f64, .i64, .u64]

    /// Bytes per element.
    package var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }

    /// The header spelling, e.g. "F32", "BF16", "F8_E4M3".
    package var name: StaticString {
        switch self {
        case .bool: return "BOOL"
        case .u8: return "U8"
        case .i8: return "I8"
        case .f8E5M2: return "F8_E5M2"
        case .f8E4M3: return "F8_E4M3"
        case .i16: return "I16"
        case .u16: return "U16"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .i32: return "I32"
        case .u32: return "U32"
        case .f32: return "F32"
        case .f64: return "F64"
        case .i64: return "I64"
        case .u64: return "U64"
        }
    }

    /// True for the dtypes the runtime converts to Float32 (F32, F16, BF16).
    package var isSupportedWeightType: Bool { self == .f32 || self == .f16 || self == .bf16 }

    /// The dtype whose header spelling is exactly `spelling` (case-sensitive, as the reference).
    package init?<Bytes: Collection>(spelling: Bytes) where Bytes.Element == UInt8 {
        for candidate in TensorDType.all where staticStringEquals(candidate.name, spelling) {
            self = candidate
            return
        }
        return nil
    }
}

/// One validated header entry.
package struct TensorInfo: Sendable {
    /// The tensor's name (decoded from the JSON string).
    package let name: String
    package let dtype: TensorDType
    /// Dimensions, outermost first (row-major); empty for a scalar.
    package let shape: [Int]
    /// Product of `shape` (1 for a scalar, 0 when a dimension is 0); checked for overflow.
    package let elementCount: Int
    /// Absolute byte offsets of the data in the whole file (header length prefix included);
    /// `count == elementCount * dtype.byteSize`, always within the file.
    package let byteRange: Range<Int>
}

/// A parsed, fully validated safetensors file: its tensor table and metadata (data not copied).
package struct SafetensorsFile: Sendable {
    /// Every tensor, sorted by name (bytewise), names unique.
    package let tensors: [TensorInfo]
    /// `__metadata__` entries in header order, keys unique.
    package let metadata: [(key: String, value: String)]
    /// N, the JSON header's length in bytes.
    package let headerByteCount: Int
    /// Total file size in bytes.
    package let fileByteCount: Int

    /// Absolute offset of the data buffer (8 + N).
    package var dataStart: Int { 8 + headerByteCount }

    /// The tensor called `name`, by binary search over the sorted table.
    package func tensor(named name: String) -> TensorInfo? {
        var low = 0, high = tensors.count
        while low < high {
            let middle = low + (high - low) / 2
            let candidate = tensors[middle].name.utf8
            if candidate.elementsEqual(name.utf8) { return tensors[middle] }
            if candidate.lexicographicallyPrecedes(name.utf8) { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// The `__metadata__` value for `key`, compared bytewise.
    package func metadataValue(forKey key: String) -> String? {
        for entry in metadata where entry.key.utf8.elementsEqual(key.utf8) { return entry.value }
        return nil
    }

    /// Parses and validates `bytes` (the whole file). Throws `.format` for anything malformed or
    /// inconsistent and `.outOfMemory` when a `limits` bound is exceeded; the message names the
    /// tensor or the byte offset at fault.
    package static func parse(_ bytes: UnsafeRawBufferPointer, limits: LoadLimits) throws(DeiTError) -> SafetensorsFile {
        try parse(prefix: bytes, fileSize: bytes.count, limits: limits)
    }

    /// N, the JSON header's length, from the file's first bytes (`prefix`: at least 8 of them, or
    /// the whole file when it is shorter), checked against the file's size and `limits`. The one
    /// check of `limits.maxFileBytes` for a model, from memory or from a file, comes first.
    package static func headerLength(prefix bytes: UnsafeRawBufferPointer, fileSize: Int,
                                    limits: LoadLimits) throws(DeiTError) -> Int {
        if fileSize > limits.maxFileBytes {
            throw DeiTError(.outOfMemory, "file is \(fileSize) bytes, above the maxFileBytes limit (\(limits.maxFileBytes))")
        }
        if fileSize < 8 {
            throw DeiTError(.format, "file is \(fileSize) bytes, too short for the 8-byte safetensors header length")
        }
        guard bytes.count >= 8 else {
            throw DeiTError(.io, "only \(bytes.count) of the file's first 8 bytes could be read")
        }
        var declaredLength: UInt64 = 0  // little-endian u64 at offset 0
        for index in 0..<8 { declaredLength |= UInt64(bytes[index]) << UInt64(8 * index) }
        if declaredLength == 0 {
            throw DeiTError(.format, "safetensors header length is 0 (byte offset 0)")
        }
        if declaredLength > UInt64(fileSize - 8) {
            throw DeiTError(.format, "safetensors header length \(declaredLength) runs past the end of the \(fileSize)-byte file")
        }
        let headerLength = Int(declaredLength)  // ≤ fileSize - 8, so it fits
        if headerLength > limits.maxHeaderBytes {
            throw DeiTError(.outOfMemory, "safetensors header is \(headerLength) bytes, above the maxHeaderBytes limit (\(limits.maxHeaderBytes))")
        }
        return headerLength
    }

    /// As `parse(_:limits:)` for a file of `fileSize` bytes of which only the first ones are in
    /// memory: `prefix` holds at least the 8-byte length and the header (8 + N bytes). Tensor data
    /// is not read; offsets are checked against `fileSize`.
    package static func parse(prefix bytes: UnsafeRawBufferPointer, fileSize: Int,
                             limits: LoadLimits) throws(DeiTError) -> SafetensorsFile {
        let headerLength = try headerLength(prefix: bytes, fileSize: fileSize, limits: limits)
        guard bytes.count >= 8 + headerLength else {
            throw DeiTError(.io, "only \(bytes.count) of the header's \(8 + headerLength) bytes could be read")
        }
        let header = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)])
        if let bad = firstInvalidUTF8Offset(header) {
            throw DeiTError(.format, "safetensors header is not valid UTF-8 at byte offset \(8 + bad)")
        }
        try JSONScanner.validateDocument(header, fileOffset: 8)

        var reader = HeaderReader(header: header, dataByteCount: fileSize - 8 - headerLength, limits: limits)
        try reader.readTopLevelObject()
        let tensors = try reader.validatedTensors()
        return SafetensorsFile(tensors: tensors, metadata: try reader.validatedMetadata(),
                               headerByteCount: headerLength, fileByteCount: fileSize)
    }
}

// MARK: - Header reading

/// Walks the (already syntax-checked) JSON header and checks each entry's fields.
private struct HeaderReader {
    /// An entry as read, before the whole-table checks.
    struct Entry {
        var name: [UInt8]
        var dtype: TensorDType
        var shape: [Int]
        var elementCount: Int
        var begin: Int  // relative to the data buffer
        var end: Int
    }

    var scanner: JSONScanner
    let dataByteCount: Int
    let limits: LoadLimits
    var entries: [Entry] = []
    var metadata: [(key: [UInt8], value: [UInt8])] = []
    var sawMetadata = false

    init(header: UnsafeRawBufferPointer, dataByteCount: Int, limits: LoadLimits) {
        self.scanner = JSONScanner(bytes: header, fileOffset: 8)
        self.dataByteCount = dataByteCount
        self.limits = limits
    }

    mutating func readTopLevelObject() throws(DeiTError) {
        try scanner.expect(UInt8(ascii: "{"), "'{'")
        if scanner.consume(UInt8(ascii: "}")) { return }
        repeat {
            scanner.skipWhitespace()
            let keyStart = scanner.position
            let name = try scanner.readString()
            try scanner.expect(UInt8(ascii: ":"), "':'")
            if staticStringEquals("__metadata__", name) {
                if sawMetadata { throw scanner.error("duplicate key '__metadata__'", at: keyStart) }
                sawMetadata = true
                try readMetadata()
            } else {
                if entries.count >= limits.maxTensors {
                    throw DeiTError(.outOfMemory, "safetensors header has more than the maxTensors limit (\(limits.maxTensors)) of tensors")
                }
                entries.append(try readEntry(name: name))
            }
        } while scanner.consume(UInt8(ascii: ","))
        try scanner.expect(UInt8(ascii: "}"), "',' or '}'")
    }

    /// `"__metadata__": {string: string, …}`.
    private mutating func readMetadata() throws(DeiTError) {
        if !scanner.consume(UInt8(ascii: "{")) { throw scanner.error("__metadata__ is not a JSON object") }
        if scanner.consume(UInt8(ascii: "}")) { return }
        repeat {
            let key = try scanner.readString()
            try scanner.expect(UInt8(ascii: ":"), "':'")
            scanner.skipWhitespace()
            if scanner.peek() != UInt8(ascii: "\"") {
                throw scanner.error("__metadata__ value for key \(quotedName(key)) is not a string")
            }
            metadata.append((key: key, value: try scanner.readString()))
        } while scanner.consume(UInt8(ascii: ","))
        try scanner.expect(UInt8(ascii: "}"), "',' or '}'")
    }

    /// `{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}` in any order, each once.
    private mutating func readEntry(name: [UInt8]) throws(DeiTError) -> Entry {
        let tensor = "tensor \(quotedName(name))"
        if !scanner.consume(UInt8(ascii: "{")) {
            throw scanner.error("\(tensor): entry is not a JSON object")
        }
        var dtype: TensorDType?
        var shape: [Int]?
        var offsets: (begin: Int, end: Int)?
        if !scanner.consume(UInt8(ascii: "}")) {
            repeat {
                scanner.skipWhitespace()
                let fieldStart = scanner.position
                let field = try scanner.readString()
                try scanner.expect(UInt8(ascii: ":"), "':'")
                if staticStringEquals("dtype", field) {
                    if dtype != nil { throw scanner.error("\(tensor): duplicate field 'dtype'", at: fieldStart) }
                    dtype = try readDType(tensor)
                } else if staticStringEquals("shape", field) {
                    if shape != nil { throw scanner.error("\(tensor): duplicate field 'shape'", at: fieldStart) }
                    shape = try readShape(tensor)
                } else if staticStringEquals("data_offsets", field) {
                    if offsets != nil { throw scanner.error("\(tensor): duplicate field 'data_offsets'", at: fieldStart) }
                    offsets = try readOffsets(tensor)
                } else {
                    throw scanner.error("\(tensor): unknown field \(quotedName(field))", at: fieldStart)
                }
            } while scanner.consume(UInt8(ascii: ","))
            try scanner.expect(UInt8(ascii: "}"), "',' or '}'")
        }
        guard let dtype else { throw scanner.error("\(tensor): missing field 'dtype'") }
        guard let shape else { throw scanner.error("\(tensor): missing field 'shape'") }
        guard let offsets else { throw scanner.error("\(tensor): missing field 'data_offsets'") }

        var elementCount = 1
        for dimension in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            if overflow { throw DeiTError(.format, "\(tensor): shape \(describeShape(shape)) element count overflows") }
            elementCount = product
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow { throw DeiTError(.format, "\(tensor): shape \(describeShape(shape)) byte count overflows") }
        if offsets.begin > offsets.end {
            throw DeiTError(.format, "\(tensor): data_offsets [\(offsets.begin), \(offsets.end)] are reversed")
        }
        if offsets.end > dataByteCount {
            throw DeiTError(.format, "\(tensor): data_offsets end \(offsets.end) is past the end of the \(dataByteCount)-byte data buffer")
        }
        if offsets.end - offsets.begin != byteCount {
            throw DeiTError(.format, "\(tensor): data_offsets span \(offsets.end - offsets.begin) bytes but shape \(describeShape(shape)) of \(dtype.name) needs \(byteCount)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, elementCount: elementCount,
                     begin: offsets.begin, end: offsets.end)
    }

    private mutating func readDType(_ tensor: String) throws(DeiTError) -> TensorDType {
        scanner.skipWhitespace()
        if scanner.peek() != UInt8(ascii: "\"") { throw scanner.error("\(tensor): dtype is not a string") }
        let spelling = try scanner.readString()
        guard let dtype = TensorDType(spelling: spelling) else {
            throw scanner.error("\(tensor): unknown dtype \(quotedName(spelling))")
        }
        return dtype
    }

    private mutating func readShape(_ tensor: String) throws(DeiTError) -> [Int] {
        if !scanner.consume(UInt8(ascii: "[")) { throw scanner.error("\(tensor): shape is not a JSON array") }
        var shape: [Int] = []
        if scanner.consume(UInt8(ascii: "]")) { return shape }
        repeat {
            if shape.count >= limits.maxRank {
                throw DeiTError(.outOfMemory, "\(tensor): shape has more than the maxRank limit (\(limits.maxRank)) of dimensions")
            }
            shape.append(try readNonNegativeInteger("\(tensor): shape entries must be non-negative integers"))
        } while scanner.consume(UInt8(ascii: ","))
        try scanner.expect(UInt8(ascii: "]"), "',' or ']'")
        return shape
    }

    private mutating func readOffsets(_ tensor: String) throws(DeiTError) -> (begin: Int, end: Int) {
        func rule() -> String { "\(tensor): data_offsets must be exactly two non-negative integers" }
        if !scanner.consume(UInt8(ascii: "[")) { throw scanner.error(rule()) }
        let begin = try readNonNegativeInteger(rule())
        if !scanner.consume(UInt8(ascii: ",")) { throw scanner.error(rule()) }
        let end = try readNonNegativeInteger(rule())
        if !scanner.consume(UInt8(ascii: "]")) { throw scanner.error(rule()) }
        return (begin, end)
    }

    /// A digits-only number that fits in `Int`; anything else (sign, fraction, exponent, string,
    /// array, too large) fails with `rule` (built only then: the header has a few per tensor).
    private mutating func readNonNegativeInteger(_ rule: @autoclosure () -> String) throws(DeiTError) -> Int {
        scanner.skipWhitespace()
        let start = scanner.position
        guard let first = scanner.peek(),
              first == UInt8(ascii: "-") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else {
            throw scanner.error(rule())
        }
        let number = try scanner.readNumber()
        guard let value = number.nonNegativeInteger else {
            scanner.position = start
            throw scanner.error(rule() + (number.isTooLarge ? " below 2^63" : ""))
        }
        return value
    }

    // MARK: Whole-table checks

    /// Unique names, then exact tiling of the data buffer; returns the table sorted by name.
    func validatedTensors() throws(DeiTError) -> [TensorInfo] {
        var byName = entries
        byName.sort { $0.name.lexicographicallyPrecedes($1.name) }
        for index in byName.indices.dropFirst() where byName[index - 1].name.elementsEqual(byName[index].name) {
            throw DeiTError(.format, "safetensors header has duplicate tensor \(quotedName(byName[index].name))")
        }

        // Sorted by (begin, end), each tensor must start exactly where the previous one ended:
        // no overlap, no hole, and a zero-size tensor can only sit on a boundary between tensors.
        var byOffset = Array(byName.indices)
        byOffset.sort { left, right in
            let a = byName[left], b = byName[right]
            return a.begin != b.begin ? a.begin < b.begin : a.end < b.end
        }
        var cursor = 0
        var previous: Int?
        for index in byOffset {
            let entry = byName[index]
            if entry.begin < cursor {
                let other = previous.map { " of tensor \(quotedName(byName[$0].name))" } ?? ""
                throw DeiTError(.format, "tensor \(quotedName(entry.name)): data_offsets [\(entry.begin), \(entry.end)] overlap the bytes up to \(cursor)\(other)")
            }
            if entry.begin > cursor {
                throw DeiTError(.format, "safetensors data buffer has a hole: bytes [\(cursor), \(entry.begin)) before tensor \(quotedName(entry.name)) belong to no tensor")
            }
            cursor = entry.end
            if entry.end > entry.begin { previous = index }
        }
        if cursor != dataByteCount {
            throw DeiTError(.format, "safetensors data buffer has \(dataByteCount - cursor) bytes after the last tensor (data offsets \(cursor)..<\(dataByteCount) belong to no tensor)")
        }

        let dataStart = scanner.fileOffset + scanner.bytes.count
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(byName.count)
        for entry in byName {
            tensors.append(TensorInfo(name: String(decoding: entry.name, as: UTF8.self), dtype: entry.dtype,
                                      shape: entry.shape, elementCount: entry.elementCount,
                                      byteRange: (dataStart + entry.begin)..<(dataStart + entry.end)))
        }
        return tensors
    }

    /// Metadata with unique keys, converted to Strings.
    func validatedMetadata() throws(DeiTError) -> [(key: String, value: String)] {
        var order = Array(metadata.indices)
        order.sort { metadata[$0].key.lexicographicallyPrecedes(metadata[$1].key) }
        for position in order.indices.dropFirst()
        where metadata[order[position - 1]].key.elementsEqual(metadata[order[position]].key) {
            throw DeiTError(.format, "__metadata__ has duplicate key \(quotedName(metadata[order[position]].key))")
        }
        var result: [(key: String, value: String)] = []
        result.reserveCapacity(metadata.count)
        for entry in metadata {
            result.append((key: String(decoding: entry.key, as: UTF8.self),
                           value: String(decoding: entry.value, as: UTF8.self)))
        }
        return result
    }
}

// MARK: - Helpers shared by the loader files

/// True when `bytes` spell exactly `text` (bytewise; no Unicode tables needed).
func staticStringEquals<Bytes: Collection>(_ text: StaticString, _ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
    UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount).elementsEqual(bytes)
}

/// A name for messages, quoted and cut to 80 bytes so a hostile name cannot flood the log.
func quotedName<Bytes: Collection>(_ name: Bytes) -> String where Bytes.Element == UInt8 {
    let limit = 80
    if name.count <= limit { return "'" + String(decoding: name, as: UTF8.self) + "'" }
    return "'" + String(decoding: name.prefix(limit), as: UTF8.self) + "…'"
}

/// A name for messages (see the byte version).
func quotedName(_ name: String) -> String { quotedName(name.utf8) }

/// "[1, 197, 192]".
func describeShape(_ shape: [Int]) -> String {
    var text = "["
    for (index, dimension) in shape.enumerated() {
        if index > 0 { text += ", " }
        text += "\(dimension)"
    }
    return text + "]"
}
