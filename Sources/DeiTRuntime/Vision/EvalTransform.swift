/// timm's evaluation transform, bit for bit (given the same decoded pixels): resize the shorter side
/// to floor(S / crop_pct) (crop_mode `center`; `squash` resizes both sides to it) with Pillow's
/// antialiased bicubic or bilinear (torchvision `Resize`), centre-crop S×S (torchvision
/// `CenterCrop`), /255 (`ToTensor`), the model's mean/std (`Normalize`; ImageNet's by default), CHW
/// float32. crop_mode `border` and the other PIL filters are refused (`.unsupported`).
///
/// Only the S×S crop is computed: each output pixel depends on its own taps alone, so skipping the
/// cropped-away part changes no value. The horizontal pass is rounded to 8 bits before the vertical
/// one, as Pillow's two-pass resize does; the vertical sums accumulate in the output buffer itself,
/// so the only scratch is the weight tables, processed in chunks that fit any scratch size.
public struct EvalTransform: Sendable {
    /// Output side S (the model's image size).
    public let imageSize: Int
    /// Fraction of the resized shorter side the crop keeps.
    public let cropPct: Double
    /// floor(S / cropPct): the shorter side after resizing (248 for S = 224 at 0.9).
    public let resizedShorterSide: Int
    /// Per-channel mean and std (float32, as `torch.tensor(mean)`).
    public let mean: SIMD3<Float>
    public let std: SIMD3<Float>
    /// `.bicubic` or `.bilinear`.
    public let interpolation: Interpolation
    /// `.center` or `.squash`.
    public let cropMode: CropMode

    /// Scratch bytes `apply` is given by sessions (weights for one chunk of rows and columns).
    public static let scratchBytes = 64 * 1024

    /// timm's default for the model's size: 1.0 for 384-pixel models (their configs), else 0.9
    /// (DeiT's config; the original DeiT paper's protocol is 0.875).
    public static func defaultCropPct(imageSize: Int) -> Double { imageSize >= 384 ? 1.0 : 0.9 }

    /// Fails with `.invalidArgument` unless 1 ≤ S ≤ 65536 and 0.1 ≤ cropPct ≤ 1, `.unsupported`
    /// for interpolations other than bicubic and bilinear and for crop_mode `border`.
    public init(imageSize: Int, cropPct: Double? = nil, mean: SIMD3<Float> = EvalTransform.imageNetMean,
                std: SIMD3<Float> = EvalTransform.imageNetStd, interpolation: Interpolation = .bicubic,
                cropMode: CropMode = .center) throws(DeiTError) {
        guard interpolation == .bicubic || interpolation == .bilinear else {
            throw DeiTError(.unsupported, "interpolation '\(interpolation.name)' is not supported (bicubic and bilinear are)")
        }
        guard cropMode != .border else {
            throw DeiTError(.unsupported, "crop_mode 'border' is not supported (center and squash are)")
        }
        guard std[0] > 0, std[1] > 0, std[2] > 0 else {   // also false for NaN
            throw DeiTError(.invalidArgument, "std must be positive")
        }
        self.mean = mean
        self.std = std
        self.interpolation = interpolation
        self.cropMode = cropMode
        let pct = cropPct ?? EvalTransform.defaultCropPct(imageSize: imageSize)
        guard imageSize >= 1, imageSize <= 65536 else {
            throw DeiTError(.invalidArgument, "image size \(imageSize) is outside 1…65536")
        }
        guard pct >= 0.1, pct <= 1 else {   // also false for NaN
            throw DeiTError(.invalidArgument, "crop_pct must be between 0.1 and 1")
        }
        self.imageSize = imageSize
        self.cropPct = pct
        // Python: math.floor(img_size / crop_pct)
        resizedShorterSide = Int((Double(imageSize) / pct).rounded(.down))
    }

    /// The size torchvision's `Resize(resizedShorterSide)` gives an image of `width`×`height`: the
    /// shorter side becomes `resizedShorterSide`, the longer int(side · long / short) (truncated).
    public func resizedSize(width: Int, height: Int) throws(DeiTError) -> (width: Int, height: Int) {
        guard width >= 1, height >= 1 else {
            throw DeiTError(.invalidArgument, "image is \(width)×\(height) pixels")
        }
        if cropMode == .squash { return (resizedShorterSide, resizedShorterSide) }
        let short = width <= height ? width : height
        let long = width <= height ? height : width
        let (product, overflow) = resizedShorterSide.multipliedReportingOverflow(by: long)
        guard !overflow, product < 1 << 53 else {
            throw DeiTError(.invalidArgument, "image of \(width)×\(height) pixels is too large to resize")
        }
        let resizedLong = Int(Double(product) / Double(short))
        return width <= height ? (resizedShorterSide, resizedLong) : (resizedLong, resizedShorterSide)
    }

