import CDeiTSupport
import DeiT
import DeiTRuntime

// libFuzzer target: arbitrary bytes as a JPEG/PNG through the in-memory decoder (RGBImage.decode:
// format sniffing, header limits, completeness checks, stb_image), then the eval transform twice:
// through deit_preprocess_rgb8 into a small fixture model's input, and through EvalTransform
// directly with an image size, crop fraction and scratch size picked from the input's length.

/// Tighter than ImageLimits.default (same checks, smaller numbers) so one input stays fast.
private let limits = ImageLimits(maxFileBytes: 1 << 20, maxWidth: 4096, maxHeight: 4096, maxPixels: 1 << 20)

/// The fixture model (valid_tiny: 4×4 images) whose input deit_preprocess_rgb8 writes.
private let model = loadFixtureModel(fixturePath("DEIT_FUZZ_IMAGE_MODEL",
                                                 fallback: "Tests/Fixtures/malformed/valid_tiny.safetensors"))
private let modelImageSize = Int(modelInfo(model).image_size)

/// Output sides, crop fractions and scratch sizes the direct EvalTransform run cycles through.
private let imageSizes = [1, 7, 24, 33, 64]
private let cropFractions = [0.1, 0.875, 0.9, 1.0]
private let scratchSizes = [4096, 8192, EvalTransform.scratchBytes]

/// Every normalised value lies within (0 − mean)/std … (1 − mean)/std over the three channels.
private let outputRange: ClosedRange<Float> = -2.2...2.7

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let image: RGBImage
    do {
        image = try RGBImage.decode(bytes: UnsafeRawBufferPointer(start: data, count: size), limits: limits)
    } catch {
        guard [.format, .unsupported, .outOfMemory].contains(error.status) else {
            fuzzFailure("RGBImage.decode failed with unexpected status \(error.status.rawValue): \(error.message)")
        }
        return 0
    }
    let pixels = image.view
    guard pixels.width >= 1, pixels.height >= 1, pixels.width <= limits.maxWidth, pixels.height <= limits.maxHeight else {
        fuzzFailure("decoded image of \(pixels.width)×\(pixels.height) pixels is outside the limits")
    }

    // Through the C API, into the fixture model's input (3×S×S, CHW).
    var modelInput = [Float](repeating: .nan, count: 3 * modelImageSize * modelImageSize)
    let status = modelInput.withUnsafeMutableBufferPointer { output in
        deit_preprocess_rgb8(model, pixels.base, Int32(pixels.width), Int32(pixels.height), 0,
                             output.baseAddress, output.count)
    }
    guard status == DEIT_OK else {
        fuzzFailure("deit_preprocess_rgb8 failed (\(status.rawValue)) on a decoded \(pixels.width)×\(pixels.height) image: \(String(cString: deit_last_error()))")
    }
    checkRange(modelInput, "deit_preprocess_rgb8")

    // Directly, with parameters that vary with the input.
    let imageSize = imageSizes[size % imageSizes.count]
    let cropPct = cropFractions[(size / imageSizes.count) % cropFractions.count]
    let scratchBytes = scratchSizes[size % scratchSizes.count]
    do {
        let transform = try EvalTransform(imageSize: imageSize, cropPct: cropPct)
        var output = [Float](repeating: .nan, count: 3 * imageSize * imageSize)  // 3×S×S, CHW
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchBytes, alignment: 64)
        defer { scratch.deallocate() }
        try output.withUnsafeMutableBufferPointer { output throws(DeiTError) in
            guard let base = output.baseAddress else { return }
            try transform.apply(to: pixels, output: base, scratch: scratch)
        }
        checkRange(output, "EvalTransform(S \(imageSize), crop \(cropPct))")
    } catch {
        // A small scratch cannot hold the weight tables of a strong downscale: documented, not a bug.
        if error.status == .unsupported { return 0 }
        fuzzFailure("EvalTransform(S \(imageSize), crop \(cropPct)) failed on a decoded \(pixels.width)×\(pixels.height) image: \(error.message)")
    }
    return 0
}

/// Every value written and within the normalised pixel range.
private func checkRange(_ values: [Float], _ what: String) {
    if let bad = values.firstIndex(where: { !outputRange.contains($0) }) {
        fuzzFailure("\(what) wrote \(values[bad]) at \(bad), outside \(outputRange) (or never wrote it)")
    }
}
