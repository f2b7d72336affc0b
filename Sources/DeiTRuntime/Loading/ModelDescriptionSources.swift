/// Builds a `ModelDescription` from its sources: `__metadata__`, then config.json, then the
/// architecture table (see ModelDescription.swift for the precedence).
extension ModelDescription {
    /// The description of a checkpoint with `metadata` and, when not nil, the bytes of the
    /// config.json beside it. `.format` naming the key for any malformed value of any source.
    package init(metadata: [(key: String, value: String)], configJSON: UnsafeRawBufferPointer?,
                 limits: LoadLimits = .default) throws(DeiTError) {
        self = .empty
        var fromMetadata = [DescriptionFact?](repeating: nil, count: DescriptionKey.all.count)
        for entry in metadata {
            let origin = "__metadata__ key \(quotedName(entry.key))"
            if staticStringEquals("init_values", entry.key.utf8) {
                let off = entry.value.isEmpty || textIs(entry.value, "None")
                if !off, DescriptionValue.parseDecimal(Array(entry.value.utf8)) == nil {
                    throw DeiTError(.format, "\(origin) is \(quotedName(entry.value)); expected a number or None")
                }
                if fromMetadata[DescriptionKey.layerScale.rawValue] == nil {
                    fromMetadata[DescriptionKey.layerScale.rawValue] = DescriptionFact(text: off ? "0" : "1", source: .metadata, origin: origin)
                }
                continue
            }
            guard let key = DescriptionKey.named(entry.key.utf8) else { continue }
            if key == .timmClass || key == .norm || key == .mlp || key == .block || key == .posEmbed { continue }
            if key == .architecture, fromMetadata[key.rawValue] != nil, !staticStringEquals("architecture", entry.key.utf8) {
                continue   // `architecture` wins over the older `timm_model`
            }
            fromMetadata[key.rawValue] = DescriptionFact(text: entry.value, source: .metadata, origin: origin)
        }
        var config: ConfigJSON?
        if let configJSON { config = try ConfigJSON(bytes: configJSON, limits: limits) }

        // The architecture names the table entry: metadata first, then config.json.
        var fromTable: [DescriptionFact?]?
        if let fact = fromMetadata[DescriptionKey.architecture.rawValue] ?? config?.facts[DescriptionKey.architecture.rawValue] {
            fromTable = ArchitectureLookup.facts(for: try DescriptionValue.word(fact))
        }

        // Lowest precedence first, so each source overwrites the one below; every value of every
        // source is parsed, so a malformed one is refused even when a higher source overrides it.
        let sources: [[DescriptionFact?]?] = [fromTable, config?.facts, fromMetadata]
        for source in sources {
            guard let source else { continue }
            for key in DescriptionKey.all {
                guard let fact = source[key.rawValue] else { continue }
                try apply(fact, as: key)
                raw[key.rawValue] = fact
            }
        }
        if let names = config?.labelNames {
            labelNames = try ClassNames(names, origin: "config.json key 'label_names'")
        }
    }

    /// Parses `fact` as `key`'s type and stores it.
    private mutating func apply(_ fact: DescriptionFact, as key: DescriptionKey) throws(DeiTError) {
        typealias V = DescriptionValue
        let source = fact.source
        switch key {
        case .architecture: architecture = Described(try V.word(fact), source)
        case .embedDim: embedDim = Described(try V.integer(fact, 1...(1 << 20)), source)
        case .depth: depth = Described(try V.integer(fact, 1...(1 << 20)), source)
        case .numHeads:   // 0 passes here and is refused against the embed dim, naming both
            guard let heads = V.parseInteger(Array(fact.text.utf8)), heads <= 1 << 20 else {
                throw DeiTError(.format, "\(fact.origin): num_heads \(quotedName(fact.text)) is not a decimal integer")
            }
            numHeads = Described(heads, source)
        case .patchSize: patchSize = Described(try V.squareSide(fact, channels: false), source)
        case .numClasses: numClasses = Described(try V.integer(fact, 0...(1 << 30)), source)
        case .pretrainedClasses: pretrainedClasses = Described(try V.integer(fact, 0...(1 << 30)), source)
        case .globalPool: globalPool = Described(try V.pooling(fact), source)
        case .classToken: classToken = Described(try V.boolean(fact), source)
        case .regTokens: regTokens = Described(try V.integer(fact, 0...(1 << 20)), source)
        case .noEmbedClass: noEmbedClass = Described(try V.boolean(fact), source)
        case .fcNorm:
            let isAuto = textIs(fact.text, "None") || fact.text.isEmpty
            fcNorm = Described(isAuto ? nil : try V.boolean(fact), source)
        case .qkvBias: qkvBias = Described(try V.boolean(fact), source)
        case .qkNorm: qkNorm = Described(try V.boolean(fact), source)
        case .layerScale: layerScale = Described(try V.boolean(fact), source)
        case .preNorm: preNorm = Described(try V.boolean(fact), source)
        case .distilled: distilled = Described(try V.boolean(fact), source)
        case .normEps: normEps = Described(try V.decimal(fact, 1e-30, 1), source)
        case .activation: activation = Described(try V.word(fact), source)
        case .inputSize: inputSize = Described(try V.squareSide(fact, channels: true), source)
        case .interpolation: interpolation = Described(try V.interpolation(fact), source)
        case .cropPct: cropPct = Described(try V.decimal(fact, 0.1, 1), source)
        case .cropMode: cropMode = Described(try V.cropMode(fact), source)
        case .mean: mean = Described(try V.triple(fact, positive: false), source)
        case .std: std = Described(try V.triple(fact, positive: true), source)
        case .timmClass: timmClass = try V.word(fact)
        case .norm, .mlp, .block, .posEmbed: unusualPart = ("\(key.name)", fact.text)
        }
    }
}
