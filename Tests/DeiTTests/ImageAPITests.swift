import CDeiTSupport
import Foundation
import Testing

/// The image half of the C API: preprocess, classify (pixels and files), labels, and misuse.
@Suite struct ImageAPITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let images = root.appendingPathComponent("Fixtures/images")
    static let tinyModel = root.appendingPathComponent("Fixtures/conformance/deit_tiny_d2/model.safetensors").path
    static let raggedModel = root.appendingPathComponent("Fixtures/conformance/vit_ragged/model.safetensors").path

    func lastError() -> String { String(cString: deit_last_error()) }

    func load(_ path: String) throws -> OpaquePointer {
        var model: OpaquePointer?
        #expect(deit_model_load_file(path, &model) == DEIT_OK, "\(lastError())")
        return try #require(model)
    }

    func session(_ model: OpaquePointer) throws -> OpaquePointer {
        var session: OpaquePointer?
        #expect(deit_session_create(model, 1, nil, 0, &session) == DEIT_OK, "\(lastError())")
        return try #require(session)
    }

    /// A 40×30 RGB gradient, rows padded to `stride` bytes.
    func gradient(stride: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xEE, count: stride * 30)
        for y in 0..<30 { for x in 0..<40 { for c in 0..<3 { bytes[y * stride + x * 3 + c] = UInt8((x * 5 + y * 3 + c * 40) % 256) } } }
        return bytes
    }

    @Test func classifyFileAndPixelsAgreeWithPreprocessPlusRun() throws {
        let model = try load(ImageAPITests.tinyModel)
        defer { deit_model_free(model) }
        let session = try session(model)
        defer { deit_session_free(session) }
        var info = deit_model_info()
        info.struct_size = MemoryLayout<deit_model_info>.stride
        #expect(deit_model_get_info(model, &info) == DEIT_OK)

        // Pixels with a padded stride give the same input as packed pixels.
        let packed = gradient(stride: 120), padded = gradient(stride: 128)
        var a = [Float](repeating: 0, count: 3 * 224 * 224), b = a
        #expect(deit_preprocess_rgb8(model, packed, 40, 30, 0, &a, a.count) == DEIT_OK, "\(lastError())")
        #expect(deit_preprocess_rgb8(model, padded, 40, 30, 128, &b, b.count) == DEIT_OK, "\(lastError())")
        #expect(a == b)

        var logits = [Float](repeating: 0, count: Int(info.num_classes))
        #expect(deit_session_run(session, a, a.count, &logits, logits.count) == DEIT_OK)
        var top = [deit_prediction](repeating: deit_prediction(), count: 3)
        #expect(deit_classify_rgb8(session, padded, 40, 30, 128, 3, &top) == DEIT_OK, "\(lastError())")
        let best = logits.indices.max { logits[$0] < logits[$1] }!
        #expect(Int(top[0].class_index) == best && top[0].logit == logits[best])
        #expect(top[0].probability >= top[1].probability && top[1].probability >= top[2].probability)

        let path = ImageAPITests.images.appendingPathComponent("gray_alpha_64x64.png").path
        #expect(deit_classify_file(session, path, 1000, nil) == DEIT_ERR_INVALID_ARGUMENT)
        var all = [deit_prediction](repeating: deit_prediction(), count: 1000)
        #expect(deit_classify_file(session, path, 1000, &all) == DEIT_OK, "\(lastError())")
        let total = all.reduce(0.0) { $0 + Double($1.probability) }
        #expect(abs(total - 1) < 1e-4)
        #expect(Set(all.map(\.class_index)).count == 1000)
    }

    @Test func labelsForThousandClassModelsOnly() throws {
        let tiny = try load(ImageAPITests.tinyModel)
        defer { deit_model_free(tiny) }
        #expect(String(cString: deit_class_label(tiny, 0)!) == "tench, Tinca tinca")
        #expect(String(cString: deit_class_label(tiny, 999)!) == "toilet tissue, toilet paper, bathroom tissue")
        #expect(deit_class_label(tiny, -1) == nil && deit_class_label(tiny, 1000) == nil)
        #expect(deit_class_label(nil, 0) == nil)
        let ragged = try load(ImageAPITests.raggedModel)   // 37 classes: no compiled-in names
        defer { deit_model_free(ragged) }
        #expect(deit_class_label(ragged, 0) == nil)
    }

    @Test func misuseReturnsStatusesNeverTraps() throws {
        let model = try load(ImageAPITests.tinyModel)
        defer { deit_model_free(model) }
        let session = try session(model)
        defer { deit_session_free(session) }
        let pixels = gradient(stride: 120)
        var input = [Float](repeating: 0, count: 3 * 224 * 224)
        var top = [deit_prediction](repeating: deit_prediction(), count: 5)
        let invalid = DEIT_ERR_INVALID_ARGUMENT

        #expect(deit_preprocess_rgb8(nil, pixels, 40, 30, 0, &input, input.count) == invalid)
        #expect(deit_preprocess_rgb8(session, pixels, 40, 30, 0, &input, input.count) == invalid)
        #expect(deit_preprocess_rgb8(model, nil, 40, 30, 0, &input, input.count) == invalid)
        #expect(deit_preprocess_rgb8(model, pixels, 40, 30, 0, nil, input.count) == invalid)
        #expect(deit_preprocess_rgb8(model, pixels, 40, 30, 0, &input, input.count - 1) == invalid)
        #expect(deit_preprocess_rgb8(model, pixels, 0, 30, 0, &input, input.count) == invalid)
        #expect(deit_preprocess_rgb8(model, pixels, 40, -3, 0, &input, input.count) == invalid)
        #expect(deit_preprocess_rgb8(model, pixels, 40, 30, 119, &input, input.count) == invalid)
        #expect(deit_preprocess_rgb8(model, pixels, 40, 30, -120, &input, input.count) == invalid)
        #expect(lastError().contains("stride"))

        #expect(deit_classify_rgb8(nil, pixels, 40, 30, 0, 5, &top) == invalid)
        #expect(deit_classify_rgb8(model, pixels, 40, 30, 0, 5, &top) == invalid)
        #expect(deit_classify_rgb8(session, nil, 40, 30, 0, 5, &top) == invalid)
        #expect(deit_classify_rgb8(session, pixels, 40, 30, 0, 5, nil) == invalid)
        for k: Int32 in [0, -1, 1001, .max, .min] {
            #expect(deit_classify_rgb8(session, pixels, 40, 30, 0, k, &top) == invalid)
            #expect(deit_classify_file(session, "x.jpg", k, &top) == invalid)
        }
        #expect(lastError().contains("k is"))
        #expect(deit_classify_rgb8(session, pixels, 40, 30, 100, 5, &top) == invalid)
        #expect(deit_classify_rgb8(session, pixels, .max, .max, 0, 5, &top) == invalid)

        #expect(deit_classify_file(nil, "x.jpg", 5, &top) == invalid)
        #expect(deit_classify_file(session, nil, 5, &top) == invalid)
        #expect(deit_classify_file(session, "/nonexistent/x.jpg", 5, &top) == DEIT_ERR_IO)
        #expect(lastError().contains("/nonexistent/x.jpg"))

        // A truncated JPEG and a non-image file: specific statuses and messages naming the file.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("deit-image-api-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let jpeg = try Data(contentsOf: ImageAPITests.images.appendingPathComponent("photo_120x90.jpg"))
        let truncated = directory.appendingPathComponent("truncated.jpg")
        try jpeg.prefix(jpeg.count / 2).write(to: truncated)
        #expect(deit_classify_file(session, truncated.path, 5, &top) == DEIT_ERR_FORMAT)
        #expect(lastError().contains("truncated.jpg") && lastError().contains("truncated"))
        let text = directory.appendingPathComponent("notes.txt")
        try Data("not an image".utf8).write(to: text)
        #expect(deit_classify_file(session, text.path, 5, &top) == DEIT_ERR_UNSUPPORTED)
    }
}
