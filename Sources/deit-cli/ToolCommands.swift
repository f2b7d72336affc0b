import DeiTKernelTable
import DeiTRuntime

/// `info`, `run` and `preprocess`: inspect a checkpoint, run raw tensors, write preprocessed tensors.
enum ToolCommands {
    static func info(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["model", "image-size", "precision"])
        let model = try loadModel(try args.required("model"), imageSize: try imageSizeOption(args),
                                  precision: try precisionOption(args))
        let c = model.config
        let trained = c.trainedGridSize * c.patchSize
        let arena = try attempt("arena") { () throws(DeiTError) in try Session.arenaBytes(for: model, threads: 1) }
        // The kernels a session would choose (DEIT_KERNEL_SET, else this CPU's best).
        let kernels = try attempt("kernel set") { () throws(DeiTError) in try KernelChoice.table(for: nil) }
        print("""
            image size     \(c.imageSize)\(c.imageSize == trained ? "" : " (trained at \(trained); pos_embed resampled)")
            patch size     \(c.patchSize)
            embed dim      \(c.embedDim)
            depth          \(c.depth)
            heads          \(c.numHeads) (head dim \(c.headDim))
            mlp hidden     \(c.mlpHiddenDim)
            classes        \(c.numClasses) (labels: \(model.classLabels.summary))
            tokens         \(c.numTokens)
            distilled      \(c.distilled ? "yes" : "no")
            parameters     \(model.parameterCount)
            weight bytes   \(model.weightBytes)
            arena bytes    \(arena)
            kernels        \(kernels.set.name) (\(kernels.gemmKernelName))
            precision      \(precisionDescription(model, kernels: kernels))
            """)
        if let cait = c.cait {
            // CaiT: `depth` counts the talking-heads patch blocks; the class token joins after them.
            print("""
                model          CaiT: \(c.depth) talking-heads blocks on the \(c.numPatches) patches, then \(cait.classAttentionDepth) class-attention blocks (mlp hidden \(cait.classAttentionHiddenDim)) on the class token; pooling \(c.globalPool == .token ? "class token" : "mean of the patch tokens")
                """)
        }
        let p = model.preprocessing
        func triple(_ v: SIMD3<Float>) -> String { "\(v[0]), \(v[1]), \(v[2])" }
        print("preprocessing (classify, preprocess):")
        print("  interpolation  \(p.interpolation.value.name)  (\(p.interpolation.source.name))")
        print("  crop pct       \(p.cropPct.value)  (\(p.cropPct.source.name))")
        print("  crop mode      \(p.cropMode.value.name)  (\(p.cropMode.source.name))")
        print("  mean           \(triple(p.mean.value))  (\(p.mean.source.name))")
        print("  std            \(triple(p.std.value))  (\(p.std.source.name))")
        print("  heads          \(c.numHeads)  (\(model.modelDescription.numHeads?.source.name ?? (c.cait != nil ? "tensor shapes: attn.proj_l" : "tensor shapes: embed dim / 64")))")
        let facts = model.modelDescription.facts
        if facts.isEmpty {
            print("description: none (no known __metadata__ keys, config.json or architecture): shapes and defaults")
        } else {
            print("description (each key's winning value and its source):")
            for fact in facts { print("  " + padded(fact.key, 18) + " " + fact.value + "  (" + fact.source.name + ")") }
        }
    }

    /// `quantize IN OUT`: the int8 file of a float checkpoint (`Int8FileWriter`).
    static func quantize(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: [], positionalsAllowed: true)
        guard args.positionals.count == 2 else {
            throw UsageError(message: "quantize takes IN.safetensors OUT.safetensors (\(args.positionals.count) given)")
        }
        let input = args.positionals[0], output = args.positionals[1]
        guard let data = readFile(input) else { throw Failure(message: "\(input): cannot read") }
        let configPath = (input.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/"))
        let config = readFile((configPath.isEmpty ? "." : configPath) + "/config.json")
        let bytes = try attempt(input) { () throws(DeiTError) in
            try withBytes(data) { raw throws(DeiTError) in
                if let config {
                    return try withBytes(config) { json throws(DeiTError) in try Int8FileWriter.quantize(raw, configJSON: json) }
                }
                return try Int8FileWriter.quantize(raw)
            }
        }
        let written = bytes.withUnsafeBytes { writeFile(output, $0) }
        guard written else { throw Failure(message: "\(output): cannot write") }
        print("\(output): int8, \(bytes.count) bytes (from \(data.count))")
    }

    static func readFloats(_ path: String) throws -> [Float] {
        guard let data = readFile(path) else { throw Failure(message: "\(path): cannot read") }
        guard data.count % 4 == 0 else { throw Failure(message: "\(path): \(data.count) bytes is not a whole number of float32 values") }
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    static func writeFloats(_ values: [Float], to path: String) throws {
        // float32 in memory order: little-endian on every target deit builds for.
        guard values.withUnsafeBytes({ writeFile(path, $0) }) else { throw Failure(message: "\(path): cannot write") }
    }

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["model", "input", "output", "threads", "image-size", "precision"])
        let model = try loadModel(try args.required("model"), imageSize: try imageSizeOption(args),
                                  precision: try precisionOption(args))
        let inputPath = try args.required("input"), outputPath = try args.required("output")
        let threads = try args.int("threads", default: 1, range: 1...Session.maxThreads)
        let input = try readFloats(inputPath)
        guard input.count == model.config.inputCount else {
            throw Failure(message: "\(inputPath): \(input.count) floats, but the model takes 3×\(model.config.imageSize)×\(model.config.imageSize) = \(model.config.inputCount)")
        }
        var logits = [Float](repeating: 0, count: model.config.outputDim)  // headless: the features
        try attempt(inputPath) { () throws(DeiTError) in
            let session = try Session(model: model, threads: threads)
            try input.withUnsafeBufferPointer { inputBuffer throws(DeiTError) in
                try logits.withUnsafeMutableBufferPointer { logitsBuffer throws(DeiTError) in
                    try session.run(input: inputBuffer, logits: logitsBuffer)
                }
            }
        }
        try writeFloats(logits, to: outputPath)
        // The five best classes in the runtime's order (larger logit first, ties by lower index, NaN last).
        let shown = min(5, model.config.numClasses)
        guard shown > 0 else { return }
        try attempt(outputPath) { () throws(DeiTError) in
            try logits.withUnsafeBufferPointer { buffer throws(DeiTError) in
                try TopK.select(logits: buffer, count: shown) { _, prediction in
                    print(format("%5ld  %10.4f", prediction.classIndex, Double(prediction.logit)))
                }
            }
        }
    }

    static func preprocess(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["model", "image-size", "crop-pct", "output"], positionalsAllowed: true)
        guard args.positionals.count == 1 else { throw UsageError(message: "preprocess needs exactly one IMAGE") }
        let imagePath = args.positionals[0], outputPath = try args.required("output")
        let size: Int
        var preprocessing: Preprocessing?
        // With a model, --image-size runs it at that size (as classify does, so the size is checked
        // against the patch size) with the model's own preprocessing; without one, it is the output
        // side with timm's ImageNet defaults.
        switch (args.string("model"), args.string("image-size")) {
        case (let path?, _):
            let model = try loadModel(path, imageSize: try imageSizeOption(args))
            size = model.config.imageSize
            preprocessing = model.preprocessing
        case (nil, .some): size = try args.int("image-size", default: 224, range: 1...4096)
        default: throw UsageError(message: "preprocess needs --model FILE or --image-size S (or both)")
        }
        let cropPct = try args.double("crop-pct")
        var output = [Float](repeating: 0, count: 3 * size * size)
        try attempt(imagePath) { () throws(DeiTError) in
            // The model's own preprocessing; with --image-size, timm's ImageNet defaults.
            let chosen: EvalTransform
            if let preprocessing {
                chosen = try preprocessing.transform(cropPct: cropPct)
            } else {
                chosen = try EvalTransform(imageSize: size, cropPct: cropPct)
            }
            let image = try withCPath(imagePath) { path throws(DeiTError) in try RGBImage.load(path: path) }
            try output.withUnsafeMutableBufferPointer { out throws(DeiTError) in
                guard let base = out.baseAddress else { return }
                try chosen.apply(to: image.view, output: base)
            }
        }
        try writeFloats(output, to: outputPath)
    }
}
