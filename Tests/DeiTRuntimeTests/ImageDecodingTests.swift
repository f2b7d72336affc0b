import DeiTRuntime
import Foundation
import Testing

/// stb_image decoding: every pixel layout to RGB as PIL's convert("RGB"), limits before decoding,
/// and specific errors for truncated, corrupt and foreign files.
@Suite struct ImageDecodingTests {
    /// Reads a PNG fixture back and compares with the layout's RGB conversion rule.
    @Test(arguments: [
        ("gray_50x80.png", 50, 80), ("gray_alpha_64x64.png", 64, 64), ("rgba_45x30.png", 45, 30),
        ("palette_40x40.png", 40, 40), ("rgb_97x61.png", 97, 61), ("tiny_1x1.png", 1, 1),
        ("wide_1000x3.png", 1000, 3), ("gray_77x51.jpg", 77, 51), ("photo_120x90.jpg", 120, 90),
    ])
    func decodesEveryLayoutToRGB(file: String, width: Int, height: Int) throws {
        let image = try ImageTestData.decode(ImageTestData.fixtures.appendingPathComponent(file))
        #expect(image.width == width && image.height == height)
        let view = image.view
        #expect(view.strideBytes == 3 * width)
        if file.hasPrefix("gray") {   // gray (with or without alpha) is replicated to R = G = B
            for i in stride(from: 0, to: width * height * 3, by: 3) {
                #expect(view.base[i] == view.base[i + 1] && view.base[i] == view.base[i + 2])
            }
        }
        if file == "tiny_1x1.png" { #expect([view.base[0], view.base[1], view.base[2]] == [200, 30, 90]) }
    }

    @Test func grayAlphaAndRGBADropAlphaLikePIL() throws {
        // The PNG fixtures' timm tensors were made from PIL's convert("RGB"); bit-exact
        // preprocessing (EvalTransformTests) proves the same pixels. Here: alpha is not composited.
        let rgba = try ImageTestData.decode(ImageTestData.fixtures.appendingPathComponent("rgba_45x30.png"))
        var sum = 0
        for i in 0..<(rgba.width * rgba.height * 3) { sum += Int(rgba.view.base[i]) }
        #expect(sum > 0)
    }

    @Test func jpegDecodingIsCloseToLibjpeg() throws {
        // stb_image's IDCT, chroma upsampling and colour conversion round differently from
        // libjpeg-turbo (PIL): measured and bounded here.
        for file in ["photo_120x90.jpg", "gray_77x51.jpg"] {
            let image = try ImageTestData.decode(ImageTestData.fixtures.appendingPathComponent(file))
            let pil = [UInt8](try Data(contentsOf: ImageTestData.fixtures.appendingPathComponent(file + ".pil.rgb")))
            #expect(pil.count == image.width * image.height * 3)
            var maximum = 0, sum = 0, differing = 0
            for i in 0..<pil.count {
                let d = abs(Int(image.view.base[i]) - Int(pil[i]))
                maximum = max(maximum, d); sum += d; differing += d > 0 ? 1 : 0
            }
            print("stb vs PIL \(file): max |Δpixel| \(maximum), mean \(Double(sum) / Double(pil.count)), differing \(differing)/\(pil.count)")
            #expect(maximum <= 8)
            #expect(Double(sum) / Double(pil.count) < 1.0)
        }
    }

    @Test func limitsAreCheckedBeforeDecoding() throws {
        let data = try Data(contentsOf: ImageTestData.fixtures.appendingPathComponent("rgb_97x61.png"))
        let cases: [(ImageLimits, String)] = [
            (ImageLimits(maxFileBytes: 100, maxWidth: 16384, maxHeight: 16384, maxPixels: 1 << 30), "bytes"),
            (ImageLimits(maxFileBytes: 1 << 20, maxWidth: 96, maxHeight: 16384, maxPixels: 1 << 30), "width"),
            (ImageLimits(maxFileBytes: 1 << 20, maxWidth: 16384, maxHeight: 60, maxPixels: 1 << 30), "height"),
            (ImageLimits(maxFileBytes: 1 << 20, maxWidth: 16384, maxHeight: 16384, maxPixels: 97 * 61 - 1), "pixels"),
        ]
        for (limits, word) in cases {
            do {
                _ = try ImageTestData.decode(data, limits: limits)
                Issue.record("expected the \(word) limit to fail")
            } catch {
                #expect(error.status == .outOfMemory)
                #expect(error.message.contains(word), "\(error.message)")
            }
        }
        _ = try ImageTestData.decode(data, limits: ImageLimits(maxFileBytes: data.count, maxWidth: 97, maxHeight: 61, maxPixels: 97 * 61))
    }

    @Test(arguments: ["photo_120x90.jpg", "gray_77x51.jpg", "rgb_97x61.png", "gray_alpha_64x64.png"])
    func truncatedFilesFailWithFormatErrors(file: String) throws {
        let data = try Data(contentsOf: ImageTestData.fixtures.appendingPathComponent(file))
        // Every cut from the header to the last byte: never a crash, never a silent partial image.
        let cuts = Set(stride(from: 1, to: data.count, by: max(1, data.count / 97)) + [data.count - 1, data.count - 2, 10, 30])
        for cut in cuts.sorted() where cut < data.count {
            do {
                _ = try ImageTestData.decode(data.prefix(cut))
                Issue.record("\(file) cut at \(cut) of \(data.count) bytes decoded")
            } catch {
                #expect(error.status == .format || error.status == .unsupported, "\(cut): \(error.message)")
            }
        }
    }

    @Test func foreignAndEmptyDataAreRejected() throws {
        let gif = Data("GIF89a\u{01}\u{00}\u{01}\u{00}".utf8)
        #expect(throws: DeiTError.self) { _ = try ImageTestData.decode(gif) }
        do { _ = try ImageTestData.decode(gif); Issue.record("GIF decoded") } catch { #expect(error.status == .unsupported) }
        do { _ = try ImageTestData.decode(Data()); Issue.record("empty data decoded") } catch { #expect(error.status == .format) }
        // A PNG signature followed by garbage.
        var png = try Data(contentsOf: ImageTestData.fixtures.appendingPathComponent("rgb_97x61.png"))
        png.replaceSubrange(40..<png.count, with: [UInt8](repeating: 0xAB, count: png.count - 40))
        do { _ = try ImageTestData.decode(png); Issue.record("corrupt PNG decoded") } catch { #expect(error.status == .format) }
    }

    @Test func missingFileIsAnIOError() {
        do {
            _ = try RGBImage.load(path: "/nonexistent/deit/image.jpg")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.status == .io)
            #expect(error.message.contains("/nonexistent/deit/image.jpg"))
        }
    }
}
