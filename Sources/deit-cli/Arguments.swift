/// A small hand-written parser: `--name value` options, `--flag` switches and positional words.
struct UsageError: Error { let message: String }
/// A failure to report in one line (naming the file and the reason); exit code 1.
struct Failure: Error { let message: String }

struct Arguments {
    private(set) var options: [String: String] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []

    /// Parses `words`; `valued` names take a value, `switches` do not; anything else is a usage error.
    init(_ words: ArraySlice<String>, valued: Set<String>, switches: Set<String> = [], positionalsAllowed: Bool = false) throws {
        var rest = words
        while let word = rest.popFirst() {
            if word == "--" { positionals += rest; break }
            if word.hasPrefix("--") {
                var name = String(word.dropFirst(2))
                var inlineValue: String?
                if let equals = name.firstIndex(of: "=") {
                    inlineValue = String(name[name.index(after: equals)...])
                    name = String(name[..<equals])
                }
                if switches.contains(name), inlineValue == nil {
                    flags.insert(name)
                } else if valued.contains(name) {
                    guard let value = inlineValue ?? rest.popFirst() else { throw UsageError(message: "--\(name) needs a value") }
                    options[name] = value
                } else {
                    throw UsageError(message: "unknown option '\(word)'")
                }
            } else if positionalsAllowed {
                positionals.append(word)
            } else {
                throw UsageError(message: "unexpected argument '\(word)'")
            }
        }
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }

    func string(_ name: String) -> String? { options[name] }

    func required(_ name: String) throws -> String {
        guard let value = options[name] else { throw UsageError(message: "missing --\(name)") }
        return value
    }

    func int(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = options[name] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw UsageError(message: "--\(name) needs an integer in \(range.lowerBound)…\(range.upperBound), not '\(text)'")
        }
        return value
    }

    func double(_ name: String) throws -> Double? {
        guard let text = options[name] else { return nil }
        guard let value = Double(text), value.isFinite else { throw UsageError(message: "--\(name) needs a number, not '\(text)'") }
        return value
    }
}
