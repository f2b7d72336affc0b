/// Single-precision GEMM against a pre-packed right-hand matrix: `C = epilogue(A·Wᵀ + bias)`.
///
/// W is packed once (``pack(weight:bias:n:k:into:)``); `multiply` walks its panels and covers the rows
/// of A with ``F32GEMMTile32`` register tiles. Ragged `m` and `n` are handled inside: only `m` rows of
/// A are read and only `n` columns of C are written (C is read only for `.accumulate`).
public enum PackedGEMM {
    /// C[m×n] (ldc) ⟵ epilogue(A[m×k] (lda) · Wᵀ + bias), all panels.
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [m, k]
        packed: UnsafePointer<Float>,  // [packedCount(n, k)]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, n]
        epilogue: GEMMEpilogue
    ) {
        multiply(
            m: m, n: n, k: k, a: a, lda: lda, packed: packed, c: c, ldc: ldc, epilogue: epilogue,
            panelRange: 0..<panelCount(n: n))
    }

    /// Same as ``multiply(m:n:k:a:lda:packed:c:ldc:epilogue:)`` restricted to the panels in
    /// `panelRange` (output columns `lowerBound·NR ..< min(n, upperBound·NR)`), so a worker pool can
    /// split N; disjoint ranges write disjoint columns. Panels outside `0..<panelCount(n:)` are ignored.
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [m, k]
        packed: UnsafePointer<Float>,  // [packedCount(n, k)]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, n]
        epilogue: GEMMEpilogue,
        panelRange: Range<Int>
    ) {
        guard m > 0, n > 0, k >= 0 else { return }
        let panelStride = (1 + k) * panelWidth  // floats per packed panel
        for panel in panelRange.clamped(to: 0..<panelCount(n: n)) {
            let firstColumn = panel * panelWidth
            multiplyPanel(
                m: m, k: k, a: a, lda: lda,
                panel: packed + panel * panelStride,
                c: c + firstColumn, ldc: ldc,
                columns: min(panelWidth, n - firstColumn),
                epilogue: epilogue)
        }
    }

    /// All m rows against one panel: full MR-row tiles, then the remainder as tiles of 8, 4, 2 and 1
    /// rows (the binary decomposition of what is left, correct for any MR).
    private static func multiplyPanel(
        m: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [m, k]
        panel: UnsafePointer<Float>,  // [1 + k, NR]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    ) {
        var row = 0
        while m - row >= GEMMTileShape.rows {
            GEMMTileShape.FullTile.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, c: c + row * ldc, ldc: ldc,
                columns: columns, epilogue: epilogue)
            row += GEMMTileShape.rows
        }
        while m - row >= 8 {
            F32GEMMTile32<8>.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, c: c + row * ldc, ldc: ldc,
                columns: columns, epilogue: epilogue)
            row += 8
        }
        if m - row >= 4 {
            F32GEMMTile32<4>.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, c: c + row * ldc, ldc: ldc,
                columns: columns, epilogue: epilogue)
            row += 4
        }
        if m - row >= 2 {
            F32GEMMTile32<2>.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, c: c + row * ldc, ldc: ldc,
                columns: columns, epilogue: epilogue)
            row += 2
        }
        if m - row >= 1 {
            F32GEMMTile32<1>.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, c: c + row * ldc, ldc: ldc,
                columns: columns, epilogue: epilogue)
        }
    }
}
