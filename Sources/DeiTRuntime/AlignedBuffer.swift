import CDeiTSupport

/// One 64-byte-aligned heap allocation that reports failure instead of trapping (Swift's own
/// `allocate` aborts when the system is out of memory).
final class AlignedBuffer {
    static let alignment = 64

    let raw: UnsafeMutableRawPointer
    let byteCount: Int

    init(byteCount: Int, purpose: String) throws(DeiTError) {
        guard byteCount >= 0, let memory = deit_support_aligned_alloc(AlignedBuffer.alignment, byteCount) else {
            throw DeiTError(.outOfMemory, "could not allocate \(byteCount) bytes for \(purpose)")
        }
        raw = memory
        self.byteCount = byteCount
    }

    deinit { deit_support_free(raw) }

    var floats: UnsafeMutablePointer<Float> { raw.assumingMemoryBound(to: Float.self) }
}

/// Checked `a · b` for sizes derived from a file.
@inline(__always)
func checkedProduct(_ a: Int, _ b: Int, _ what: String) throws(DeiTError) -> Int {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    guard !overflow, product >= 0 else { throw DeiTError(.outOfMemory, "size of \(what) overflows") }
    return product
}

/// Checked `a + b` for sizes derived from a file.
@inline(__always)
func checkedSum(_ a: Int, _ b: Int, _ what: String) throws(DeiTError) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    guard !overflow, sum >= 0 else { throw DeiTError(.outOfMemory, "size of \(what) overflows") }
    return sum
}
