import DeiTKernelTable
import DeiTRuntime

/// Runs a typed-throwing runtime call, turning its error into a one-line failure naming `subject`.
func attempt<T>(_ subject: String, _ body: () throws(DeiTError) -> T) throws -> T {
    do throws(DeiTError) {
        return try body()
    } catch {
        throw Failure(message: "\(subject): \(error.status.name): \(error.message)")
    }
}

/// `body` with a C string, keeping its typed error (`withCString` rethrows untyped).
func withCPath<T>(_ path: String, _ body: (UnsafePointer<CChar>) throws(DeiTError) -> T) throws(DeiTError) -> T {
    let result: Result<T, DeiTError> = path.withCString { cPath in
        do throws(DeiTError) { return .success(try body(cPath)) } catch { return .failure(error) }
    }
    return try result.get()
}

/// `body` with the bytes of `array`, keeping its typed error.
func withBytes<T>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(DeiTError) -> T) throws(DeiTError) -> T {
    let result: Result<T, DeiTError> = array.withUnsafeBytes { raw in
        do throws(DeiTError) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
}

/// Loads `path`, run at `imageSize` pixels (0: as trained; another multiple of the patch size
/// resamples pos_embed at load), at `precision` (`.int8` quantises the blocks at load; nil: the
/// file's precision).
func loadModel(_ path: String, imageSize: Int = 0, precision: Precision? = nil) throws -> Model {
    try attempt(path) { () throws(DeiTError) in
        try withCPath(path) { cPath throws(DeiTError) in
            try Model.load(path: cPath, imageSize: imageSize, precision: precision)
        }
    }
}

/// `--precision f32|int8` (nil when absent: the file's precision, f32 for a float checkpoint).
func precisionOption(_ args: Arguments) throws -> Precision? {
    guard let name = args.string("precision") else { return nil }
    guard let precision = Precision(name: name) else {
        throw UsageError(message: "--precision \(name): use f32 or int8")
    }
    return precision
}

/// What `bench` and `info` print for the precision and where it came from, e.g.
/// `int8 (from the file, stored int8; blocks' Linear layers: qd8_f32_qc7w_gemm_6x16c4__avx2; …)`: the int8 kernel of
/// `kernels` (a session's, or for `info` the automatic choice's).
func precisionDescription(_ model: Model, kernels: KernelTable) -> String {
    let origin: String
    switch model.precisionSource {
    case .default: origin = "default"
    case .loadOption: origin = model.precision == .int8 ? "from --precision, quantised at load" : "from --precision"
    case .file: origin = "from the file, stored int8"
    }
    switch model.precision {
    case .f32: return "f32 (\(origin))"
    case .int8:
        let attention = model.attentionOn16Bits(kernels: kernels)
            ? (model.config.cait == nil ? "attention's Q·Kᵀ and E·V on 16-bit integers, softmax f32"
                : "class attention's Q·Kᵀ and E·V on 16-bit integers, talking-heads attention f32")
            : "attention f32"
        return "int8 (\(origin); blocks' Linear layers: \(kernels.int8GEMMKernelName); head(s) int8 too; patch embedding f32 on binary16 weights; \(attention))"
    }
}

/// `--image-size S`: the side to run the model at (0 when absent: as trained). Whether S is a
/// multiple of the model's patch size is checked at load.
func imageSizeOption(_ args: Arguments) throws -> Int {
    try args.int("image-size", default: 0, range: 1...65_536)
}

func milliseconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e6 }

/// Latency statistics over samples in milliseconds.
struct LatencyStats {
    let count: Int, min: Double, median: Double, p90: Double, p99: Double, mean: Double, std: Double

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            // Linear interpolation between closest ranks (numpy's default).
            let position = p / 100 * Double(sorted.count - 1)
            let lower = Int(position), upper = Swift.min(lower + 1, sorted.count - 1)
            return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
        }
        min = sorted.first ?? .nan
        median = percentile(50); p90 = percentile(90); p99 = percentile(99)
        mean = sorted.isEmpty ? .nan : sorted.reduce(0, +) / Double(sorted.count)
        let m = mean
        std = sorted.count < 2 ? 0 : (sorted.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(sorted.count - 1)).squareRoot()
    }

    var text: String {
        format("min %.3f  median %.3f  p90 %.3f  p99 %.3f  mean %.3f  std %.3f ms", min, median, p90, p99, mean, std)
    }

    var json: String {
        "{\"min\":\(jsonNumber(min)),\"median\":\(jsonNumber(median)),\"p90\":\(jsonNumber(p90)),\"p99\":\(jsonNumber(p99)),\"mean\":\(jsonNumber(mean)),\"std\":\(jsonNumber(std))}"
    }
}
