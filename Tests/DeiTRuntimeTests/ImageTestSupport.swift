import DeiTRuntime
import Foundation
import Testing

/// Decoding and preprocessing helpers for the image tests.
enum ImageTestData {
    static let fixtures = TestData.repositoryRoot.appendingPathComponent("Tests/Fixtures/images")

    /// One line of Tests/Fixtures/images/manifest.tsv.
    struct Expectation: CustomTestStringConvertible {
        let file: String
        let imageSize: Int
        let cropPct: Double
        let expected: String
        let pilRGB: String
        var testDescription: String { "\(file) S=\(imageSize) crop=\(cropPct)" }
    }

    static let manifest: [Expectation] = {
        guard let text = try? String(contentsOf: fixtures.appendingPathComponent("manifest.tsv"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 5, let size = Int(f[1]), let crop = Double(f[2]) else { return nil }
            return Expectation(file: f[0], imageSize: size, cropPct: crop, expected: f[3], pilRGB: f[4])
        }
    }()

    static func decode(_ data: Data, limits: ImageLimits = .default) throws(DeiTError) -> RGBImage {
        let result: Result<RGBImage, DeiTError> = data.withUnsafeBytes { raw in
            do throws(DeiTError) { return .success(try RGBImage.decode(bytes: raw, limits: limits)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    static func decode(_ url: URL) throws -> RGBImage { try decode(try Data(contentsOf: url)) }

    /// The eval transform of `pixels` (3·S·S floats).
    static func transform(_ pixels: RGBPixels, imageSize: Int, cropPct: Double?,
                          scratchBytes: Int = EvalTransform.scratchBytes) throws -> [Float] {
        let transform = try EvalTransform(imageSize: imageSize, cropPct: cropPct)
        var output = [Float](repeating: .nan, count: 3 * imageSize * imageSize)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchBytes, alignment: 64)
        defer { scratch.deallocate() }
        try output.withUnsafeMutableBufferPointer { out throws(DeiTError) in
            try transform.apply(to: pixels, output: out.baseAddress!, scratch: scratch)
        }
        return output
    }

    /// Max and mean |a − b|.
    static func difference(_ a: [Float], _ b: [Float]) -> (max: Float, mean: Double) {
        precondition(a.count == b.count)
        var maximum: Float = 0, sum = 0.0
        for (x, y) in zip(a, b) {
            let d = abs(x - y)
            maximum = max(maximum, d.isNaN ? .infinity : d)
            sum += Double(d)
        }
        return (maximum, sum / Double(max(a.count, 1)))
    }

    /// Packed RGB bytes as a view (the array must outlive the use).
    static func withPixels<R>(_ bytes: [UInt8], width: Int, height: Int,
                              _ body: (RGBPixels) throws -> R) throws -> R {
        try bytes.withUnsafeBufferPointer { buffer in
            try body(try RGBPixels(base: buffer.baseAddress!, width: width, height: height, strideBytes: 3 * width))
        }
    }
}
