// deit_limits through the C API: the defaults as documented, and each limit exceeded by one.
import CDeiTSupport
import Foundation
import Testing

@Suite struct LimitsAPITests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let modelPath = repository.appendingPathComponent("Fixtures/conformance/vit_ragged/model.safetensors").path
    static let photoPath = repository.appendingPathComponent("Fixtures/images/photo_120x90.jpg").path

    func lastError() -> String { String(cString: deit_last_error()) }

    func defaults() -> deit_limits {
        var limits = deit_limits()
        deit_limits_default(&limits)
        return limits
    }

    func fileSize(_ path: String) throws -> UInt64 {
        try #require((FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value)
    }

    /// The status of loading the small fixture model with `limits`, from its file and from memory
    /// (both must agree); frees the model when it loads.
    func loadStatus(_ limits: deit_limits) throws -> deit_status {
        var limits = limits
        var model: OpaquePointer?
        let fromFile = deit_model_load_file_with_limits(LimitsAPITests.modelPath, &limits, &model)
        deit_model_free(model)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: LimitsAPITests.modelPath))
        let fromMemory = bytes.withUnsafeBytes { deit_model_load_memory_with_limits($0.baseAddress, $0.count, &limits, &model) }
        deit_model_free(model)
        #expect(fromFile == fromMemory, "file and memory disagree: \(lastError())")
        return fromFile
    }

    @Test func defaultsAreTheDocumentedOnes() {
        let limits = defaults()
        #expect(limits.struct_size == MemoryLayout<deit_limits>.size)
        #expect(limits.max_model_bytes == 8 << 30)
        #expect(limits.max_header_bytes == 100_000_000)
        #expect(limits.max_image_bytes == 64 << 20)
        #expect(limits.max_image_width == 16384 && limits.max_image_height == 16384)
        #expect(limits.max_image_pixels == 50_000_000)
        deit_limits_default(nil)  // a no-op, not a crash
    }

    @Test func modelBytesLimit() throws {
        let size = try fileSize(LimitsAPITests.modelPath)
        var limits = defaults()
        limits.max_model_bytes = size
        #expect(try loadStatus(limits) == DEIT_OK, "\(lastError())")
        limits.max_model_bytes = size - 1
        #expect(try loadStatus(limits) == DEIT_ERR_OUT_OF_MEMORY)
        #expect(lastError().contains("limit"), "\(lastError())")
    }

    @Test func headerBytesLimit() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: LimitsAPITests.modelPath))
        let headerLength = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        var limits = defaults()
        limits.max_header_bytes = headerLength
        #expect(try loadStatus(limits) == DEIT_OK, "\(lastError())")
        limits.max_header_bytes = headerLength - 1
        #expect(try loadStatus(limits) == DEIT_ERR_OUT_OF_MEMORY)
        #expect(lastError().contains("maxHeaderBytes"), "\(lastError())")
    }

    /// A file one byte above the default 8 GiB model limit is refused from its size (sparse: no disk
    /// space; only the 8-byte header length is read before the check, `SafetensorsFile.headerLength`).
    @Test func defaultModelLimitRefusesLargerFileWithoutReadingIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deit-limit-\(getpid()).safetensors").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: (8 << 30) + 1)
        try handle.close()
        var model: OpaquePointer?
        let started = Date()
        #expect(deit_model_load_file(path, &model) == DEIT_ERR_OUT_OF_MEMORY)
        #expect(model == nil)
        #expect(lastError().contains("8589934592"), "\(lastError())")
        #expect(Date().timeIntervalSince(started) < 1)
    }

    @Test func structSizeFromAnOlderCallerIsRefused() {
        var limits = defaults()
        limits.struct_size = 8
        var model: OpaquePointer?
        #expect(deit_model_load_file_with_limits(LimitsAPITests.modelPath, &limits, &model) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(model == nil)
        #expect(lastError().contains("struct_size"), "\(lastError())")
    }

    @Test func zeroFieldsMeanTheDefaults() throws {
        var limits = deit_limits()
        limits.struct_size = MemoryLayout<deit_limits>.size
        #expect(try loadStatus(limits) == DEIT_OK, "\(lastError())")
    }

    /// Each image limit at the photo's own size passes and one below it fails, naming the limit.
    @Test func imageLimits() throws {
        var model: OpaquePointer?
        #expect(deit_model_load_file(LimitsAPITests.modelPath, &model) == DEIT_OK, "\(lastError())")
        defer { deit_model_free(model) }
        var session: OpaquePointer?
        #expect(deit_session_create(model, 1, nil, 0, &session) == DEIT_OK, "\(lastError())")
        defer { deit_session_free(session) }
        let photoBytes = try fileSize(LimitsAPITests.photoPath)
        func classify(_ change: (inout deit_limits) -> Void) -> deit_status {
            var limits = defaults()
            change(&limits)
            var top = [deit_prediction](repeating: deit_prediction(), count: 1)
            return deit_classify_file_with_limits(session, LimitsAPITests.photoPath, &limits, 1, &top)
        }
        let cases: [(String, (inout deit_limits) -> Void, (inout deit_limits) -> Void)] = [
            ("bytes", { $0.max_image_bytes = photoBytes }, { $0.max_image_bytes = photoBytes - 1 }),
            ("width", { $0.max_image_width = 120 }, { $0.max_image_width = 119 }),
            ("height", { $0.max_image_height = 90 }, { $0.max_image_height = 89 }),
            ("pixels", { $0.max_image_pixels = 120 * 90 }, { $0.max_image_pixels = 120 * 90 - 1 }),
        ]
        for (name, atLimit, belowLimit) in cases {
            #expect(classify(atLimit) == DEIT_OK, "\(name): \(lastError())")
            #expect(classify(belowLimit) == DEIT_ERR_OUT_OF_MEMORY, "\(name)")
            #expect(lastError().contains("limit"), "\(name): \(lastError())")
        }
        var top = deit_prediction()
        #expect(deit_classify_file_with_limits(session, LimitsAPITests.photoPath, nil, 1, &top) == DEIT_OK)
    }
}