    /// torchvision's crop offset int(round(excess / 2)), with Python's round-half-to-even.
    static func centerOffset(excess: Int) -> Int {
        let half = excess / 2
        return excess % 2 == 1 && half % 2 == 1 ? half + 1 : half
    }

    /// Writes the model input for `pixels` to `output` (3·S·S floats, CHW). `scratch` may be any
    /// size of at least a few kilobytes, 4-byte aligned; more scratch means fewer chunks.
    public func apply(to pixels: RGBPixels, output: UnsafeMutablePointer<Float>,
                      scratch: UnsafeMutableRawBufferPointer) throws(DeiTError) {
        let s = imageSize
        guard pixels.width <= Int(Int32.max), pixels.height <= Int(Int32.max) else {
            throw DeiTError(.invalidArgument, "image of \(pixels.width)×\(pixels.height) pixels is too large")
        }
        let resized = try resizedSize(width: pixels.width, height: pixels.height)
        let left = EvalTransform.centerOffset(excess: resized.width - s)
        let top = EvalTransform.centerOffset(excess: resized.height - s)
        let horizontal = ResampleAxis(inputSize: pixels.width, outputSize: resized.width, bilinear: interpolation == .bilinear)
        let vertical = ResampleAxis(inputSize: pixels.height, outputSize: resized.height, bilinear: interpolation == .bilinear)

        // Scratch per column: its weights, first tap, tap count, 3 horizontally resampled values;
        // per row: its weights, first tap, tap count. All Int32.
        let perColumn = horizontal.maxTaps + 5, perRow = vertical.maxTaps + 2
        guard let scratchBase = scratch.baseAddress, Int(bitPattern: scratchBase) % 4 == 0 else {
            throw DeiTError(.invalidArgument, "preprocessing scratch is missing or misaligned")
        }
        let budget = scratch.count / 4
        var columnsPerChunk = s, rowsPerChunk = s
        if s * perColumn + s * perRow > budget {
            columnsPerChunk = min(s, budget / 2 / perColumn)
            rowsPerChunk = columnsPerChunk < 1 ? 0 : min(s, (budget - columnsPerChunk * perColumn) / perRow)
        }
        guard columnsPerChunk >= 1, rowsPerChunk >= 1 else {
            throw DeiTError(.unsupported,
                            "image of \(pixels.width)×\(pixels.height) pixels needs more preprocessing scratch than \(scratch.count) bytes")
        }

        let ints = scratchBase.bindMemory(to: Int32.self, capacity: budget)
        let tables = ChunkTables(
            columnWeights: ints, columnFirst: ints + columnsPerChunk * horizontal.maxTaps,
            columnCount: ints + columnsPerChunk * (horizontal.maxTaps + 1),
            rowValues: ints + columnsPerChunk * (horizontal.maxTaps + 2),
            rowWeights: ints + columnsPerChunk * perColumn,
            rowFirst: ints + columnsPerChunk * perColumn + rowsPerChunk * vertical.maxTaps,
            rowCount: ints + columnsPerChunk * perColumn + rowsPerChunk * (vertical.maxTaps + 1))

        let planeCount = s * s
        output.withMemoryRebound(to: Int32.self, capacity: 3 * planeCount) { sums in
            // (3, S, S) fixed-point vertical sums, each starting at one half for rounding.
            sums.update(repeating: ResampleAxis.roundingHalf, count: 3 * planeCount)
            var y0 = 0
            while y0 < s {
                let rows = min(rowsPerChunk, s - y0)
                for j in 0..<rows {
                    let taps = vertical.taps(at: top + y0 + j, weights: tables.rowWeights + j * vertical.maxTaps)
                    tables.rowFirst[j] = Int32(truncatingIfNeeded: taps.first)
                    tables.rowCount[j] = Int32(truncatingIfNeeded: taps.count)
                }
                var x0 = 0
                while x0 < s {
                    let columns = min(columnsPerChunk, s - x0)
                    for i in 0..<columns {
                        let taps = horizontal.taps(at: left + x0 + i, weights: tables.columnWeights + i * horizontal.maxTaps)
                        tables.columnFirst[i] = Int32(truncatingIfNeeded: taps.first)
                        tables.columnCount[i] = Int32(truncatingIfNeeded: taps.count)
                    }
                    accumulateChunk(pixels: pixels, tables: tables, horizontalTaps: horizontal.maxTaps,
                                    verticalTaps: vertical.maxTaps, rows: rows, columns: columns,
                                    sums: sums + y0 * s + x0, planeCount: planeCount, rowPitch: s)
                    x0 += columns
                }
                y0 += rows
            }
            normalize(sums: sums, planeCount: planeCount)
        }
    }

    /// As `apply(to:output:scratch:)` into a buffer that must hold exactly 3·S·S floats.
    public func apply(to pixels: RGBPixels, output: UnsafeMutableBufferPointer<Float>,
                      scratch: UnsafeMutableRawBufferPointer) throws(DeiTError) {
        guard let base = output.baseAddress, output.count == 3 * imageSize * imageSize else {
            throw DeiTError(.invalidArgument, "preprocessing output has \(output.count) floats; it must have 3×\(imageSize)×\(imageSize)")
        }
        try apply(to: pixels, output: base, scratch: scratch)
    }

