/// The keys of a model description: the `__metadata__` key set deit reads, also the keys of the
/// architecture table's lines. Values are text as timm would print them: integers in decimal,
/// booleans `1`/`0` (or `true`/`false`, `True`/`False`), decimals as Python prints floats, lists
/// comma-separated (`mean=0.5,0.5,0.5`, `input_size=3,224,224`).
///
/// | key | meaning (timm) |
/// |---|---|
/// | `architecture` | timm model name, optionally `.tag` (`vit_base_patch16_224.augreg_in21k_ft_in1k`); `timm_model` is read as an alias |
/// | `embed_dim`, `depth`, `num_heads`, `patch_size` | model_args; checked against the tensors |
/// | `num_classes` | the head's classes; checked against the tensors |
/// | `pretrained_classes` | pretrained_cfg `num_classes` (1000: ImageNet-1k labels) |
/// | `global_pool` | `token`, `avg`, `max`, `avgmax`, `map` or empty/`none` |
/// | `class_token`, `reg_tokens`, `no_embed_class`, `fc_norm`, `qkv_bias`, `qk_norm`, `pre_norm` | model_args |
/// | `layer_scale` | whether `init_values` is set (LayerScale); `init_values` is read too |
/// | `distilled` | DeiT distillation token; checked against the tensors |
/// | `norm_eps`, `act_layer` | LayerNorm epsilon; MLP activation (`gelu`, `gelu_tanh`, `quick_gelu`, …) |
/// | `input_size`, `interpolation`, `crop_pct`, `crop_mode`, `mean`, `std` | pretrained_cfg preprocessing |
/// | `class`, `norm`, `mlp`, `block`, `pos_embed` | architecture table only: timm's class and non-default parts |
enum DescriptionKey: Int, Sendable {
    case architecture, embedDim, depth, numHeads, patchSize, numClasses, pretrainedClasses, globalPool,
         classToken, regTokens, noEmbedClass, fcNorm, qkvBias, qkNorm, layerScale, preNorm, distilled,
         normEps, activation, inputSize, interpolation, cropPct, cropMode, mean, std,
         timmClass, norm, mlp, block, posEmbed

    static let all: [DescriptionKey] = [
        .architecture, .embedDim, .depth, .numHeads, .patchSize, .numClasses, .pretrainedClasses, .globalPool,
        .classToken, .regTokens, .noEmbedClass, .fcNorm, .qkvBias, .qkNorm, .layerScale, .preNorm, .distilled,
        .normEps, .activation, .inputSize, .interpolation, .cropPct, .cropMode, .mean, .std,
        .timmClass, .norm, .mlp, .block, .posEmbed]

    var name: StaticString {
        switch self {
        case .architecture: return "architecture"
        case .embedDim: return "embed_dim"
        case .depth: return "depth"
        case .numHeads: return "num_heads"
        case .patchSize: return "patch_size"
        case .numClasses: return "num_classes"
        case .pretrainedClasses: return "pretrained_classes"
        case .globalPool: return "global_pool"
        case .classToken: return "class_token"
        case .regTokens: return "reg_tokens"
        case .noEmbedClass: return "no_embed_class"
        case .fcNorm: return "fc_norm"
        case .qkvBias: return "qkv_bias"
        case .qkNorm: return "qk_norm"
        case .layerScale: return "layer_scale"
        case .preNorm: return "pre_norm"
        case .distilled: return "distilled"
        case .normEps: return "norm_eps"
        case .activation: return "act_layer"
        case .inputSize: return "input_size"
        case .interpolation: return "interpolation"
        case .cropPct: return "crop_pct"
        case .cropMode: return "crop_mode"
        case .mean: return "mean"
        case .std: return "std"
        case .timmClass: return "class"
        case .norm: return "norm"
        case .mlp: return "mlp"
        case .block: return "block"
        case .posEmbed: return "pos_embed"
        }
    }

    /// The key called `name` (bytes), with the aliases `timm_model` → architecture.
    /// `init_values` is handled by the callers (its value becomes layer_scale's).
    static func named<Bytes: Collection>(_ name: Bytes) -> DescriptionKey? where Bytes.Element == UInt8 {
        for key in all where staticStringEquals(key.name, name) { return key }
        if staticStringEquals("timm_model", name) { return .architecture }
        return nil
    }
}

