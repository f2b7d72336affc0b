import DeiTKernelTable

/// Packing of the GEMM's right-hand matrix into NR-wide panels, bias row first (done once, at load),
/// for this module's micro-kernel; the layout itself is `PanelPacking` (DeiTKernelTable), shared by
/// every set.
///
/// Layout (see README.md): panel `p` covers output columns `p·NR ..< p·NR + NR` and is `(1 + k) × NR`
/// floats — the bias row, then row `i` holds `W[p·NR + j, i]` for `j` in `0..<NR`. Columns past `n`
/// are zero, so the kernel may compute full panels and simply not store the padding.
extension PackedGEMM {
    /// NR: columns per packed panel of this build's micro-kernel (16 or 32).
    public static var panelWidth: Int { ActiveGEMMKernel.panelWidth }

    /// ⌈n / NR⌉: panels of a packed matrix with `n` output columns.
    public static func panelCount(n: Int) -> Int {
        panelCount(n: n, panelWidth: panelWidth)
    }

    /// Floats for a packed [n, k] weight with bias: ⌈n/NR⌉ panels × (1 + k) rows × NR.
    /// Saturates at `Int.max` instead of overflowing (so an allocation of that size fails cleanly).
    public static func packedCount(n: Int, k: Int) -> Int {
        packedCount(n: n, k: k, panelWidth: panelWidth)
    }

    static func panelCount(n: Int, panelWidth: Int) -> Int {
        PanelPacking.panelCount(n: n, panelWidth: panelWidth)
    }

    static func packedCount(n: Int, k: Int, panelWidth: Int) -> Int {
        PanelPacking.packedCount(n: n, k: k, panelWidth: panelWidth)
    }

    /// Packs a PyTorch Linear weight (`[n, k]` row-major, `out × in`) and its bias `[n]`.
    public static func pack(
        weight: UnsafePointer<Float>,  // [n, k]
        bias: UnsafePointer<Float>,  // [n]
        n: Int, k: Int,
        into packed: UnsafeMutablePointer<Float>  // [packedCount(n, k)]
    ) {
        pack(weight: weight, bias: bias, n: n, k: k, into: packed, panelWidth: panelWidth)
    }

    /// ``pack(weight:bias:n:k:into:)`` for any panel width of the kernel table (the tests pack for
    /// every entry, not just this build's).
    static func pack(
        weight: UnsafePointer<Float>,  // [n, k]
        bias: UnsafePointer<Float>,  // [n]
        n: Int, k: Int,
        into packed: UnsafeMutablePointer<Float>,  // [packedCount(n, k, panelWidth)]
        panelWidth: Int
    ) {
        PanelPacking.pack(weight: weight, bias: bias, n: n, k: k, into: packed, panelWidth: panelWidth)
    }
}
