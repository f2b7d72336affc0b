@testable import DeiTRuntime
import Foundation
import Testing

/// Running a model at another image size than it was trained at (fixtures from
/// scripts/python/gen_resolution_fixtures.py: timm's resample_abs_pos_embed, and timm models created at
/// another img_size with the conformance checkpoints loaded through checkpoint_filter_fn).
@Suite struct ResolutionTests {
    static let directory = TestData.repositoryRoot.appendingPathComponent("Tests/Fixtures/resolution")

    /// One line of resample.tsv.
    struct ResampleCase: CustomTestStringConvertible {
        let name: String
        let prefix, dim, oldHeight, oldWidth, newHeight, newWidth: Int
        var testDescription: String { name }

        static func all() throws -> [ResampleCase] {
            let text = try String(contentsOf: directory.appendingPathComponent("resample.tsv"), encoding: .utf8)
            return text.split(separator: "\n").dropFirst().map { line in
                let f = line.split(separator: "\t").map(String.init)
                let n = f.dropFirst().map { Int($0) ?? -1 }
                return ResampleCase(name: f[0], prefix: n[0], dim: n[1], oldHeight: n[2], oldWidth: n[3],
                                    newHeight: n[4], newWidth: n[5])
            }
        }
    }

    /// One line of models.tsv.
    struct ModelCase: CustomTestStringConvertible {
        let name, model: String
        let trainedSize, imageSize, numClasses: Int
        var testDescription: String { name }

        static func all() throws -> [ModelCase] {
            let text = try String(contentsOf: directory.appendingPathComponent("models.tsv"), encoding: .utf8)
            return text.split(separator: "\n").dropFirst().map { line in
                let f = line.split(separator: "\t").map(String.init)
                return ModelCase(name: f[0], model: f[1], trainedSize: Int(f[2]) ?? -1, imageSize: Int(f[3]) ?? -1,
                                 numClasses: Int(f[4]) ?? -1)
            }
        }
    }

