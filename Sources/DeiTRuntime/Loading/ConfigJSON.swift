/// A timm `config.json` (the Hugging Face hub layout timm writes with `push_to_hub` /
/// `save_for_hf`), read as untrusted input:
///
///     {"architecture": "vit_base_patch16_224", "num_classes": 1000, "global_pool": "token",
///      "model_args": {"embed_dim": 768, "depth": 12, "num_heads": 12, "init_values": null, …},
///      "pretrained_cfg": {"input_size": [3, 224, 224], "interpolation": "bicubic", "crop_pct": 0.9,
///                         "crop_mode": "center", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5],
///                         "num_classes": 1000, …},
///      "label_names": ["tench", …]}
///
/// Bounded by `LoadLimits.maxConfigBytes`, parsed with `JSONScanner` (strict UTF-8, nesting limit),
/// unknown keys skipped. Every malformed case is `.format` naming the key. The known keys become
/// description facts (`DescriptionKey`); a key given twice with different values (e.g.
/// `global_pool` and `model_args.global_pool`) is refused.
struct ConfigJSON {
    /// Facts by `DescriptionKey` raw value.
    var facts: [DescriptionFact?]
    /// `label_names`, decoded, nil when absent.
    var labelNames: [[UInt8]]?

    /// Parses the whole document in `bytes`.
    init(bytes: UnsafeRawBufferPointer, limits: LoadLimits) throws(DeiTError) {
        facts = [DescriptionFact?](repeating: nil, count: DescriptionKey.all.count)
        labelNames = nil
        // The file reader checks the limit before reading; text handed over in memory is checked here.
        if bytes.count > limits.maxConfigBytes {
            throw DeiTError(.outOfMemory, "config.json is \(bytes.count) bytes, above the maxConfigBytes limit (\(limits.maxConfigBytes))")
        }
        if let bad = firstInvalidUTF8Offset(bytes) {
            throw DeiTError(.format, "config.json: invalid UTF-8 at byte offset \(bad)")
        }
        var scanner = JSONScanner(bytes: bytes, fileOffset: 0)
        scanner.documentName = "config.json"
        // Structure first (depth-limited, allocation-free), then the walk below.
        scanner.skipWhitespace()
        if scanner.peek() != UInt8(ascii: "{") { throw scanner.error("expected a JSON object") }
        try scanner.skipValue(depth: 1)
        scanner.skipWhitespace()
        if !scanner.isAtEnd { throw scanner.error("unexpected bytes after the JSON object") }
        scanner.position = 0
        try readObject(&scanner, section: .top, limits: limits)
    }

    private enum Section { case top, modelArgs, pretrainedCfg }

    private mutating func readObject(_ scanner: inout JSONScanner, section: Section, limits: LoadLimits) throws(DeiTError) {
        try scanner.expect(UInt8(ascii: "{"), "'{'")
        if scanner.consume(UInt8(ascii: "}")) { return }
        repeat {
            let name = try scanner.readString()
            try scanner.expect(UInt8(ascii: ":"), "':'")
            let path = section == .top ? quotedName(name)
                : quotedName((section == .modelArgs ? "model_args." : "pretrained_cfg.").utf8 + name)
            let origin = "config.json key \(path)"
            scanner.skipWhitespace()
            if section == .top && staticStringEquals("model_args", name) {
                guard scanner.peek() == UInt8(ascii: "{") else { throw DeiTError(.format, "\(origin) is not a JSON object") }
                try readObject(&scanner, section: .modelArgs, limits: limits)
            } else if section == .top && staticStringEquals("pretrained_cfg", name) {
                guard scanner.peek() == UInt8(ascii: "{") else { throw DeiTError(.format, "\(origin) is not a JSON object") }
                try readObject(&scanner, section: .pretrainedCfg, limits: limits)
            } else if section == .top && staticStringEquals("label_names", name) {
                labelNames = try readStrings(&scanner, origin: origin, limit: limits.maxClasses)
            } else if let key = ConfigJSON.key(name, section: section) {
                try record(key, text: try ConfigJSON.readText(&scanner, origin: origin, key: key), origin: origin)
            } else if section == .modelArgs && staticStringEquals("init_values", name) {
                // LayerScale is on when init_values is a number.
                let text = try ConfigJSON.readText(&scanner, origin: origin, key: .layerScale) ?? "None"
                try record(.layerScale, text: textIs(text, "None") ? "0" : "1", origin: origin)
                if !textIs(text, "None"), DescriptionValue.parseDecimal(Array(text.utf8)) == nil {
                    throw DeiTError(.format, "\(origin) is \(quotedName(text)); expected a number or null")
                }
            } else {
                try scanner.skipValue(depth: 2)
            }
        } while scanner.consume(UInt8(ascii: ","))
        try scanner.expect(UInt8(ascii: "}"), "',' or '}'")
    }

