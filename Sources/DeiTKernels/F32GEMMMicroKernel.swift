import DeiTKernelTable

/// The two protocols that tie the GEMM together: a register tile of a fixed row count, and a
/// micro-kernel (one row of the table in `GEMMKernelTable.swift`) that names its tiles.
///
/// Both are used only as generic constraints on concrete types (never as existentials), so every call
/// is specialised and direct — Embedded Swift accepts them.
protocol F32GEMMTile {
    /// Rows of A and C the tile covers.
    static var rowCount: Int { get }

    /// C[rowCount × columns] (ldc) ⟵ epilogue(A[rowCount × k] (lda) · panel + panel bias row).
    ///
    /// `panel` is one packed panel, `(1 + k) × panelWidth` floats, bias row first; `columns`
    /// (1...panelWidth) says how many of its columns are real: only those are read or written in C.
    static func run(
        k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [rowCount, k]
        panel: UnsafePointer<Float>,  // [1 + k, panelWidth]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rowCount, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    )
}

/// A GEMM micro-kernel: the panel width weights are packed for, the full tile (MR rows), and the
/// shorter tiles that cover what is left of m.
///
/// After the full tiles fewer than MR rows are left, so a 4-row tile can only run when MR > 4 and a
/// 2-row tile only when MR > 2. A kernel without a useful 4- or 2-row tile leaves it out: the default
/// (`FullTile`) means "none", and `multiplyPanel` never runs a remainder tile that is not shorter
/// than the full one.
protocol F32GEMMMicroKernel {
    associatedtype FullTile: F32GEMMTile
    associatedtype FourRowTile: F32GEMMTile = FullTile
    associatedtype TwoRowTile: F32GEMMTile = FullTile
    associatedtype OneRowTile: F32GEMMTile
    /// NR: columns per packed panel and per tile.
    static var panelWidth: Int { get }
    /// XNNPACK-style name: dtype, op, MR×NR, ISA (e.g. `f32_gemm_5x16__avx2_fma`).
    static var name: String { get }
}

extension F32GEMMMicroKernel {
    /// MR: rows of the full tile.
    static var rows: Int { FullTile.rowCount }

    /// All m rows against one panel: full MR-row tiles, then what is left (< MR rows) with the 4-, 2-
    /// and 1-row tiles the kernel has. No tile reads a row of A, or writes a row of C, at or past m.
    @inline(__always)
    static func multiplyPanel(
        m: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [m, k]
        panel: UnsafePointer<Float>,  // [1 + k, panelWidth]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    ) {
        var row = 0
        while m - row >= FullTile.rowCount {
            FullTile.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, c: c + row * ldc, ldc: ldc,
                columns: columns, epilogue: epilogue)
            row += FullTile.rowCount
        }
        // Fewer than MR rows are left: each shorter tile runs at most once (rowCount is a constant
        // of the specialised kernel, so a tile that is not shorter than the full one compiles away).
        if FourRowTile.rowCount < FullTile.rowCount && m - row >= FourRowTile.rowCount {
            FourRowTile.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, c: c + row * ldc, ldc: ldc,
                columns: columns, epilogue: epilogue)
            row += FourRowTile.rowCount
        }
        if TwoRowTile.rowCount < FullTile.rowCount && m - row >= TwoRowTile.rowCount {
            TwoRowTile.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, c: c + row * ldc, ldc: ldc,
                columns: columns, epilogue: epilogue)
            row += TwoRowTile.rowCount
        }
        if m - row >= 1 {
            OneRowTile.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, c: c + row * ldc, ldc: ldc,
                columns: columns, epilogue: epilogue)
        }
    }
}