    /// As `apply(to:output:scratch:)` with a scratch of `scratchBytes` allocated for this call.
    public func apply(to pixels: RGBPixels, output: UnsafeMutablePointer<Float>) throws(DeiTError) {
        let scratch = try AlignedBuffer(byteCount: EvalTransform.scratchBytes, purpose: "preprocessing scratch")
        try apply(to: pixels, output: output,
                  scratch: UnsafeMutableRawBufferPointer(start: scratch.raw, count: scratch.byteCount))
    }

    /// Pointers into the scratch for one chunk (all Int32).
    private struct ChunkTables {
        let columnWeights: UnsafeMutablePointer<Int32>   // (columns, maxTaps_h)
        let columnFirst: UnsafeMutablePointer<Int32>     // (columns)
        let columnCount: UnsafeMutablePointer<Int32>     // (columns)
        let rowValues: UnsafeMutablePointer<Int32>       // (3, columns) one input row, resampled horizontally
        let rowWeights: UnsafeMutablePointer<Int32>      // (rows, maxTaps_v)
        let rowFirst: UnsafeMutablePointer<Int32>        // (rows)
        let rowCount: UnsafeMutablePointer<Int32>        // (rows)
    }

    /// Streams the input rows this chunk's output rows use: each row is resampled horizontally (and
    /// rounded to 8 bits), then added with its vertical weight to every output row whose taps hold it.
    private func accumulateChunk(pixels: RGBPixels, tables t: ChunkTables, horizontalTaps: Int, verticalTaps: Int,
                                 rows: Int, columns: Int, sums: UnsafeMutablePointer<Int32>,
                                 planeCount: Int, rowPitch: Int) {
        let firstInputRow = Int(t.rowFirst[0])
        let endInputRow = Int(t.rowFirst[rows - 1]) + Int(t.rowCount[rows - 1])   // both bounds are monotone
        var firstOutputRow = 0
        var inputRow = firstInputRow
        while inputRow < endInputRow {
            let source = pixels.base + inputRow * pixels.strideBytes
            for i in 0..<columns {
                let weights = t.columnWeights + i * horizontalTaps
                var pixel = source + Int(t.columnFirst[i]) * 3
                var red = ResampleAxis.roundingHalf, green = red, blue = red
                for tap in 0..<Int(t.columnCount[i]) {
                    let weight = weights[tap]
                    red &+= Int32(pixel[0]) &* weight
                    green &+= Int32(pixel[1]) &* weight
                    blue &+= Int32(pixel[2]) &* weight
                    pixel += 3
                }
                t.rowValues[i] = ResampleAxis.clip8(red)
                t.rowValues[columns + i] = ResampleAxis.clip8(green)
                t.rowValues[2 * columns + i] = ResampleAxis.clip8(blue)
            }
            while firstOutputRow < rows, Int(t.rowFirst[firstOutputRow]) + Int(t.rowCount[firstOutputRow]) <= inputRow {
                firstOutputRow += 1
            }
            var j = firstOutputRow
            while j < rows, Int(t.rowFirst[j]) <= inputRow {
                let weight = t.rowWeights[j * verticalTaps + inputRow - Int(t.rowFirst[j])]
                for channel in 0..<3 {
                    let target = sums + channel * planeCount + j * rowPitch
                    let values = t.rowValues + channel * columns
                    for i in 0..<columns { target[i] &+= weight &* values[i] }
                }
                j += 1
            }
            inputRow += 1
        }
    }

    /// Fixed-point sums → 8-bit pixels → (v / 255 − mean) / std in float32, written over the sums as
    /// float bit patterns (torchvision computes exactly these float32 operations).
    private func normalize(sums: UnsafeMutablePointer<Int32>, planeCount: Int) {
        for channel in 0..<3 {
            let mean = self.mean[channel], std = self.std[channel]
            let plane = sums + channel * planeCount
            for i in 0..<planeCount {
                let value = Float(ResampleAxis.clip8(plane[i])) / 255
                plane[i] = Int32(bitPattern: ((value - mean) / std).bitPattern)
            }
        }
    }

    /// ImageNet mean and std as float32 (the bit patterns of torch.tensor([0.485, …], dtype=float32)).
    public static let imageNetMean: SIMD3<Float> = [Float(bitPattern: 0x3EF8_51EC), Float(bitPattern: 0x3EE9_78D5),
                                     Float(bitPattern: 0x3ECF_DF3B)]
    public static let imageNetStd: SIMD3<Float> = [Float(bitPattern: 0x3E6A_7EFA), Float(bitPattern: 0x3E65_6042),
                                    Float(bitPattern: 0x3E66_6666)]
}