    /// The description key a config.json key maps to in `section`.
    private static func key(_ name: [UInt8], section: Section) -> DescriptionKey? {
        switch section {
        case .top:
            if staticStringEquals("architecture", name) { return .architecture }
            if staticStringEquals("num_classes", name) { return .numClasses }
            if staticStringEquals("global_pool", name) { return .globalPool }
            return nil
        case .modelArgs:
            guard let key = DescriptionKey.named(name) else { return nil }
            switch key {
            case .embedDim, .depth, .numHeads, .patchSize, .numClasses, .globalPool, .classToken, .regTokens,
                 .noEmbedClass, .fcNorm, .qkvBias, .qkNorm, .preNorm, .activation:
                return key
            default:
                return nil
            }
        case .pretrainedCfg:
            if staticStringEquals("num_classes", name) { return .pretrainedClasses }
            guard let key = DescriptionKey.named(name) else { return nil }
            switch key {
            case .inputSize, .interpolation, .cropPct, .cropMode, .mean, .std: return key
            default: return nil
            }
        }
    }

    /// Stores a fact; the same key twice must agree.
    private mutating func record(_ key: DescriptionKey, text: String?, origin: String) throws(DeiTError) {
        guard let text else { return }   // null: not given
        if let previous = facts[key.rawValue], !previous.text.utf8.elementsEqual(text.utf8) {
            throw DeiTError(.format, "\(origin) is \(quotedName(text)) but \(previous.origin) is \(quotedName(previous.text))")
        }
        facts[key.rawValue] = DescriptionFact(text: text, source: .configJSON, origin: origin)
    }

    /// A scalar or a flat list as description text: strings as they are, numbers as written,
    /// true/false as 1/0, lists comma-joined; nil for null ("None" for fc_norm and init_values,
    /// where null means something).
    private static func readText(_ scanner: inout JSONScanner, origin: String, key: DescriptionKey) throws(DeiTError) -> String? {
        scanner.skipWhitespace()
        switch scanner.peek() {
        case UInt8(ascii: "["):
            scanner.position += 1
            var parts: [String] = []
            if !scanner.consume(UInt8(ascii: "]")) {
                repeat {
                    scanner.skipWhitespace()
                    guard scanner.peek() != UInt8(ascii: "["), scanner.peek() != UInt8(ascii: "{"),
                          let part = try readScalar(&scanner, origin: origin) else {
                        throw DeiTError(.format, "\(origin) must be a flat list of numbers or strings")
                    }
                    if parts.count >= 16 { throw DeiTError(.format, "\(origin) has more than 16 elements") }
                    parts.append(part)
                } while scanner.consume(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "]"), "',' or ']'")
            }
            var text = ""
            for (index, part) in parts.enumerated() { text += index == 0 ? part : "," + part }
            return text
        case UInt8(ascii: "{"):
            throw DeiTError(.format, "\(origin) is a JSON object; expected a number, string or list")
        default:
            let isString = scanner.peek() == UInt8(ascii: "\"") || scanner.peek() == UInt8(ascii: "n")
            switch key {
            case .architecture, .globalPool, .interpolation, .cropMode, .activation:
                if !isString { throw DeiTError(.format, "\(origin) is not a string") }
            default:
                break
            }
            let text = try readScalar(&scanner, origin: origin)
            if text == nil && (key == .fcNorm || key == .layerScale) { return "None" }
            return text
        }
    }

    /// A string, number or boolean as text; nil for null.
    private static func readScalar(_ scanner: inout JSONScanner, origin: String) throws(DeiTError) -> String? {
        scanner.skipWhitespace()
        let start = scanner.position
        switch scanner.peek() {
        case UInt8(ascii: "\""):
            let bytes = try scanner.readString()
            if bytes.count > 4096 { throw DeiTError(.format, "\(origin) is longer than 4096 bytes") }
            return String(decoding: bytes, as: UTF8.self)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            try scanner.skipValue(depth: 2)
            switch scanner.bytes[start] {
            case UInt8(ascii: "t"): return "1"
            case UInt8(ascii: "f"): return "0"
            default: return nil
            }
        default:
            _ = try scanner.readNumber()
            let end = scanner.position
            if end - start > 64 { throw DeiTError(.format, "\(origin) has a number longer than 64 characters") }
            return String(decoding: UnsafeRawBufferPointer(rebasing: scanner.bytes[start..<end]), as: UTF8.self)
        }
    }

    /// A list of at most `limit` strings.
    private func readStrings(_ scanner: inout JSONScanner, origin: String, limit: Int) throws(DeiTError) -> [[UInt8]] {
        guard scanner.consume(UInt8(ascii: "[")) else { throw DeiTError(.format, "\(origin) must be a list of strings") }
        var names: [[UInt8]] = []
        if scanner.consume(UInt8(ascii: "]")) { return names }
        repeat {
            scanner.skipWhitespace()
            guard scanner.peek() == UInt8(ascii: "\"") else { throw DeiTError(.format, "\(origin)[\(names.count)] is not a string") }
            if names.count >= limit {
                throw DeiTError(.outOfMemory, "\(origin) has more than the maxClasses limit (\(limit)) of names")
            }
            names.append(try scanner.readString())
        } while scanner.consume(UInt8(ascii: ","))
        try scanner.expect(UInt8(ascii: "]"), "',' or ']'")
        return names
    }
}
