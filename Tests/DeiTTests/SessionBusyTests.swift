// A session used from two places at once is refused with a status, never raced.
@testable import DeiT
import CDeiTSupport
import DeiTRuntime
import Foundation
import Testing

@Suite struct SessionBusyTests {
    static let modelPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/conformance/vit_ragged/model.safetensors").path

    /// While one call holds the session (simulated by holding its busy flag), every other entry
    /// point that uses it fails with "in use", and freeing it is refused; afterwards all work.
    @Test func busySessionIsRefusedNotRaced() throws {
        var model: OpaquePointer?
        #expect(deit_model_load_file(SessionBusyTests.modelPath, &model) == DEIT_OK)
        defer { deit_model_free(model) }
        var handle: OpaquePointer?
        #expect(deit_session_create(model, 1, nil, 0, &handle) == DEIT_OK)
        let input = [Float](repeating: 0.25, count: 3 * 112 * 112)
        var logits = [Float](repeating: 0, count: 37)
        var top = deit_prediction()
        let pixels = [UInt8](repeating: 128, count: 3 * 8 * 8)
        func run() -> deit_status { deit_session_run(handle, input, input.count, &logits, logits.count) }

        var statusesWhileBusy: [deit_status] = []
        try Handles.withSession(handle, "test") { _ throws(DeiTError) in
            statusesWhileBusy.append(run())
            statusesWhileBusy.append(deit_classify_rgb8(handle, pixels, 8, 8, 0, 1, &top))
            statusesWhileBusy.append(deit_classify_file(handle, "/nonexistent.jpg", 1, &top))
            deit_session_free(handle)  // refused: the session stays valid
            #expect(String(cString: deit_last_error()).contains("in use"))
        }
        #expect(statusesWhileBusy == [DEIT_ERR_INVALID_ARGUMENT, DEIT_ERR_INVALID_ARGUMENT, DEIT_ERR_INVALID_ARGUMENT])
        #expect(run() == DEIT_OK, "\(String(cString: deit_last_error()))")
        deit_session_free(handle)
    }

    /// Two threads hammering one session: each call either runs or is refused as "in use";
    /// the process survives and every successful run gives the serial logits.
    @Test func twoThreadsOnOneSession() throws {
        var model: OpaquePointer?
        #expect(deit_model_load_file(SessionBusyTests.modelPath, &model) == DEIT_OK)
        defer { deit_model_free(model) }
        var handle: OpaquePointer?
        #expect(deit_session_create(model, 1, nil, 0, &handle) == DEIT_OK)
        defer { deit_session_free(handle) }
        let session = UnsafeSendableHandle(handle)
        let input = (0..<(3 * 112 * 112)).map { Float(sin(Double($0) * 0.11)) }
        var serialLogits = [Float](repeating: 0, count: 37)
        #expect(deit_session_run(handle, input, input.count, &serialLogits, 37) == DEIT_OK)
        let serial = serialLogits
        let outcomes = Outcomes()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            var logits = [Float](repeating: 0, count: 37)
            for _ in 0..<50 {
                let status = deit_session_run(session.handle, input, input.count, &logits, 37)
                let busy = status == DEIT_ERR_INVALID_ARGUMENT && String(cString: deit_last_error()).contains("in use")
                outcomes.record(ok: status == DEIT_OK && logits == serial, busy: busy)
            }
        }
        #expect(outcomes.ok + outcomes.busy == 100, "every call either ran correctly or was refused as busy")
        #expect(outcomes.ok > 0)
    }
}

private struct UnsafeSendableHandle: @unchecked Sendable {
    let handle: OpaquePointer?
    init(_ handle: OpaquePointer?) { self.handle = handle }
}

private final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var ok = 0
    private(set) var busy = 0
    func record(ok isOK: Bool, busy isBusy: Bool) {
        lock.lock(); defer { lock.unlock() }
        if isOK { ok += 1 } else if isBusy { busy += 1 }
    }
}
