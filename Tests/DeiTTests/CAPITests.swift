// The C declarations from include/deit.h (via CDeiTSupport's module map), resolved at link time
// against the @_cdecl thunks of the DeiT target — exactly as a C program calls them.
import CDeiTSupport
import Dispatch
import Foundation
import Testing

/// The C API as C programs see it: statuses, messages, handle checks, sharing a model across threads.
@Suite struct CAPITests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/conformance")
    static let smallModel = fixtures.appendingPathComponent("vit_ragged/model.safetensors").path

    func lastError() -> String { String(cString: deit_last_error()) }

    func loadSmallModel() throws -> OpaquePointer {
        var model: OpaquePointer?
        #expect(deit_model_load_file(CAPITests.smallModel, &model) == DEIT_OK, "\(lastError())")
        return try #require(model)
    }

    @Test func loadsFromFileAndMemoryWithTheSameInfo() throws {
        let fromFile = try loadSmallModel()
        defer { deit_model_free(fromFile) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: CAPITests.smallModel))
        var fromMemory: OpaquePointer?
        let status = bytes.withUnsafeBytes { deit_model_load_memory($0.baseAddress, $0.count, &fromMemory) }
        #expect(status == DEIT_OK, "\(lastError())")
        defer { deit_model_free(fromMemory) }
        var a = deit_model_info(), b = deit_model_info()
        a.struct_size = MemoryLayout<deit_model_info>.stride
        b.struct_size = MemoryLayout<deit_model_info>.stride
        #expect(deit_model_get_info(fromFile, &a) == DEIT_OK)
        #expect(deit_model_get_info(fromMemory, &b) == DEIT_OK)
        #expect(a.embed_dim == 96 && a.num_heads == 4 && a.image_size == 112 && a.num_tokens == 50)
        #expect(a.num_classes == b.num_classes && a.num_params == b.num_params && a.weight_bytes == b.weight_bytes)
        #expect(a.weight_bytes >= a.num_params * 4)
    }

    @Test func rejectsNullsBadHandlesAndWrongCounts() throws {
        var model: OpaquePointer?
        #expect(deit_model_load_file(nil, &model) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(model == nil)
        #expect(deit_model_load_file("/nonexistent/model.safetensors", &model) == DEIT_ERR_IO)
        #expect(lastError().contains("/nonexistent/model.safetensors"))
        #expect(deit_model_load_memory(nil, 10, &model) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(deit_model_get_info(nil, nil) == DEIT_ERR_INVALID_ARGUMENT)

        let loaded = try loadSmallModel()
        var session: OpaquePointer?
        #expect(deit_session_create(loaded, 0, nil, 0, &session) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(deit_session_create(loaded, 1, nil, 0, &session) == DEIT_OK)
        // A session handle is not a model handle, and the other way round.
        var info = deit_model_info()
        info.struct_size = MemoryLayout<deit_model_info>.stride
        #expect(deit_model_get_info(session, &info) == DEIT_ERR_INVALID_ARGUMENT)
        var input = [Float](repeating: 0, count: 3 * 112 * 112), logits = [Float](repeating: 0, count: 37)
        #expect(deit_session_run(loaded, &input, input.count, &logits, logits.count) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(deit_session_run(session, &input, input.count - 1, &logits, logits.count) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(lastError().contains("input"))
        #expect(deit_session_run(session, &input, input.count, &logits, logits.count + 1) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(deit_session_run(session, nil, input.count, &logits, logits.count) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(deit_session_run(session, &input, input.count, &logits, logits.count) == DEIT_OK)

        // The session keeps the model alive after the caller frees it.
        deit_model_free(loaded)
        #expect(deit_session_run(session, &input, input.count, &logits, logits.count) == DEIT_OK)
        deit_session_free(session)
        deit_session_free(nil)
        deit_model_free(nil)
    }

    @Test func callerArenaMustBeLargeEnough() throws {
        let model = try loadSmallModel()
        defer { deit_model_free(model) }
        var bytes = 0
        #expect(deit_session_arena_size(model, 1, &bytes) == DEIT_OK)
        let arena = UnsafeMutableRawPointer.allocate(byteCount: bytes + 1, alignment: 64)
        defer { arena.deallocate() }
        var session: OpaquePointer?
        #expect(deit_session_create(model, 1, arena, bytes - 1, &session) == DEIT_ERR_ARENA_TOO_SMALL)
        #expect(session == nil)
        // Any alignment works: the session aligns inside the arena.
        #expect(deit_session_create(model, 1, arena + 1, bytes, &session) == DEIT_OK, "\(lastError())")
        deit_session_free(session)
    }

    @Test func statusStringsAndVersion() {
        #expect(String(cString: deit_status_string(DEIT_OK)) == "DEIT_OK")
        #expect(String(cString: deit_status_string(DEIT_ERR_ARENA_TOO_SMALL)) == "DEIT_ERR_ARENA_TOO_SMALL")
        #expect(String(cString: deit_status_string(deit_status(rawValue: 999))) == "DEIT_ERR_UNKNOWN_STATUS")
        #expect(String(cString: deit_version_string()) == "\(DEIT_VERSION_MAJOR).\(DEIT_VERSION_MINOR).\(DEIT_VERSION_PATCH)")
    }

    /// One model, a session per thread, each running the same input: outputs bit-identical to a serial run.
    @Test func oneModelSharedBySessionsOnManyThreads() throws {
        let shared = SharedRun(model: try loadSmallModel(), threads: 4)
        defer { deit_model_free(shared.model) }
        let serial = shared.classify()
        #expect(serial.count == 37)
        DispatchQueue.concurrentPerform(iterations: shared.threads) { shared.results[$0] = shared.classify() }
        for result in shared.results { #expect(result == serial) }
    }
}

/// State for the threading test. Each thread writes only its own slot of `results`; the model
/// handle is documented as shareable across threads.
private final class SharedRun: @unchecked Sendable {
    let model: OpaquePointer
    let threads: Int
    let input = (0..<(3 * 112 * 112)).map { Float(sin(Double($0) * 0.37)) }
    let results: UnsafeMutableBufferPointer<[Float]>

    init(model: OpaquePointer, threads: Int) {
        self.model = model
        self.threads = threads
        results = .allocate(capacity: threads)
        results.initialize(repeating: [])
    }

    deinit {
        _ = results.deinitialize()
        results.deallocate()
    }

    /// Ten runs on a new session; the logits if every run succeeded and all agreed, else [].
    func classify() -> [Float] {
        var session: OpaquePointer?
        guard deit_session_create(model, 1, nil, 0, &session) == DEIT_OK else { return [] }
        defer { deit_session_free(session) }
        var logits = [Float](repeating: 0, count: 37)
        var first: [Float] = []
        for _ in 0..<10 {
            let status = input.withUnsafeBufferPointer { deit_session_run(session, $0.baseAddress, $0.count, &logits, 37) }
            guard status == DEIT_OK, first.isEmpty || first == logits else { return [] }
            first = logits
        }
        return logits
    }
}