// MARK: - Value parsing

/// Parses the text values of description facts; every failure is `.format` naming the fact's
/// origin ("__metadata__ key 'mean'", "config.json key 'pretrained_cfg.mean'").
enum DescriptionValue {
    static func error(_ fact: DescriptionFact, _ expected: String) -> DeiTError {
        DeiTError(.format, "\(fact.origin) is \(quotedName(fact.text)); expected \(expected)")
    }

    /// A decimal integer in `range`.
    static func integer(_ fact: DescriptionFact, _ range: ClosedRange<Int>) throws(DeiTError) -> Int {
        guard let value = parseInteger(Array(fact.text.utf8)), range.contains(value) else {
            throw error(fact, "an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    /// One integer, or a list of equal integers ("16,16" → 16); unequal ones are `.unsupported`.
    static func squareSide(_ fact: DescriptionFact, channels: Bool) throws(DeiTError) -> Int {
        var values: [Int] = []
        for part in split(fact.text) {
            guard let value = parseInteger(part), value >= 1, value <= 1 << 20 else {
                throw error(fact, channels ? "3,S,S" : "a positive integer or a list of equal ones")
            }
            values.append(value)
        }
        if channels {
            guard values.count == 3 else { throw error(fact, "3,S,S") }
            if values[0] != 3 {
                throw DeiTError(.unsupported, "\(fact.origin) is \(quotedName(fact.text)): only 3 input channels (RGB) are supported")
            }
            values.removeFirst()
        }
        guard let first = values.first, values.count <= 2 else {
            throw error(fact, channels ? "3,S,S" : "a positive integer or a list of equal ones")
        }
        if values.contains(where: { $0 != first }) {
            throw DeiTError(.unsupported, "\(fact.origin) is \(quotedName(fact.text)): only square sizes are supported")
        }
        return first
    }

    static func boolean(_ fact: DescriptionFact) throws(DeiTError) -> Bool {
        if textIs(fact.text, "1", "true", "True") { return true }
        if textIs(fact.text, "0", "false", "False") { return false }
        throw error(fact, "1, 0, true or false")
    }

    /// A finite decimal in `low…high` (Python float syntax).
    static func decimal(_ fact: DescriptionFact, _ low: Double, _ high: Double) throws(DeiTError) -> Double {
        guard let value = parseDecimal(Array(fact.text.utf8)), value >= low, value <= high else {
            throw error(fact, "a number in \(low)…\(high)")
        }
        return value
    }

    /// Three decimals, each rounded to Float32 as `torch.tensor(mean)` does; std values must be > 0.
    static func triple(_ fact: DescriptionFact, positive: Bool) throws(DeiTError) -> SIMD3<Float> {
        let parts = split(fact.text)
        var result = SIMD3<Float>(repeating: 0)
        guard parts.count == 3 else { throw error(fact, "three comma-separated numbers") }
        for index in 0..<3 {
            guard let value = parseDecimal(parts[index]), value.isFinite, abs(value) <= 1e6,
                  !positive || value > 0 else {
                throw error(fact, positive ? "three positive numbers" : "three numbers")
            }
            result[index] = Float(value)
        }
        return result
    }

    static func pooling(_ fact: DescriptionFact) throws(DeiTError) -> Pooling {
        if textIs(fact.text, "token") { return .token }
        if textIs(fact.text, "avg") { return .avg }
        if textIs(fact.text, "max") { return .max }
        if textIs(fact.text, "avgmax") { return .avgmax }
        if textIs(fact.text, "map") { return .map }
        if textIs(fact.text, "", "none", "None") { return .none }
        throw error(fact, "token, avg, max, avgmax, map or none")
    }

    static func interpolation(_ fact: DescriptionFact) throws(DeiTError) -> Interpolation {
        if textIs(fact.text, "bicubic") { return .bicubic }
        if textIs(fact.text, "bilinear") { return .bilinear }
        if textIs(fact.text, "nearest") { return .nearest }
        if textIs(fact.text, "box") { return .box }
        if textIs(fact.text, "hamming") { return .hamming }
        if textIs(fact.text, "lanczos") { return .lanczos }
        throw error(fact, "bicubic, bilinear, nearest, box, hamming or lanczos")
    }

    static func cropMode(_ fact: DescriptionFact) throws(DeiTError) -> CropMode {
        if textIs(fact.text, "center") { return .center }
        if textIs(fact.text, "squash") { return .squash }
        if textIs(fact.text, "border") { return .border }
        throw error(fact, "center, squash or border")
    }

    /// Non-empty, printable ASCII-or-UTF-8 text without spaces (names, activation kinds).
    static func word(_ fact: DescriptionFact) throws(DeiTError) -> String {
        guard !fact.text.utf8.isEmpty, fact.text.utf8.count <= 256,
              !fact.text.utf8.contains(where: { $0 <= 0x20 }) else {
            throw error(fact, "a name without spaces")
        }
        return fact.text
    }

    /// Comma-separated parts, each trimmed of spaces; brackets/parentheses around the list allowed.
    static func split(_ text: String) -> [[UInt8]] {
        var parts: [[UInt8]] = [[]]
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: ","): parts.append([])
            case UInt8(ascii: " "), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"): continue
            default: parts[parts.count - 1].append(byte)
            }
        }
        return parts
    }

