import DeiTRuntime
import Foundation
import Testing

/// The 16 photos for which ../shared holds timm's preprocessed tensors: our JPEG decode (stb_image)
/// and eval transform against timm's (PIL / libjpeg-turbo). The committed PNG fixtures prove the
/// transform bit-exact, so what remains here is the JPEG decoder's rounding.
@Suite struct SharedImageTests {
    @Test func preprocessingMatchesTimmOnTheSharedPhotos() throws {
        guard let shared = TestData.shared else {
            print(TestData.sharedMissing)
            return
        }
        let reference = shared.appendingPathComponent("data/reference")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: reference.path)
            .filter { $0.hasSuffix(".in.f32") }.sorted()
        #expect(inputs.count >= 16)
        var worst: Float = 0, meanSum = 0.0
        for input in inputs {
            let stem = String(input.dropLast(".in.f32".count))
            let photo = shared.appendingPathComponent("data/imagenet-sample/\(stem).JPEG")
            let expected = try TestData.floats(reference.appendingPathComponent(input))
            let image = try ImageTestData.decode(photo)
            let ours = try ImageTestData.transform(image.view, imageSize: 224, cropPct: nil)
            let difference = ImageTestData.difference(ours, expected)
            print("preprocessing vs timm \(stem) (\(image.width)×\(image.height)): max |Δ| \(difference.max), mean |Δ| \(difference.mean)")
            worst = max(worst, difference.max)
            meanSum += difference.mean
            // One 8-bit step is 1/255/0.225 ≈ 0.0174 after normalisation.
            #expect(difference.mean < 0.02, "\(stem)")
            #expect(difference.max < 0.5, "\(stem)")
        }
        print("preprocessing vs timm over \(inputs.count) photos: max |Δ| \(worst), mean of means \(meanSum / Double(inputs.count))")
    }
}
