import CDeiTImageWrite
import DeiTRuntime

/// `explain`: where the model looks. Attention rollout (`AttentionAnalysis.rollout` over every
/// block's full maps) read from the class token's row, as a heat-map blended over the centre crop the
/// model saw, written as a PNG; the top-5 on stdout. `--per-head` writes instead a grid with one
/// tile per head: the last block's class-token attention of that head.
enum ExplainCommand {
    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["model", "threads", "crop-pct", "image-size", "output", "alpha", "max-image-bytes", "max-pixels"],
                                 switches: ["per-head"], positionalsAllowed: true)
        let options = try ClassifyCommand.ImageRunOptions(args, command: "explain")
        guard options.files.count == 1 else { throw UsageError(message: "explain takes one IMAGE") }
        let output = try args.required("output")
        let perHead = args.has("per-head")
        let alpha = Float(try args.double("alpha") ?? 0.5)
        guard (0...1).contains(alpha) else { throw UsageError(message: "--alpha must be between 0 and 1") }
        let model = try loadModel(options.modelPath, imageSize: try imageSizeOption(args))
        let config = model.config
        let session = try attempt(options.modelPath) { () throws(DeiTError) in try Session(model: model, threads: options.threads) }
        let file = options.files[0]

        // Decode and preprocess as classify does; keep a copy of the input (the run reuses the slot).
        let input: [Float] = try attempt(file) { () throws(DeiTError) -> [Float] in
            try withCPath(file) { path throws(DeiTError) -> [Float] in
                let image = try RGBImage.load(path: path, limits: options.limits)
                try session.prepareInput(image.view, cropPct: options.cropPct)
                return Array(session.preparedInput)
            }
        }
        let t = config.numTokens, heads = config.numHeads, depth = config.depth
        var logits = [Float](repeating: 0, count: config.outputDim)
        let blocks = perHead ? (depth - 1)..<depth : 0..<depth
        var maps = [Float](repeating: 0, count: session.attentionMapCount(blocks: blocks.count, rows: perHead ? .prefix : .all))
        try attempt(file) { () throws(DeiTError) in
            try input.withUnsafeBufferPointer { input throws(DeiTError) in
                try logits.withUnsafeMutableBufferPointer { logits throws(DeiTError) in
                    try maps.withUnsafeMutableBufferPointer { maps throws(DeiTError) in
                        try session.runAttention(input: input, logits: config.hasHead ? logits : nil, blocks: blocks,
                                                 rows: perHead ? .prefix : .all, maps: maps)
                    }
                }
            }
        }

        let side = config.imageSize / config.patchSize, prefix = config.numPrefixTokens
        let crop = cropPixels(input, size: config.imageSize, preprocessing: model.preprocessing)
        var tiles: [[Float]] = []   // each: side × side weights over the patches
        if perHead {
            for head in 0..<heads {
                let row = head * prefix * t   // the class token's row of this head
                tiles.append(Array(maps[(row + prefix)..<(row + t)]))
            }
        } else {
            var rollout = [Float](repeating: 0, count: t * t)
            try attempt(file) { () throws(DeiTError) in
                try maps.withUnsafeBufferPointer { maps throws(DeiTError) in
                    try rollout.withUnsafeMutableBufferPointer { out throws(DeiTError) in
                        try AttentionAnalysis.rollout(maps: maps, shape: .init(blocks: depth, heads: heads, tokens: t), into: out)
                    }
                }
            }
            tiles.append(Array(rollout[prefix..<t]))   // row 0: the class token
        }
        let columns = Int(Double(tiles.count).squareRoot().rounded(.up))
        let rows = (tiles.count + columns - 1) / columns
        let s = config.imageSize
        var picture = [UInt8](repeating: 255, count: columns * s * rows * s * 3)
        for (index, tile) in tiles.enumerated() {
            let overlay = heatMapOverlay(tile, side: side, patchSize: config.patchSize, crop: crop, size: s, alpha: alpha)
            let x0 = (index % columns) * s, y0 = (index / columns) * s
            for y in 0..<s {
                let destination = ((y0 + y) * columns * s + x0) * 3
                picture.replaceSubrange(destination..<(destination + s * 3), with: overlay[(y * s * 3)..<((y + 1) * s * 3)])
            }
        }
        guard deit_write_png_rgb8(output, Int32(columns * s), Int32(rows * s), picture) != 0 else {
            throw Failure(message: "\(output): cannot write the PNG")
        }

        if config.hasHead {
            let labels = ClassifyCommand.modelLabels(model)
            var top: [Prediction] = []
            try attempt(file) { () throws(DeiTError) in
                try logits.withUnsafeBufferPointer { logits throws(DeiTError) in
                    try TopK.select(logits: logits, count: min(5, logits.count)) { _, prediction in top.append(prediction) }
                }
            }
            ClassifyCommand.report(file: file, top: top, labels: labels, json: false, times: (0, 0, 0))
        }
        print("\(perHead ? "per-head attention of the last block's class token" : "attention rollout") (\(tiles.count) tile\(tiles.count == 1 ? "" : "s"), \(columns * s)×\(rows * s)) → \(output)")
    }

    /// The centre crop the model saw, back in 8-bit RGB (HWC): x · std + mean, × 255.
    static func cropPixels(_ input: [Float], size: Int, preprocessing: Preprocessing) -> [UInt8] {
        let mean = preprocessing.mean.value, std = preprocessing.std.value
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for channel in 0..<3 {
            for i in 0..<(size * size) {
                let value = (input[channel * size * size + i] * std[channel] + mean[channel]) * 255
                pixels[i * 3 + channel] = UInt8(max(0, min(255, value.rounded())))
            }
        }
        return pixels
    }

    /// `weights` (side × side patches) normalised to [0, 1] by its maximum, upsampled bilinearly
    /// between patch centres to size × size, coloured (blue → red) and blended over `crop` with
    /// weight `alpha` (1: the heat-map alone).
    static func heatMapOverlay(_ weights: [Float], side: Int, patchSize: Int, crop: [UInt8], size: Int, alpha: Float) -> [UInt8] {
        let peak = weights.max() ?? 0
        let scale = peak > 0 ? 1 / peak : 0
        var out = [UInt8](repeating: 0, count: size * size * 3)
        func grid(_ pixel: Int) -> (Int, Int, Float) {
            let position = max(0, min(Float(side - 1), (Float(pixel) + 0.5) / Float(patchSize) - 0.5))
            let low = Int(position)
            return (low, min(low + 1, side - 1), position - Float(low))
        }
        for y in 0..<size {
            let (y0, y1, fy) = grid(y)
            for x in 0..<size {
                let (x0, x1, fx) = grid(x)
                let top = weights[y0 * side + x0] * (1 - fx) + weights[y0 * side + x1] * fx
                let bottom = weights[y1 * side + x0] * (1 - fx) + weights[y1 * side + x1] * fx
                let value = max(0, min(1, (top * (1 - fy) + bottom * fy) * scale))
                let colour = jet(value)
                for channel in 0..<3 {
                    let index = (y * size + x) * 3 + channel
                    out[index] = UInt8((Float(crop[index]) * (1 - alpha) + colour[channel] * alpha).rounded())
                }
            }
        }
        return out
    }

    /// The "jet" colour map: 0 blue, 0.5 green-yellow, 1 red (0…255 per channel).
    static func jet(_ v: Float) -> [Float] {
        func ramp(_ x: Float) -> Float { max(0, min(1, x)) * 255 }
        return [ramp(1.5 - abs(4 * v - 3)), ramp(1.5 - abs(4 * v - 2)), ramp(1.5 - abs(4 * v - 1))]
    }
}
