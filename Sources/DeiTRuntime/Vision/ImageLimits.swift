/// Limits checked before an image is decoded (from its header), so a hostile or unexpected file
/// fails with a specific error instead of exhausting memory.
public struct ImageLimits: Sendable {
    /// Largest image file read, in bytes.
    public var maxFileBytes: Int
    /// Largest width and height, in pixels.
    public var maxWidth: Int
    public var maxHeight: Int
    /// Largest width × height.
    public var maxPixels: Int

    public init(maxFileBytes: Int, maxWidth: Int, maxHeight: Int, maxPixels: Int) {
        self.maxFileBytes = maxFileBytes
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxPixels = maxPixels
    }

    /// 64 MiB files, 16384 pixels per side, 50 megapixels (150 MB of decoded RGB).
    public static let `default` = ImageLimits(maxFileBytes: 64 << 20, maxWidth: 16384, maxHeight: 16384,
                                              maxPixels: 50_000_000)
}
