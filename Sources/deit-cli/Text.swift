#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// printf-style formatting through C's `vsnprintf` (in the "C" locale, as deit-cli never sets one).
/// Numbers only: pass `Int` with `%ld`, `Double` (or `Float`, promoted) with `%f`/`%g`; strings are
/// joined in Swift (see `padded`), as there is no `%@`.
func format(_ spec: String, _ arguments: CVarArg...) -> String {
    var capacity = 256
    while true {
        var buffer = [CChar](repeating: 0, count: capacity)
        let length = withVaList(arguments) { list in vsnprintf(&buffer, capacity, spec, list) }
        guard length >= 0 else { return "" }
        if Int(length) < capacity {
            return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        capacity = Int(length) + 1
    }
}

/// `text` followed by spaces up to `width` characters (`%-Ns` for Swift strings).
func padded(_ text: String, _ width: Int) -> String {
    let count = text.count
    return count >= width ? text : text + String(repeating: " ", count: width - count)
}

/// A JSON string literal.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += format("\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// A JSON number (finite floats; null otherwise).
func jsonNumber(_ value: Double, digits: Int = 6) -> String {
    value.isFinite ? format("%.\(digits)g", value) : "null"
}
