import Foundation

// SeededGenerator lives in the shared DeiTTestSupport target (Tests/DeiTTestSupport).

/// Float storage whose last element sits right before an inaccessible page, so any read or write past
/// the end crashes the test instead of passing silently. Contents start as NaN.
final class GuardedBuffer {
    let pointer: UnsafeMutablePointer<Float>  // [count]
    let count: Int
    private let mapping: UnsafeMutableRawPointer
    private let mappedBytes: Int

    init(count: Int) {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let dataBytes = (max(count, 1) * MemoryLayout<Float>.stride + pageSize - 1) / pageSize * pageSize
        mappedBytes = dataBytes + pageSize
        guard let base = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            base != MAP_FAILED
        else { fatalError("mmap failed") }
        mapping = base
        precondition(mprotect(base + dataBytes, pageSize, PROT_NONE) == 0, "mprotect failed")
        self.count = count
        pointer = (base + dataBytes - count * MemoryLayout<Float>.stride).bindMemory(to: Float.self, capacity: count)
        pointer.initialize(repeating: .nan, count: count)
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        pointer.update(from: values, count: values.count)
    }

    subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    deinit { munmap(mapping, mappedBytes) }
}

/// Largest |got − expected| / tolerance over a set of elements (≤ 1 means all within tolerance).
struct ToleranceTracker {
    private(set) var worstRatio = 0.0
    private(set) var worstError = 0.0
    private(set) var failures = 0

    mutating func check(_ got: Float, _ expected: Double, tolerance: Double) {
        let error = abs(Double(got) - expected)
        let ratio = error / tolerance
        if !(ratio <= 1) { failures += 1 }  // NaN counts as a failure
        if ratio > worstRatio || ratio.isNaN { worstRatio = ratio.isNaN ? .infinity : ratio }
        worstError = max(worstError, error)
    }
}

/// The unit roundoff of Float, 2⁻²⁴.
let floatRoundoff = Double(Float.ulpOfOne) / 2
