import DeiTRuntime
import Foundation
import Testing

/// Preprocessing against timm's own eval transform (committed tensors from
/// scripts/python/gen_image_fixtures.py): bit-exact whenever the decoded pixels are PIL's.
@Suite struct EvalTransformTests {
    @Test(arguments: ImageTestData.manifest)
    func matchesTimmBitForBitOnPIL_Pixels(_ case_: ImageTestData.Expectation) throws {
        let expected = try TestData.floats(ImageTestData.fixtures.appendingPathComponent(case_.expected))
        let ours: [Float]
        if case_.pilRGB.isEmpty {
            // PNG: stb_image and PIL decode to the same pixels, so the whole pipeline must agree exactly.
            let image = try ImageTestData.decode(ImageTestData.fixtures.appendingPathComponent(case_.file))
            ours = try ImageTestData.transform(image.view, imageSize: case_.imageSize, cropPct: case_.cropPct)
        } else {
            // JPEG: start from PIL's decoded pixels to test preprocessing alone.
            let pixels = [UInt8](try Data(contentsOf: ImageTestData.fixtures.appendingPathComponent(case_.pilRGB)))
            let image = try ImageTestData.decode(ImageTestData.fixtures.appendingPathComponent(case_.file))
            ours = try ImageTestData.withPixels(pixels, width: image.width, height: image.height) { view in
                try ImageTestData.transform(view, imageSize: case_.imageSize, cropPct: case_.cropPct)
            }
        }
        let difference = ImageTestData.difference(ours, expected)
        #expect(difference.max == 0, "max |Δ| \(difference.max), mean \(difference.mean)")
    }

    @Test func jpegThroughStbIsCloseToTimm() throws {
        for case_ in ImageTestData.manifest where !case_.pilRGB.isEmpty {
            let expected = try TestData.floats(ImageTestData.fixtures.appendingPathComponent(case_.expected))
            let image = try ImageTestData.decode(ImageTestData.fixtures.appendingPathComponent(case_.file))
            let ours = try ImageTestData.transform(image.view, imageSize: case_.imageSize, cropPct: case_.cropPct)
            let difference = ImageTestData.difference(ours, expected)
            print("stb JPEG → eval transform vs timm, \(case_.testDescription): max |Δ| \(difference.max), mean \(difference.mean)")
            #expect(difference.max < 0.1 && difference.mean < 0.01)
        }
    }

    @Test func chunkingWithTinyScratchGivesTheSameResult() throws {
        let image = try ImageTestData.decode(ImageTestData.fixtures.appendingPathComponent("rgb_97x61.png"))
        let full = try ImageTestData.transform(image.view, imageSize: 32, cropPct: 0.9)
        for scratchBytes in [256, 700, 4096] {
            let chunked = try ImageTestData.transform(image.view, imageSize: 32, cropPct: 0.9, scratchBytes: scratchBytes)
            #expect(chunked == full, "scratch \(scratchBytes) bytes")
        }
        #expect(throws: DeiTError.self) { _ = try ImageTestData.transform(image.view, imageSize: 32, cropPct: 0.9, scratchBytes: 16) }
    }

    @Test func resizeAndCropFollowTorchvision() throws {
        let t224 = try EvalTransform(imageSize: 224)
        #expect(t224.cropPct == 0.9 && t224.resizedShorterSide == 248)
        #expect(try EvalTransform(imageSize: 224, cropPct: 0.875).resizedShorterSide == 256)
        let t384 = try EvalTransform(imageSize: 384)
        #expect(t384.cropPct == 1.0 && t384.resizedShorterSide == 384)
        // int(248 · 500 / 375) = 330; portrait keeps the orientation.
        #expect(try t224.resizedSize(width: 500, height: 375) == (330, 248))
        #expect(try t224.resizedSize(width: 375, height: 500) == (248, 330))
        #expect(try t224.resizedSize(width: 1, height: 1) == (248, 248))
        for bad in [0.0, -1, 1.01, .nan, .infinity, 0.05] {
            #expect(throws: DeiTError.self) { _ = try EvalTransform(imageSize: 224, cropPct: bad) }
        }
    }

    @Test func rejectsBadPixelGeometry() {
        let bytes = [UInt8](repeating: 0, count: 64)
        bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            #expect(throws: DeiTError.self) { _ = try RGBPixels(base: base, width: 0, height: 1, strideBytes: 0) }
            #expect(throws: DeiTError.self) { _ = try RGBPixels(base: base, width: 1, height: -1, strideBytes: 0) }
            #expect(throws: DeiTError.self) { _ = try RGBPixels(base: base, width: 4, height: 1, strideBytes: 11) }
            #expect(throws: DeiTError.self) { _ = try RGBPixels(base: base, width: 4, height: 2, strideBytes: -12) }
            #expect(throws: DeiTError.self) { _ = try RGBPixels(base: base, width: Int.max / 2, height: 1, strideBytes: 0) }
            #expect(throws: DeiTError.self) { _ = try RGBPixels(base: base, width: 1, height: Int.max, strideBytes: 3) }
            #expect((try? RGBPixels(base: base, width: 4, height: 2, strideBytes: 0))?.strideBytes == 12)
        }
    }
}
