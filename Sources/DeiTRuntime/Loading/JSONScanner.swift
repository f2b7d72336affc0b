/// A small JSON reader over the raw bytes of a safetensors header (RFC 8259, bytes not Characters).
///
/// Two uses: `validateDocument` checks a whole header is one JSON object (recursive descent with a
/// nesting limit, no allocation), then the safetensors parser walks it again with the token
/// readers (`readString`, `readUnsignedInteger`, …) to pull out the fields it knows. Every failure
/// is a `.format` error naming the absolute byte offset in the file.
struct JSONScanner {
    /// The header's bytes (without the 8-byte length prefix).
    let bytes: UnsafeRawBufferPointer
    /// Offset of `bytes[0]` in the whole file, so messages point into the file.
    let fileOffset: Int
    /// Index of the next unread byte in `bytes`.
    var position: Int = 0
    /// What the bytes are, for messages ("safetensors header", "config.json").
    var documentName: String = "safetensors header"

    /// Deepest nesting of arrays and objects accepted. A safetensors header needs 3 (header →
    /// entry → shape); the limit only keeps recursion bounded on hostile input.
    static let maxDepth = 64

    init(bytes: UnsafeRawBufferPointer, fileOffset: Int) {
        self.bytes = bytes
        self.fileOffset = fileOffset
    }

    /// True when every byte has been read.
    var isAtEnd: Bool { position >= bytes.count }

    /// The next byte, or nil at the end.
    func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    /// Absolute file offset of the next byte, for messages.
    var fileOffsetOfPosition: Int { fileOffset + position }

    /// A `.format` error at `position` in `bytes` (default: the current position).
    func error(_ what: String, at position: Int? = nil) -> DeiTError {
        DeiTError(.format, "\(documentName): \(what) at byte offset \(fileOffset + (position ?? self.position))")
    }

