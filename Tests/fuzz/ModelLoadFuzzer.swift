import CDeiTSupport
import DeiT

// libFuzzer target: arbitrary bytes as a safetensors checkpoint through deit_model_load_memory.
// A model that loads must answer every query and, when small enough to run quickly, run once on
// zeros in a fresh session (allocated arena on even sizes, a caller arena at an odd offset on odd).

/// Largest model run after loading: parameters × tokens (a proxy for the forward pass's work).
private let maxRunWork: UInt64 = 50_000_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelLoad(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var model: OpaquePointer?
    let status = deit_model_load_memory(data, size, &model)
    guard status == DEIT_OK else {
        guard model == nil else { fuzzFailure("failed load left *out_model set") }
        checkFailure(status, allowed: [DEIT_ERR_INVALID_ARGUMENT, DEIT_ERR_FORMAT, DEIT_ERR_UNSUPPORTED, DEIT_ERR_OUT_OF_MEMORY],
                     "deit_model_load_memory")
        return 0
    }
    guard let model else { fuzzFailure("DEIT_OK without a model") }
    defer { deit_model_free(model) }

    let info = modelInfo(model)
    guard info.image_size > 0, info.patch_size > 0, info.image_size % info.patch_size == 0, info.embed_dim > 0,
          info.depth > 0, info.num_heads > 0, info.embed_dim % info.num_heads == 0, info.num_classes > 0,
          info.num_tokens > 0 else {
        fuzzFailure("implausible info: image \(info.image_size) patch \(info.patch_size) dim \(info.embed_dim) depth \(info.depth) heads \(info.num_heads) classes \(info.num_classes) tokens \(info.num_tokens)")
    }
    _ = deit_class_label(model, 0)
    guard deit_class_label(model, -1) == nil, deit_class_label(model, info.num_classes) == nil else {
        fuzzFailure("deit_class_label answered an out-of-range index")
    }

    var arenaBytes = 0
    let arenaStatus = deit_session_arena_size(model, 1, &arenaBytes)
    guard arenaStatus == DEIT_OK else {
        checkFailure(arenaStatus, allowed: [DEIT_ERR_OUT_OF_MEMORY], "deit_session_arena_size")
        return 0
    }
    let (work, overflow) = info.num_params.multipliedReportingOverflow(by: UInt64(info.num_tokens))
    guard !overflow, work <= maxRunWork, arenaBytes <= 256 << 20 else { return 0 }

    // Odd sizes: a caller arena one byte past an aligned allocation (the session must align it).
    let callerArena: UnsafeMutableRawPointer? = size % 2 == 1
        ? UnsafeMutableRawPointer.allocate(byteCount: arenaBytes + 1, alignment: 64) : nil
    defer { callerArena?.deallocate() }
    var session: OpaquePointer?
    let sessionStatus = deit_session_create(model, 1, callerArena.map { $0 + 1 }, arenaBytes, &session)
    guard sessionStatus == DEIT_OK, let session else {
        checkFailure(sessionStatus, allowed: [DEIT_ERR_OUT_OF_MEMORY], "deit_session_create")
        return 0
    }
    defer { deit_session_free(session) }

    let inputCount = 3 * Int(info.image_size) * Int(info.image_size)  // 3×S×S, CHW
    let input = [Float](repeating: 0, count: inputCount)
    var logits = [Float](repeating: 0, count: Int(info.num_classes))  // num_classes
    let runStatus = input.withUnsafeBufferPointer { input in
        logits.withUnsafeMutableBufferPointer { logits in
            deit_session_run(session, input.baseAddress, input.count, logits.baseAddress, logits.count)
        }
    }
    guard runStatus == DEIT_OK else { fuzzFailure("deit_session_run failed on a valid session: \(runStatus.rawValue)") }
    // No check on the values: finite weights may still overflow to Inf/NaN, which is not a bug.
    return 0
}