    @Test(arguments: try ResampleCase.all())
    func resamplerMatchesTimm(_ c: ResampleCase) throws {
        let input = try TestData.floats(Self.directory.appendingPathComponent("resample/\(c.name).in.f32"))
        let expected = try TestData.floats(Self.directory.appendingPathComponent("resample/\(c.name).out.f32"))
        #expect(input.count == (c.prefix + c.oldHeight * c.oldWidth) * c.dim)
        #expect(expected.count == (c.prefix + c.newHeight * c.newWidth) * c.dim)
        var output = [Float](repeating: .nan, count: expected.count)
        try input.withUnsafeBufferPointer { source throws(DeiTError) in
            try output.withUnsafeMutableBufferPointer { destination throws(DeiTError) in
                guard let source = source.baseAddress, let destination = destination.baseAddress else { return }
                try PositionEmbeddingResampler.resample(source, prefixTokens: c.prefix, dim: c.dim,
                                                        from: (c.oldHeight, c.oldWidth), to: (c.newHeight, c.newWidth),
                                                        into: destination)
            }
        }
        let maxReference = expected.map(abs).max() ?? 0
        let maxError = zip(output, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(output.allSatisfy { $0.isFinite })
        #expect(maxError <= 1e-6 * maxReference, "\(c.name): max error \(maxError) (max |ref| \(maxReference))")
        // Prefix tokens are kept as they are.
        #expect(Array(output[0..<c.prefix * c.dim]) == Array(input[0..<c.prefix * c.dim]))
        // The arithmetic follows torch's float32 kernel step for step: bit-identical on this machine's
        // torch build (kept as a report, not a requirement: another torch build may round differently).
        let differing = zip(output, expected).filter { $0 != $1 }.count
        if differing != 0 { print("\(c.name): \(differing) values differ from torch's in the last bits (max \(maxError))") }
    }

    static let threadCounts = [1, 2]

    @Test(arguments: try ModelCase.all(), ResolutionTests.threadCounts)
    func modelAtAnotherSizeMatchesTimm(_ c: ModelCase, threads: Int) throws {
        let url = TestData.conformance.appendingPathComponent("\(c.model)/model.safetensors")
        let data = try Data(contentsOf: url)
        let model = try data.withUnsafeBytes { raw throws(DeiTError) in try Model(bytes: raw, imageSize: c.imageSize) }
        let config = model.config
        #expect(config.imageSize == c.imageSize)
        #expect(config.trainedGridSize * config.patchSize == c.trainedSize)
        #expect(config.numTokens == config.numPrefixTokens + (c.imageSize / 16) * (c.imageSize / 16))
        // The file loader resamples the same way.
        let fromFile = try url.path.withCString { path throws(DeiTError) in try Model.load(path: path, imageSize: c.imageSize) }
        #expect(fromFile.config == config)
        #expect(fromFile.weightBytes == model.weightBytes)

        let x = try TestData.floats(Self.directory.appendingPathComponent("models/\(c.name).in.f32"))
        let expected = try TestData.floats(Self.directory.appendingPathComponent("models/\(c.name).logits.f32"))
        #expect(x.count == config.inputCount)
        for candidate in [model, fromFile] {
            let session = try Session(model: candidate, threads: threads)
            var logits = [Float](repeating: .nan, count: c.numClasses)
            try x.withUnsafeBufferPointer { input throws(DeiTError) in
                try logits.withUnsafeMutableBufferPointer { logits throws(DeiTError) in
                    try session.run(input: input, logits: logits)
                }
            }
            let comparison = Comparison(logits[...], expected[...])
            #expect(comparison.passes, "\(c.name) threads \(threads): max error \(comparison.maxError) > \(comparison.tolerance)")
            #expect(topK(logits, 5) == topK(expected, 5), "\(c.name) threads \(threads): top-5 differs")
        }
    }

    @Test func trainedSizeIsTheSameModel() throws {
        let url = TestData.conformance.appendingPathComponent("deit_tiny_d2/model.safetensors")
        let data = try Data(contentsOf: url)
        let asTrained = try data.withUnsafeBytes { raw throws(DeiTError) in try Model(bytes: raw) }
        let explicit = try data.withUnsafeBytes { raw throws(DeiTError) in try Model(bytes: raw, imageSize: 224) }
        #expect(asTrained.config == explicit.config)
        #expect(asTrained.config.trainedGridSize == 14)
        #expect(asTrained.parameterCount == explicit.parameterCount)
        // The checkpoint's parameter count does not change with the run size.
        let at288 = try data.withUnsafeBytes { raw throws(DeiTError) in try Model(bytes: raw, imageSize: 288) }
        #expect(at288.parameterCount == asTrained.parameterCount)
        #expect(at288.config.numTokens == 1 + 18 * 18)
    }

    @Test(arguments: [(-16, DeiTStatus.invalidArgument), (100, .invalidArgument), (8, .invalidArgument),
                      (16 * 128, .outOfMemory), (Int(Int32.max), .invalidArgument), (16 * 200_000, .outOfMemory)])
    func invalidSizesAreRefused(_ size: Int, _ status: DeiTStatus) throws {
        let url = TestData.conformance.appendingPathComponent("deit_tiny_d2/model.safetensors")
        let data = try Data(contentsOf: url)
        do {
            _ = try data.withUnsafeBytes { raw throws(DeiTError) in try Model(bytes: raw, imageSize: size) }
            Issue.record("image size \(size) was accepted")
        } catch let error as DeiTError {
            #expect(error.status == status, "image size \(size): \(error)")
        }
        // A lower token limit refuses sizes the default admits.
        var limits = LoadLimits.default
        limits.maxTokens = 200
        #expect(throws: DeiTError.self) {
            _ = try data.withUnsafeBytes { raw throws(DeiTError) in try Model(bytes: raw, limits: limits, imageSize: 288) }
        }
    }
}