    /// Skips JSON whitespace (space, tab, LF, CR).
    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Skips whitespace, then consumes `byte` if it comes next.
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if peek() == byte {
            position += 1
            return true
        }
        return false
    }

    /// Skips whitespace, then requires `byte`; `what` describes it for the message.
    mutating func expect(_ byte: UInt8, _ what: String) throws(DeiTError) {
        if !consume(byte) { throw error("expected \(what)") }
    }

    // MARK: Whole-document validation

    /// Checks that `bytes` hold exactly one JSON object, optionally surrounded by whitespace (the
    /// reference writer pads headers with spaces to a multiple of 8 bytes).
    static func validateDocument(_ bytes: UnsafeRawBufferPointer, fileOffset: Int) throws(DeiTError) {
        var scanner = JSONScanner(bytes: bytes, fileOffset: fileOffset)
        scanner.skipWhitespace()
        if scanner.peek() != UInt8(ascii: "{") {
            throw DeiTError(.format, "safetensors header does not start with '{' (byte offset \(scanner.fileOffsetOfPosition))")
        }
        try scanner.skipValue(depth: 1)
        scanner.skipWhitespace()
        if !scanner.isAtEnd { throw scanner.error("unexpected bytes after the JSON object") }
    }

    /// Consumes one value of any type; `depth` counts the containers it would open.
    mutating func skipValue(depth: Int) throws(DeiTError) {
        skipWhitespace()
        guard let first = peek() else { throw error("unexpected end of JSON") }
        switch first {
        case UInt8(ascii: "{"):
            if depth > JSONScanner.maxDepth { throw error("JSON nested deeper than \(JSONScanner.maxDepth) levels") }
            position += 1
            if consume(UInt8(ascii: "}")) { return }
            repeat {
                skipWhitespace()
                if peek() != UInt8(ascii: "\"") { throw error("expected a string key") }
                try skipString()
                try expect(UInt8(ascii: ":"), "':'")
                try skipValue(depth: depth + 1)
            } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"), "',' or '}'")
        case UInt8(ascii: "["):
            if depth > JSONScanner.maxDepth { throw error("JSON nested deeper than \(JSONScanner.maxDepth) levels") }
            position += 1
            if consume(UInt8(ascii: "]")) { return }
            repeat {
                try skipValue(depth: depth + 1)
            } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"), "',' or ']'")
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"):
            try expectLiteral("true")
        case UInt8(ascii: "f"):
            try expectLiteral("false")
        case UInt8(ascii: "n"):
            try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try readNumber()
        default:
            throw error("unexpected byte 0x\(hexByte(first)) in JSON")
        }
    }

    /// Consumes `word` (an ASCII literal) exactly.
    private mutating func expectLiteral(_ word: StaticString) throws(DeiTError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count else { throw error("unexpected end of JSON") }
        for index in 0..<count where bytes[position + index] != word.utf8Start[index] {
            throw error("invalid JSON literal")
        }
        position += count
    }

    // MARK: Strings

    /// Consumes a string without keeping it.
    mutating func skipString() throws(DeiTError) {
        var discard = StringSink(keeping: false)
        try scanString(into: &discard)
    }

    /// Consumes a string and returns its decoded UTF-8 bytes (escapes resolved).
    mutating func readString() throws(DeiTError) -> [UInt8] {
        var sink = StringSink(keeping: true)
        try scanString(into: &sink)
        return sink.bytes
    }

    /// Where decoded string bytes go; skipping keeps nothing, so validation allocates nothing.
    struct StringSink {
        let keeping: Bool
        var bytes: [UInt8] = []
        init(keeping: Bool) { self.keeping = keeping }
        mutating func append(_ byte: UInt8) { if keeping { bytes.append(byte) } }
    }

    /// Reads `"…"` starting at the opening quote. Raw bytes ≥ 0x80 were UTF-8-validated for the
    /// whole header beforehand, so only escapes and control characters need checking here.
    private mutating func scanString(into sink: inout StringSink) throws(DeiTError) {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        position += 1
        while true {
            guard let byte = peek() else { throw error("unterminated JSON string") }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return
            case UInt8(ascii: "\\"):
                position += 1
                try scanEscape(into: &sink)
            case 0x00..<0x20:
                throw error("control character 0x\(hexByte(byte)) inside a JSON string")
            default:
                sink.append(byte)
                position += 1
            }
        }
    }

    /// Reads the escape after a backslash, including `\uXXXX` and UTF-16 surrogate pairs.
    private mutating func scanEscape(into sink: inout StringSink) throws(DeiTError) {
        guard let escape = peek() else { throw error("unterminated JSON string") }
        position += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): sink.append(escape)
        case UInt8(ascii: "b"): sink.append(0x08)
        case UInt8(ascii: "f"): sink.append(0x0C)
        case UInt8(ascii: "n"): sink.append(0x0A)
        case UInt8(ascii: "r"): sink.append(0x0D)
        case UInt8(ascii: "t"): sink.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHexQuad()
            if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw error("unpaired low surrogate in \\u escape")
            }
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                guard peek() == UInt8(ascii: "\\"), position + 1 < bytes.count,
                      bytes[position + 1] == UInt8(ascii: "u") else {
                    throw error("unpaired high surrogate in \\u escape")
                }
                position += 2
                let low = try readHexQuad()
                guard low >= 0xDC00 && low <= 0xDFFF else { throw error("unpaired high surrogate in \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            appendUTF8(scalar, to: &sink)
        default:
            position -= 1
            throw error("invalid escape (backslash followed by 0x\(hexByte(escape)))")
        }
    }

    /// Four hex digits of a `\u` escape.
    private mutating func readHexQuad() throws(DeiTError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let digit: UInt32
            switch bytes[position] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(bytes[position] - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(bytes[position] - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(bytes[position] - UInt8(ascii: "A")) + 10
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// Encodes a Unicode scalar (≤ 0x10FFFF, not a surrogate) as UTF-8.
    private func appendUTF8(_ scalar: UInt32, to sink: inout StringSink) {
        switch scalar {
        case 0..<0x80:
            sink.append(UInt8(scalar))
        case 0x80..<0x800:
            sink.append(UInt8(0xC0 | (scalar >> 6)))
            sink.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            sink.append(UInt8(0xE0 | (scalar >> 12)))
            sink.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            sink.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            sink.append(UInt8(0xF0 | (scalar >> 18)))
            sink.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            sink.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            sink.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    // MARK: Numbers

    /// A number token: its value when it is a non-negative integer that fits in `Int`.
    struct Number {
        /// The value if the token is digits only (no sign, fraction or exponent) and fits in `Int`.
        var nonNegativeInteger: Int?
        /// True for a digits-only token too large for `Int`.
        var isTooLarge: Bool
    }

    /// Consumes one JSON number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
    mutating func readNumber() throws(DeiTError) -> Number {
        skipWhitespace()
        var isInteger = true
        var negative = false
        if peek() == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        guard let first = peek(), isDigit(first) else { throw error("invalid JSON number") }
        var value = 0
        var fits = true
        if first == UInt8(ascii: "0") {
            position += 1
            if let next = peek(), isDigit(next) { throw error("JSON number with a leading zero") }
        } else {
            while let digit = peek(), isDigit(digit) {
                if fits {
                    let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = times10.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
                    if overflow1 || overflow2 { fits = false } else { value = sum }
                }
                position += 1
            }
        }
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard let digit = peek(), isDigit(digit) else { throw error("invalid JSON number") }
            while let digit = peek(), isDigit(digit) { position += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard let digit = peek(), isDigit(digit) else { throw error("invalid JSON number") }
            while let digit = peek(), isDigit(digit) { position += 1 }
        }
        return Number(nonNegativeInteger: isInteger && !negative && fits ? value : nil,
                      isTooLarge: isInteger && !negative && !fits)
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}

// MARK: UTF-8

/// Offset of the first byte that breaks strict UTF-8 (overlong forms, surrogates and scalars above
/// U+10FFFF are invalid, as in Rust's `str::from_utf8`), or nil when all of `bytes` is valid.
func firstInvalidUTF8Offset(_ bytes: UnsafeRawBufferPointer) -> Int? {
    var index = 0
    let count = bytes.count
    while index < count {
        let lead = bytes[index]
        if lead < 0x80 {
            index += 1
            continue
        }
        let length: Int
        var lowest: UInt8 = 0x80, highest: UInt8 = 0xBF  // allowed range of the 2nd byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowest = 0xA0                 // no overlong 3-byte forms
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; highest = 0x9F                // no UTF-16 surrogates
        case 0xF0: length = 4; lowest = 0x90                 // no overlong 4-byte forms
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; highest = 0x8F                // nothing above U+10FFFF
        default: return index
        }
        guard count - index >= length else { return index }
        let second = bytes[index + 1]
        if second < lowest || second > highest { return index }
        for continuation in 2..<length where bytes[index + continuation] & 0xC0 != 0x80 {
            return index
        }
        index += length
    }
    return nil
}

/// Two uppercase hex digits for a byte, for messages.
func hexByte(_ byte: UInt8) -> String {
    let digits: StaticString = "0123456789ABCDEF"
    let high = digits.utf8Start[Int(byte >> 4)], low = digits.utf8Start[Int(byte & 0xF)]
    return String(decoding: [high, low], as: UTF8.self)
}
