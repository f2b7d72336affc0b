/// Looks architecture names up in the generated `ArchitectureTable` (one line per timm ViT-family
/// architecture, `name key=value …`, then `name.tag key=value …` lines for tags whose preprocessing
/// or class count differs from the architecture's default tag).
enum ArchitectureLookup {
    /// The facts for `architecture` ("vit_base_patch16_224" or "vit_base_patch16_224.augreg_in21k"):
    /// the architecture's line, overridden by the tag's line when there is one. nil when the
    /// architecture is not in the table (an unknown tag alone falls back to the architecture).
    static func facts(for architecture: String) -> [DescriptionFact?]? {
        let name = Array(architecture.utf8)
        let base = name.firstIndex(of: UInt8(ascii: ".")).map { Array(name[..<$0]) } ?? name
        guard let baseLine = line(named: base) else { return nil }
        var facts = [DescriptionFact?](repeating: nil, count: DescriptionKey.all.count)
        add(baseLine, name: base, to: &facts)
        if base.count != name.count, let tagLine = line(named: name) { add(tagLine, name: name, to: &facts) }
        return facts
    }

    /// Every line of the table, as byte ranges of `ArchitectureTable.text`.
    private static func line(named name: [UInt8]) -> UnsafeBufferPointer<UInt8>? {
        let text = ArchitectureTable.text
        let bytes = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            if end - start > name.count, bytes[start + name.count] == UInt8(ascii: " "),
               bytes[start..<(start + name.count)].elementsEqual(name) {
                return UnsafeBufferPointer(rebasing: bytes[(start + name.count + 1)..<end])
            }
            start = end + 1
        }
        return nil
    }

    /// Adds a line's `key=value` pairs (unknown keys are ignored).
    private static func add(_ line: UnsafeBufferPointer<UInt8>, name: [UInt8], to facts: inout [DescriptionFact?]) {
        let origin = "architecture table entry \(quotedName(name))"
        for pair in line.split(separator: UInt8(ascii: " ")) {
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")),
                  let key = DescriptionKey.named(pair[pair.startIndex..<equals]) else { continue }
            let value = String(decoding: pair[(equals + 1)...], as: UTF8.self)
            facts[key.rawValue] = DescriptionFact(text: value, source: .architectureTable,
                                                  origin: "\(origin) key '\(key.name)'")
        }
    }
}
