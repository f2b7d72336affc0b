/// A view of caller-owned 8-bit RGB pixels: `height` rows of `width` pixels, 3 bytes each (R, G, B),
/// rows `strideBytes` apart.
public struct RGBPixels {
    public let base: UnsafePointer<UInt8>
    public let width: Int
    public let height: Int
    public let strideBytes: Int

    /// Validates the geometry: positive sides, `strideBytes` ≥ 3·width (0 means exactly 3·width), and
    /// a last byte that is addressable without overflow.
    public init(base: UnsafePointer<UInt8>, width: Int, height: Int, strideBytes: Int) throws(DeiTError) {
        guard width >= 1, height >= 1 else {
            throw DeiTError(.invalidArgument, "image is \(width)×\(height) pixels; both sides must be at least 1")
        }
        let (rowBytes, rowOverflow) = width.multipliedReportingOverflow(by: 3)
        guard !rowOverflow else { throw DeiTError(.invalidArgument, "image width \(width) is too large") }
        let stride = strideBytes == 0 ? rowBytes : strideBytes
        guard stride >= rowBytes else {
            throw DeiTError(.invalidArgument, "stride of \(strideBytes) bytes is less than 3 × width = \(rowBytes)")
        }
        let (lastRow, overflow1) = (height - 1).multipliedReportingOverflow(by: stride)
        let (_, overflow2) = lastRow.addingReportingOverflow(rowBytes)
        guard !overflow1, !overflow2 else {
            throw DeiTError(.invalidArgument, "image of \(width)×\(height) pixels with stride \(stride) is too large")
        }
        self.base = base
        self.width = width
        self.height = height
        self.strideBytes = stride
    }

    /// For geometry already known to be valid (a decoded image: sides within the limits).
    init(validatedBase base: UnsafePointer<UInt8>, width: Int, height: Int, strideBytes: Int) {
        self.base = base
        self.width = width
        self.height = height
        self.strideBytes = strideBytes
    }
}
