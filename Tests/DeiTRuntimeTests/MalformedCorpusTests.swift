import DeiTRuntime
import Foundation
import Testing

// Runs every file of Tests/Fixtures/malformed (written by scripts/python/gen_malformed_safetensors.py)
// through the loader exactly as the runtime does — Checkpoint(bytes:) then readFloats over every
// tensor — and checks the status and message listed in expected.tsv.

/// One row of expected.tsv.
struct CorpusCase: CustomTestStringConvertible, Sendable {
    let file: String
    let status: String
    /// A substring of the error message, or for DEIT_OK the derived config (see `summary`).
    let expectation: String
    var testDescription: String { file }
}

enum MalformedCorpus {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/malformed")

    static let cases: [CorpusCase] = {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("expected.tsv"), encoding: .utf8) else {
            return []
        }
        return text.split(separator: "\n").compactMap { line in
            if line.hasPrefix("#") { return nil }
            let columns = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard columns.count == 3 else { return nil }
            return CorpusCase(file: String(columns[0]), status: String(columns[1]), expectation: String(columns[2]))
        }
    }()

    /// The config as expected.tsv spells it for DEIT_OK rows.
    static func summary(_ config: ModelConfig) -> String {
        "image=\(config.imageSize) patch=\(config.patchSize) dim=\(config.embedDim) depth=\(config.depth) "
            + "heads=\(config.numHeads) hidden=\(config.mlpHiddenDim) classes=\(config.numClasses) "
            + "distilled=\(config.distilled ? 1 : 0)"
    }

    /// Loads like the runtime: parse + schema, then convert every tensor (the NaN/Inf check); an
    /// int8 file (deit.precision int8) through `Model(bytes:)`, which also checks its I8 weights and
    /// scales as it packs them.
    static func load(_ bytes: UnsafeRawBufferPointer) -> Result<ModelConfig, DeiTError> {
        do throws(DeiTError) {
            let checkpoint = try Checkpoint(bytes: bytes)
            if checkpoint.storedPrecision == .int8 {
                let model = try Model(bytes: bytes)
                guard model.precision == .int8, model.precisionSource == .file else {
                    return .failure(DeiTError(.invalidArgument, "an int8 file loaded at \(model.precision.name)"))
                }
                return .success(model.config)
            }
            for tensor in checkpoint.file.tensors {
                var floats = [Float](repeating: 0, count: tensor.elementCount)
                try floats.withUnsafeMutableBufferPointer { (buffer) throws(DeiTError) in
                    guard let base = buffer.baseAddress else { return }
                    try checkpoint.readFloats(tensor, from: bytes, into: base)
                }
            }
            return .success(checkpoint.config)
        } catch {
            return .failure(error)
        }
    }
}

@Suite struct MalformedCorpusTests {
    @Test func corpusIsCompleteAndListed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: MalformedCorpus.directory.path)
            .filter { $0.hasSuffix(".safetensors") }
        let listed = MalformedCorpus.cases.map(\.file)
        #expect(listed.count >= 60, "expected.tsv missing or short; run scripts/python/gen_malformed_safetensors.py")
        #expect(Set(files) == Set(listed), "files on disk and rows in expected.tsv differ")
        #expect(Set(listed).count == listed.count, "a file is listed twice")
        #expect(MalformedCorpus.cases.contains { $0.status == "DEIT_OK" }, "the corpus needs valid files too")
    }

    @Test(arguments: MalformedCorpus.cases)
    func fileLoadsWithExpectedOutcome(_ corpusCase: CorpusCase) throws {
        let data = try Data(contentsOf: MalformedCorpus.directory.appendingPathComponent(corpusCase.file))
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = data.withUnsafeBytes { MalformedCorpus.load($0) }
        let elapsed = clock.now - start
        #expect(elapsed < .milliseconds(250), "took \(elapsed)")
        switch outcome {
        case .success(let config):
            #expect(corpusCase.status == "DEIT_OK", "loaded, but expected \(corpusCase.status): \(corpusCase.expectation)")
            if corpusCase.status == "DEIT_OK" {
                #expect(MalformedCorpus.summary(config) == corpusCase.expectation)
            }
        case .failure(let error):
            #expect("\(error.status.name)" == corpusCase.status, "message: \(error.message)")
            #expect(error.message.contains(corpusCase.expectation), "message: \(error.message)")
        }
    }
}
