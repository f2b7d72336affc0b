import DeiTRuntime

/// `embed`: the pooled features (timm's `forward_head(x, pre_logits=True)`, D floats) of JPEG/PNG
/// files and directories of them, after the same eval transform as `classify`. Works for every
/// model, headless (num_classes=0) or not.
enum EmbedCommand {
    /// Values shown per image in the human-readable output.
    static let shownValues = 6

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["model", "threads", "crop-pct", "max-image-bytes", "max-pixels", "image-size"],
                                 switches: ["json"], positionalsAllowed: true)
        let options = try ClassifyCommand.ImageRunOptions(args, command: "embed")
        let model = try loadModel(options.modelPath, imageSize: try imageSizeOption(args))
        let dim = model.config.featureDim
        let session = try attempt(options.modelPath) { () throws(DeiTError) in try Session(model: model, threads: options.threads) }
        var features = [Float](repeating: 0, count: dim)
        try ClassifyCommand.forEachImage(options, session: session) { () throws(DeiTError) -> Void in
            try features.withUnsafeMutableBufferPointer { buffer throws(DeiTError) in
                try session.embedPreparedInput(into: buffer)
            }
        } report: { file, _, times in
            report(file: file, features: features, json: options.json, times: times)
        }
    }

    static func report(file: String, features: [Float], json: Bool,
                       times: (decode: Double, preprocess: Double, infer: Double)) {
        var sumOfSquares = 0.0
        for value in features { sumOfSquares += Double(value) * Double(value) }
        let norm = sumOfSquares.squareRoot()
        if json {
            // 9 significant digits: every Float32 reads back exactly.
            let values = features.map { jsonNumber(Double($0), digits: 9) }.joined(separator: ",")
            print("{\"file\":\(jsonString(file)),\"dim\":\(features.count),\"norm\":\(jsonNumber(norm, digits: 7)),\"features\":[\(values)],\"decode_ms\":\(jsonNumber(times.decode, digits: 4)),\"preprocess_ms\":\(jsonNumber(times.preprocess, digits: 4)),\"infer_ms\":\(jsonNumber(times.infer, digits: 4))}")
        } else {
            let shown = features.prefix(shownValues).map { format("%.4f", Double($0)) }.joined(separator: " ")
            print(file + format("  dim %ld  norm %.4f  [", features.count, norm) + shown
                  + (features.count > shownValues ? " …]" : "]"))
        }
    }
}
