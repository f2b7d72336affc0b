// The versioned structs through the C API: deit_session_options, deit_load_options and
// deit_model_info's struct_size, and the *_with_options entry points against the older ones.
import CDeiTSupport
import Foundation
import Testing

@Suite struct OptionsAPITests {
    static let modelPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/conformance/vit_ragged/model.safetensors").path

    func lastError() -> String { String(cString: deit_last_error()) }

    @Test func abiVersionComesFromTheHeader() {
        #expect(deit_abi_version() == DEIT_ABI_VERSION)
    }

    @Test func defaultsSetStructSizeToTheCSizeof() {
        var session = deit_session_options()
        deit_session_options_default(&session)
        #expect(session.struct_size == MemoryLayout<deit_session_options>.stride)
        #expect(session.struct_size == deit_api_session_options_size())
        #expect(session.num_threads == 1 && session.max_batch == 1 && session.flags == 0 && session.kernel_set == nil)
        var load = deit_load_options()
        deit_load_options_default(&load)
        #expect(load.struct_size == MemoryLayout<deit_load_options>.stride)
        #expect(load.limits == nil && load.image_size == 0 && load.precision == Int32(DEIT_PRECISION_FILE.rawValue))
        deit_session_options_default(nil)  // no-ops, not crashes
        deit_load_options_default(nil)
    }

    /// The same model through the old and the new entry points: same info, same arena, same bits.
    @Test func optionsEntryPointsMatchTheOlderOnes() throws {
        var oldModel: OpaquePointer?, newModel: OpaquePointer?
        #expect(deit_model_load_file(OptionsAPITests.modelPath, &oldModel) == DEIT_OK, "\(lastError())")
        defer { deit_model_free(oldModel) }
        var load = deit_load_options()
        deit_load_options_default(&load)
        load.image_size = 112
        #expect(deit_model_load_file_with_options(OptionsAPITests.modelPath, &load, &newModel) == DEIT_OK, "\(lastError())")
        defer { deit_model_free(newModel) }

        var info = deit_model_info()
        info.struct_size = MemoryLayout<deit_model_info>.stride
        #expect(deit_model_get_info(newModel, &info) == DEIT_OK)
        #expect(info.struct_size == MemoryLayout<deit_model_info>.stride && info.image_size == 112)

        var options = deit_session_options()
        deit_session_options_default(&options)
        options.num_threads = 2
        var oldBytes = 0, newBytes = 0
        #expect(deit_session_arena_size(oldModel, 2, &oldBytes) == DEIT_OK)
        #expect(deit_session_arena_size_with_options(newModel, &options, &newBytes) == DEIT_OK)
        #expect(oldBytes == newBytes && newBytes > 0)

        var oldSession: OpaquePointer?, newSession: OpaquePointer?
        #expect(deit_session_create(oldModel, 2, nil, 0, &oldSession) == DEIT_OK, "\(lastError())")
        defer { deit_session_free(oldSession) }
        #expect(deit_session_create_with_options(newModel, &options, nil, 0, &newSession) == DEIT_OK, "\(lastError())")
        defer { deit_session_free(newSession) }
        let count = 3 * Int(info.image_size) * Int(info.image_size)
        var input = (0..<count).map { Float(($0 * 7919) % 255) / 128 - 1 }
        var oldLogits = [Float](repeating: 0, count: Int(info.num_classes)), newLogits = oldLogits
        #expect(deit_session_run(oldSession, &input, count, &oldLogits, oldLogits.count) == DEIT_OK)
        #expect(deit_session_run(newSession, &input, count, &newLogits, newLogits.count) == DEIT_OK)
        #expect(oldLogits.map(\.bitPattern) == newLogits.map(\.bitPattern))
    }

    /// Another multiple of the patch size runs the model there: pos_embed resampled at load, the info,
    /// the input size and the arena follow.
    @Test func anotherImageSizeIsLoadedResampled() throws {
        var model: OpaquePointer?
        var load = deit_load_options()
        deit_load_options_default(&load)
        load.image_size = 224
        #expect(deit_model_load_file_with_options(OptionsAPITests.modelPath, &load, &model) == DEIT_OK, "\(lastError())")
        defer { deit_model_free(model) }
        var info = deit_model_info()
        info.struct_size = MemoryLayout<deit_model_info>.stride
        #expect(deit_model_get_info(model, &info) == DEIT_OK)
        #expect(info.image_size == 224 && info.num_tokens == 1 + 14 * 14)
        var session: OpaquePointer?
        #expect(deit_session_create(model, 1, nil, 0, &session) == DEIT_OK, "\(lastError())")
        defer { deit_session_free(session) }
        let count = 3 * 224 * 224
        var input = (0..<count).map { Float(($0 * 7919) % 255) / 128 - 1 }
        var logits = [Float](repeating: .nan, count: Int(info.num_classes))
        #expect(deit_session_run(session, &input, count, &logits, logits.count) == DEIT_OK, "\(lastError())")
        #expect(logits.allSatisfy { $0.isFinite })
        var small = [Float](repeating: 0, count: 3 * 112 * 112)
        #expect(deit_session_run(session, &small, small.count, &logits, logits.count) == DEIT_ERR_INVALID_ARGUMENT)
    }

    @Test func refusedOptionsNameTheProblem() {
        var model: OpaquePointer?
        var load = deit_load_options()
        deit_load_options_default(&load)
        load.image_size = 100   // not a multiple of the patch size (16)
        #expect(deit_model_load_file_with_options(OptionsAPITests.modelPath, &load, &model) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(lastError().contains("patch size 16"), "\(lastError())")
        #expect(model == nil)
        load.image_size = 16 * 200   // 40 001 tokens, above the token limit
        #expect(deit_model_load_file_with_options(OptionsAPITests.modelPath, &load, &model) == DEIT_ERR_OUT_OF_MEMORY)
        #expect(lastError().contains("maxTokens"), "\(lastError())")
        #expect(model == nil)
        deit_load_options_default(&load)
        load.precision = Int32(DEIT_PRECISION_INT8.rawValue)
        #expect(deit_model_load_file_with_options(OptionsAPITests.modelPath, &load, &model) == DEIT_OK, "\(lastError())")
        deit_model_free(model)
        model = nil

        #expect(deit_model_load_file(OptionsAPITests.modelPath, &model) == DEIT_OK, "\(lastError())")
        defer { deit_model_free(model) }
        var options = deit_session_options()
        deit_session_options_default(&options)
        options.max_batch = 4097
        var session: OpaquePointer?
        #expect(deit_session_create_with_options(model, &options, nil, 0, &session) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(lastError().contains("max_batch is 4097") && lastError().contains("4096"), "\(lastError())")
        #expect(session == nil)
        options.max_batch = 8  // batches run now: the session is created
        #expect(deit_session_create_with_options(model, &options, nil, 0, &session) == DEIT_OK, "\(lastError())")
        deit_session_free(session)
        session = nil
        deit_session_options_default(&options)
        options.flags = 0x6
        #expect(deit_session_create_with_options(model, &options, nil, 0, &session) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(lastError().contains("0x6"), "\(lastError())")
        var info = deit_model_info()  // struct_size left 0
        #expect(deit_model_get_info(model, &info) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(lastError().contains("struct_size"), "\(lastError())")
        #expect(session == nil)
    }
}