    /// Decimal digits only (no sign), nil when empty, not digits, or above 2^40.
    static func parseInteger(_ bytes: [UInt8]) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 13 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Python float syntax `[+-]digits[.digits][e[+-]digits]` (also `.5`, `5.`), correctly rounded
    /// to Double whenever the significant digits fit 2^53 and the exponent is within ±22 (every
    /// value timm's configs print, e.g. 0.48145466); nil when not a number.
    static func parseDecimal(_ bytes: [UInt8]) -> Double? {
        var position = 0
        var negative = false
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") {
            negative = bytes[position] == UInt8(ascii: "-")
            position += 1
        }
        var mantissa: UInt64 = 0
        var exponent = 0
        var digits = 0
        var significant = 0
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        while position < bytes.count, isDigit(bytes[position]) {
            if significant < 19 {
                mantissa = mantissa * 10 + UInt64(bytes[position] - UInt8(ascii: "0"))
                if mantissa != 0 { significant += 1 }
            } else {
                exponent += 1
            }
            digits += 1
            position += 1
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            while position < bytes.count, isDigit(bytes[position]) {
                if significant < 19 {
                    mantissa = mantissa * 10 + UInt64(bytes[position] - UInt8(ascii: "0"))
                    if mantissa != 0 { significant += 1 }
                    exponent -= 1
                }
                digits += 1
                position += 1
            }
        }
        guard digits > 0 else { return nil }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            var exponentNegative = false
            if position < bytes.count, bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") {
                exponentNegative = bytes[position] == UInt8(ascii: "-")
                position += 1
            }
            var value = 0, exponentDigits = 0
            while position < bytes.count, isDigit(bytes[position]) {
                if value < 100_000 { value = value * 10 + Int(bytes[position] - UInt8(ascii: "0")) }
                exponentDigits += 1
                position += 1
            }
            guard exponentDigits > 0 else { return nil }
            exponent += exponentNegative ? -value : value
        }
        guard position == bytes.count else { return nil }
        var result: Double
        if mantissa == 0 {
            result = 0
        } else if mantissa < 1 << 53 && exponent >= -22 && exponent <= 22 {
            // Both operands exact: one correctly rounded operation.
            let power = powerOfTen(exponent < 0 ? -exponent : exponent)
            result = exponent < 0 ? Double(mantissa) / power : Double(mantissa) * power
        } else {
            result = Double(mantissa)
            var remaining = exponent
            while remaining > 0 && result.isFinite { result *= 10; remaining -= 1 }
            while remaining < 0 && result != 0 { result /= 10; remaining += 1 }
        }
        return negative ? -result : result
    }

    /// 10^n for 0 ≤ n ≤ 22, exact in Double.
    private static func powerOfTen(_ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<n { result *= 10 }
        return result
    }
}

/// `text` equals one of `literals`, byte for byte (no Unicode normalisation, which Embedded Swift
/// would pull in for `String ==`).
func textIs(_ text: String, _ literals: StaticString...) -> Bool {
    for literal in literals where staticStringEquals(literal, text.utf8) { return true }
    return false
}
