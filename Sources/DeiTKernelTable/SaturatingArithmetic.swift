/// Buffer-size arithmetic that cannot trap: sizes saturate at `Int.max` (an allocation that large
/// fails cleanly) and negative inputs count as zero. Inlinable: the kernel modules use it in their own code.
public enum SaturatingArithmetic {
    @inlinable @inline(__always)
    public static func product(_ a: Int, _ b: Int) -> Int {
        let (value, overflow) = max(a, 0).multipliedReportingOverflow(by: max(b, 0))
        return overflow ? Int.max : value
    }

    @inlinable @inline(__always)
    public static func sum(_ a: Int, _ b: Int) -> Int {
        let (value, overflow) = max(a, 0).addingReportingOverflow(max(b, 0))
        return overflow ? Int.max : value
    }

    /// ⌈a / b⌉ for a ≥ 0, b > 0 (zero otherwise).
    @inlinable @inline(__always)
    public static func ceilingDivision(_ a: Int, _ b: Int) -> Int {
        guard a > 0, b > 0 else { return 0 }
        return (a - 1) / b + 1
    }
}
