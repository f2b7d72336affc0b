import CDeiTSupport
import DeiT
import Glibc

// libFuzzer target: arbitrary bytes as a model's timm config.json, through
// deit_load_options.config_json with a fixed small checkpoint (config.json is untrusted input as much
// as the safetensors file: it names the preprocessing, the labels and architecture options). A model
// that loads must answer every query, name every class or none, and preprocess an image with the
// described transform, or refuse it with a documented status.

/// The checkpoint the configs describe: read once per process (relative to the repository root, where
/// scripts/fuzz.sh runs the fuzzers).
private let checkpoint: [UInt8] = {
    let path = fixturePath("DEIT_FUZZ_CONFIG_MODEL", fallback: "Tests/Fixtures/malformed/valid_tiny.safetensors")
    guard let file = fopen(path, "rb") else {
        fputs("fuzz set-up: cannot open fixture model '\(path)'\n", stderr)
        exit(2)
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return bytes
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var options = deit_load_options()
    deit_load_options_default(&options)
    var model: OpaquePointer?
    options.config_json = UnsafeRawPointer(data)?.assumingMemoryBound(to: CChar.self)
    options.config_json_size = size
    let status = checkpoint.withUnsafeBytes { deit_model_load_memory_with_options($0.baseAddress, $0.count, &options, &model) }
    guard status == DEIT_OK else {
        guard model == nil else { fuzzFailure("failed load left *out_model set") }
        checkFailure(status, allowed: [DEIT_ERR_INVALID_ARGUMENT, DEIT_ERR_FORMAT, DEIT_ERR_UNSUPPORTED, DEIT_ERR_OUT_OF_MEMORY],
                     "deit_model_load_memory_with_options(config_json)")
        return 0
    }
    guard let model else { fuzzFailure("DEIT_OK without a model") }
    defer { deit_model_free(model) }

    let info = modelInfo(model)
    guard info.image_size > 0, info.num_tokens > 0, info.num_classes >= 0 else {
        fuzzFailure("implausible info: image \(info.image_size) tokens \(info.num_tokens) classes \(info.num_classes)")
    }
    // The labels: all present or all absent (label_names must match num_classes), each a C string.
    var named = 0
    for index in 0..<info.num_classes {
        if let label = deit_class_label(model, index) {
            named += 1
            _ = strlen(label)
        }
    }
    guard named == 0 || named == Int(info.num_classes) else { fuzzFailure("\(named) of \(info.num_classes) classes named") }
    guard deit_class_label(model, -1) == nil, deit_class_label(model, info.num_classes) == nil else {
        fuzzFailure("deit_class_label answered an out-of-range index")
    }

    // The described preprocessing (mean, std, crop_pct, crop mode, interpolation) on a small image.
    let width: Int32 = 7, height: Int32 = 5
    let rgb = (0..<Int(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
    var output = [Float](repeating: 0, count: 3 * Int(info.image_size) * Int(info.image_size))  // 3×S×S
    let preprocessed = output.withUnsafeMutableBufferPointer { out in
        deit_preprocess_rgb8(model, rgb, width, height, width * 3, out.baseAddress, out.count)
    }
    if preprocessed == DEIT_OK {
        guard output.allSatisfy({ $0.isFinite }) else { fuzzFailure("preprocessing wrote a non-finite value") }
    } else {
        checkFailure(preprocessed, allowed: [DEIT_ERR_UNSUPPORTED, DEIT_ERR_OUT_OF_MEMORY], "deit_preprocess_rgb8")
    }
    return 0
}
