import CDeiTImage

/// A decoded JPEG or PNG as packed 8-bit RGB (stb_image; gray replicated and alpha dropped, as PIL's
/// `convert("RGB")`). Owns its pixels.
public final class RGBImage {
    public let width: Int
    public let height: Int
    private let pixels: UnsafeMutablePointer<UInt8>

    private init(width: Int, height: Int, pixels: UnsafeMutablePointer<UInt8>) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    deinit { deit_image_free(pixels) }

    /// The pixels as a view for preprocessing (valid while the image lives).
    public var view: RGBPixels {
        RGBPixels(validatedBase: UnsafePointer(pixels), width: width, height: height, strideBytes: 3 * width)
    }

    /// Decodes JPEG or PNG bytes. The header is checked against `limits` before any pixel is decoded.
    public static func decode(bytes: UnsafeRawBufferPointer, limits: ImageLimits = .default) throws(DeiTError) -> RGBImage {
        guard let data = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else {
            throw DeiTError(.format, "image is empty (0 bytes)")
        }
        guard bytes.count <= limits.maxFileBytes else {
            throw DeiTError(.outOfMemory, "image is \(bytes.count) bytes, above the limit of \(limits.maxFileBytes) bytes")
        }
        let format = deit_image_sniff_format(data, bytes.count)
        let formatName: String
        switch format {
        case DEIT_IMAGE_FORMAT_JPEG: formatName = "JPEG"
        case DEIT_IMAGE_FORMAT_PNG: formatName = "PNG"
        default: throw DeiTError(.unsupported, "not a JPEG or PNG file (unrecognised first bytes)")
        }

        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        guard deit_image_info(data, bytes.count, &width, &height, &channels) != 0 else {
            throw DeiTError(.format, "malformed \(formatName) header (\(failureReason()))")
        }
        let w = Int(width), h = Int(height)
        guard w <= limits.maxWidth else {
            throw DeiTError(.outOfMemory, "image is \(w)×\(h) pixels; its width is above the limit of \(limits.maxWidth)")
        }
        guard h <= limits.maxHeight else {
            throw DeiTError(.outOfMemory, "image is \(w)×\(h) pixels; its height is above the limit of \(limits.maxHeight)")
        }
        let (pixelCount, overflow) = w.multipliedReportingOverflow(by: h)
        guard !overflow, pixelCount <= limits.maxPixels else {
            throw DeiTError(.outOfMemory, "image is \(w)×\(h) pixels, above the limit of \(limits.maxPixels) pixels")
        }
        if format == DEIT_IMAGE_FORMAT_JPEG, deit_image_jpeg_is_complete(data, bytes.count) == 0 {
            throw DeiTError(.format, "truncated or corrupt JPEG: the data ends before the end-of-image marker")
        }
        if format == DEIT_IMAGE_FORMAT_PNG, deit_image_png_is_complete(data, bytes.count) == 0 {
            throw DeiTError(.format, "truncated or corrupt PNG: the data ends before the IEND chunk")
        }

        // No single allocation inside stb_image may exceed what a 16-bit RGBA image of this size
        // needs, plus a margin for row filters and tables: a zlib bomb fails instead of growing.
        let allocationCap = (w &+ 1) &* (h &+ 1) &* 8 &+ (1 << 20)
        var decodedWidth: Int32 = 0, decodedHeight: Int32 = 0
        guard let pixels = deit_image_decode_rgb8(data, bytes.count, allocationCap, &decodedWidth, &decodedHeight) else {
            let reason = failureReason()
            if reason.utf8.elementsEqual("outofmem".utf8) {
                throw DeiTError(.outOfMemory, "could not allocate memory to decode the \(w)×\(h) \(formatName)")
            }
            throw DeiTError(.format, "corrupt or truncated \(formatName) (\(reason))")
        }
        guard Int(decodedWidth) == w, Int(decodedHeight) == h else {
            deit_image_free(pixels)
            throw DeiTError(.format, "\(formatName) decoded to a size different from its header")
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    /// Reads and decodes an image file; errors name the file.
    public static func load(path: UnsafePointer<CChar>, limits: ImageLimits = .default) throws(DeiTError) -> RGBImage {
        try FileContents.withBytes(of: path, maxBytes: limits.maxFileBytes, limitName: "the image limit") {
            bytes throws(DeiTError) in
            do throws(DeiTError) {
                return try decode(bytes: bytes, limits: limits)
            } catch {
                throw DeiTError(error.status, "'\(String(cString: path))': \(error.message)")
            }
        }
    }

    private static func failureReason() -> String { String(cString: deit_image_failure_reason()) }
}
