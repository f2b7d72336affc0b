/// The GEMM's packed layout for a panel width NR (see Sources/DeiTKernels/README.md): ⌈n/NR⌉ panels of
/// `(1 + k) × NR` floats, the bias row first, then row `i` holding `W[p·NR + j, i]`, zero past `n`.
///
/// The layout differs between kernel sets only in NR (16, or 32 for AVX-512), so packing lives here,
/// compiled once for the baseline (it runs at load, not per image), and `repack` converts weights
/// packed for one set's NR to another's when a session runs another set than the model was packed for.
public enum PanelPacking {
    /// ⌈n / NR⌉: panels of a packed matrix with `n` output columns.
    public static func panelCount(n: Int, panelWidth: Int) -> Int {
        SaturatingArithmetic.ceilingDivision(n, panelWidth)
    }

    /// Floats of a packed [n, k] weight with bias: ⌈n/NR⌉ panels × (1 + k) rows × NR. Saturates at
    /// `Int.max` instead of overflowing (so an allocation of that size fails cleanly).
    public static func packedCount(n: Int, k: Int, panelWidth: Int) -> Int {
        let panelFloats = SaturatingArithmetic.product(SaturatingArithmetic.sum(k, 1), panelWidth)
        return SaturatingArithmetic.product(panelCount(n: n, panelWidth: panelWidth), panelFloats)
    }

    /// Packs a PyTorch Linear weight (`[n, k]` row-major, `out × in`) and its bias `[n]`.
    public static func pack(
        weight: UnsafePointer<Float>,  // [n, k]
        bias: UnsafePointer<Float>,  // [n]
        n: Int, k: Int,
        into packed: UnsafeMutablePointer<Float>,  // [packedCount(n, k, panelWidth)]
        panelWidth: Int
    ) {
        guard n > 0, k >= 0, panelWidth > 0 else { return }
        var destination = packed
        for panel in 0..<panelCount(n: n, panelWidth: panelWidth) {
            let firstColumn = panel * panelWidth
            let columns = min(panelWidth, n - firstColumn)

            // Bias row, zero-padded past n.
            destination.update(repeating: 0, count: panelWidth)
            destination.update(from: bias + firstColumn, count: columns)
            destination += panelWidth

            // k rows: row i holds W[firstColumn + j, i], zero-padded past n.
            for i in 0..<k {
                let source = weight + firstColumn * k + i
                for j in 0..<columns {
                    destination[j] = source[j * k]
                }
                for j in columns..<panelWidth {
                    destination[j] = 0
                }
                destination += panelWidth
            }
        }
    }

    /// The same weight and bias packed for `toWidth` from their packing for `fromWidth`: element
    /// (row r of the bias-first matrix, column j) moves from panel j/from to panel j/to. A copy of
    /// every value (the bits are unchanged), padding zero.
    public static func repack(
        _ source: UnsafePointer<Float>,  // [packedCount(n, k, fromWidth)]
        fromWidth: Int,
        into destination: UnsafeMutablePointer<Float>,  // [packedCount(n, k, toWidth)]
        toWidth: Int,
        n: Int, k: Int
    ) {
        guard n > 0, k >= 0, fromWidth > 0, toWidth > 0 else { return }
        let rows = k + 1  // the bias row, then W's k columns
        destination.update(repeating: 0, count: packedCount(n: n, k: k, panelWidth: toWidth))
        for column in 0..<n {
            let from = source + (column / fromWidth) * rows * fromWidth + column % fromWidth
            let to = destination + (column / toWidth) * rows * toWidth + column % toWidth
            for row in 0..<rows {
                to[row * toWidth] = from[row * fromWidth]
            }
        }
    }
}
