import DeiTRuntime
import Foundation
import Testing

// The config.json corpus (Tests/Fixtures/malformed-config, scripts/python/gen_malformed_config.py):
// each file is put beside a copy of the valid tiny model and loaded with Model.load(path:), the
// way a Hugging Face download is; the status and a message substring must match expected.tsv.

@Suite struct MalformedConfigCorpusTests {
    static let directory = TestData.repositoryRoot.appendingPathComponent("Tests/Fixtures/malformed-config")

    static let cases: [(file: String, status: String, substring: String)] = {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("expected.tsv"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return (fields[0], fields[1], fields.count > 2 ? fields[2] : "")
        }
    }()

    @Test func corpusIsComplete() {
        #expect(Self.cases.count >= 30)
    }

    @Test(arguments: Self.cases.map(\.file))
    func loadingGivesTheExpectedStatus(_ file: String) throws {
        let entry = try #require(Self.cases.first { $0.file == file })
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("deit-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let model = TestData.repositoryRoot.appendingPathComponent("Tests/Fixtures/malformed/valid_tiny.safetensors")
        try FileManager.default.copyItem(at: model, to: work.appendingPathComponent("model.safetensors"))
        try FileManager.default.copyItem(at: Self.directory.appendingPathComponent(file), to: work.appendingPathComponent("config.json"))
        do {
            let loaded = try Model.load(path: work.appendingPathComponent("model.safetensors").path)
            #expect(entry.status == "DEIT_OK", "\(file) loaded")
            #expect(loaded.preprocessing.mean.source == .configJSON)
            #expect(loaded.classLabels.name(2).map { String(cString: $0) } == "c")
        } catch {
            #expect("\(error.status.name)" == entry.status && error.message.contains(entry.substring),
                    "\(file): \(error.status.name) \(error.message)")
        }
    }
}
