import CDeiTImage
import CDeiTSupport
import DeiT
import Glibc

// libFuzzer target: the whole classify path of the C API, bytes → deit_classify_file (read, sniff,
// limits, decode, eval transform, forward pass, top-k) with a small fixture model and one session
// made once. Each input is written to a scratch file first, since the API takes a path.
// Images whose header is within the default limits but above `maxPixelsRun` are skipped: decoding
// 50 megapixels of filler under ASan takes seconds, which would read as timeouts, not bugs (the
// image target fuzzes the same checks with small limits).

/// Largest image (by its header) classified; larger ones within the limits are skipped.
private let maxPixelsRun = 4_000_000

/// The fixture model: vit_ragged (112-pixel images, 37 classes), the smallest conformance model.
private let model = loadFixtureModel(fixturePath("DEIT_FUZZ_CLASSIFY_MODEL",
                                                 fallback: "Tests/Fixtures/conformance/vit_ragged/model.safetensors"))
private let numClasses = Int(modelInfo(model).num_classes)

private let session: OpaquePointer = {
    var session: OpaquePointer?
    guard deit_session_create(model, 1, nil, 0, &session) == DEIT_OK, let session else {
        fputs("fuzz set-up: deit_session_create failed: \(String(cString: deit_last_error()))\n", stderr)
        exit(2)
    }
    return session
}()

/// Where each input is written: $DEIT_FUZZ_TMPDIR (scripts/fuzz.sh: its build directory) or /tmp,
/// one file per process so parallel jobs do not collide.
private let imagePath: String = fixturePath("DEIT_FUZZ_TMPDIR", fallback: "/tmp") + "/classify-input-\(getpid()).img"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClassify(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if isSlowButValid(data, size) { return -1 }  // -1: not added to the corpus
    writeInput(data, size)
    let k = 1 + size % min(5, numClasses)
    var top = [deit_prediction](repeating: deit_prediction(class_index: -1, logit: .nan, probability: .nan), count: k)
    let status = top.withUnsafeMutableBufferPointer { top in
        deit_classify_file(session, imagePath, Int32(k), top.baseAddress)
    }
    guard status == DEIT_OK else {
        checkFailure(status, allowed: [DEIT_ERR_FORMAT, DEIT_ERR_UNSUPPORTED, DEIT_ERR_OUT_OF_MEMORY], "deit_classify_file")
        return 0
    }
    // Top-k contract: distinct valid classes, best first, probabilities in [0, 1].
    for rank in 0..<k {
        let prediction = top[rank]
        guard prediction.class_index >= 0, Int(prediction.class_index) < numClasses else {
            fuzzFailure("rank \(rank): class index \(prediction.class_index) outside 0..<\(numClasses)")
        }
        guard prediction.probability >= 0, prediction.probability <= 1 else {
            fuzzFailure("rank \(rank): probability \(prediction.probability) outside [0, 1]")
        }
        guard rank == 0 || !(top[rank - 1].logit < prediction.logit) else {
            fuzzFailure("rank \(rank): logit \(prediction.logit) above rank \(rank - 1)'s \(top[rank - 1].logit)")
        }
        guard !top[..<rank].contains(where: { $0.class_index == prediction.class_index }) else {
            fuzzFailure("class \(prediction.class_index) listed twice")
        }
    }
    return 0
}

/// True when the header declares an image within the default limits (16384 per side, 50 Mpx) but
/// above `maxPixelsRun`.
private func isSlowButValid(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Bool {
    guard let data else { return false }
    var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
    guard deit_image_info(data, size, &width, &height, &channels) != 0 else { return false }
    let pixels = Int(width) * Int(height)
    return width <= 16384 && height <= 16384 && pixels > maxPixelsRun && pixels <= 50_000_000
}

/// Replaces the scratch file's contents with the input.
private func writeInput(_ data: UnsafePointer<UInt8>?, _ size: Int) {
    let descriptor = open(imagePath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard descriptor >= 0 else { fuzzFailure("cannot write \(imagePath)") }
    defer { close(descriptor) }
    var written = 0
    while written < size, let data {
        let result = write(descriptor, data + written, size - written)
        guard result > 0 else { fuzzFailure("cannot write \(imagePath)") }
        written += result
    }
}
