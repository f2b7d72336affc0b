// Loading from a path reads the file tensor by tensor (ModelFile); it must give exactly the model
// that loading the same bytes from memory gives, and fail cleanly when the file changes under it.
@testable import DeiTRuntime
import Foundation
import Testing

@Suite struct ModelFileTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/conformance")

    /// Every fixture model (F32, F16, BF16; plain, distilled, 384 px): packed weights from the file
    /// are bit-identical to those from memory.
    @Test(arguments: ["vit_ragged", "deit_tiny_d2", "deit_tiny_distilled_d2", "deit_tiny_384_d1"])
    func fileAndMemoryGiveIdenticalWeights(_ name: String) throws {
        let path = ModelFileTests.fixtures.appendingPathComponent("\(name)/model.safetensors").path
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("fixture \(path) is missing")
            return
        }
        let fromFile = try Model.load(path: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let fromMemory = try bytes.withUnsafeBytes { raw in try Model(bytes: raw) }
        #expect(fromFile.config == fromMemory.config)
        #expect(fromFile.weightBytes == fromMemory.weightBytes)
        #expect(memcmp(fromFile.weights.storage.raw, fromMemory.weights.storage.raw, fromFile.weightBytes) == 0)
    }

    /// A file truncated after its header was read fails with `.io` naming the tensor, not a crash
    /// (a memory mapping would raise SIGBUS here).
    @Test func fileTruncatedWhileLoadingFailsWithIO() throws {
        let source = ModelFileTests.fixtures.appendingPathComponent("vit_ragged/model.safetensors")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("deit-truncated-\(getpid()).safetensors")
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: source, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }

        let file = try ModelFile(path: copy.path, limits: .default)
        let handle = try FileHandle(forWritingTo: copy)
        try handle.truncate(atOffset: UInt64(file.checkpoint.file.dataStart + 16))
        try handle.close()
        #expect {
            _ = try PackedWeights(checkpoint: file.checkpoint, source: .file(file))
        } throws: { error in
            guard let error = error as? DeiTError else { return false }
            return error.status == .io && error.message.contains("changed while loading")
        }
    }
}
