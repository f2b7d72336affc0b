import DeiTKernelTable

/// The int8 GEMM's tile and micro-kernel protocols (the f32 ones are in `F32GEMMMicroKernel.swift`),
/// the edge handling they share, and the epilogue every int8 tile ends with.
///
/// Used only as generic constraints on concrete types, never as existentials (Embedded Swift).
protocol Int8GEMMTile {
    /// Rows of A and C the tile covers.
    static var rowCount: Int { get }

    /// C[rowCount × columns] (ldc) ⟵ epilogue(dequant(Aq · panel) + bias) for one packed panel
    /// (`Int8GEMM.pack`): `pairs` = ⌈k/2⌉ rows of 16 column pairs after the 128-byte bias/scale header,
    /// in groups of 16 pairs (32 inputs) with one activation scale each.
    /// Only the first `columns` (1...16) columns of C are read or written.
    static func run(
        pairs: Int,
        a: UnsafePointer<Int16>, lda: Int,  // [rowCount, 2·pairs]
        aScales: UnsafePointer<Float>, ldScales: Int,  // [rowCount, ⌈pairs/16⌉]
        panel: UnsafeRawPointer,  // [Int8GEMM.panelBytes(k)] bytes
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rowCount, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    )
}

/// One row of the int8 kernel table: its tiles and its activation quantiser.
protocol Int8GEMMMicroKernel {
    associatedtype FullTile: Int8GEMMTile
    associatedtype TwoRowTile: Int8GEMMTile = FullTile
    associatedtype OneRowTile: Int8GEMMTile
    /// XNNPACK-style name: `qd8_f32_qc8w_gemm` (dynamically quantised int8 activations, f32 output,
    /// int8 weights with a scale per channel), MR×NR, `c2` (pairs along k), ISA.
    static var name: String { get }
    /// Quantises one row of k floats into `out` (`Int8GEMM.quantizedRowLength(k:)` Int16, the padding
    /// zero) and its `groupCount(k:)` scales; the same bits as `Int8GEMM.quantizeRowScalar`.
    static func quantizeRow(k: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Int16>,
                            scales: UnsafeMutablePointer<Float>)
}

extension Int8GEMMMicroKernel {
    /// All m rows against one panel: full tiles, then at most one 2-row and one 1-row tile.
    @inline(__always)
    static func multiplyPanel(
        m: Int, pairs: Int,
        a: UnsafePointer<Int16>, lda: Int,  // [m, 2·pairs]
        aScales: UnsafePointer<Float>, ldScales: Int,  // [m, ⌈pairs/16⌉]
        panel: UnsafeRawPointer,
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    ) {
        var row = 0
        while m - row >= FullTile.rowCount {
            FullTile.run(pairs: pairs, a: a + row * lda, lda: lda, aScales: aScales + row * ldScales, ldScales: ldScales, panel: panel,
                         c: c + row * ldc, ldc: ldc, columns: columns, epilogue: epilogue)
            row += FullTile.rowCount
        }
        while TwoRowTile.rowCount < FullTile.rowCount && m - row >= TwoRowTile.rowCount {
            TwoRowTile.run(pairs: pairs, a: a + row * lda, lda: lda, aScales: aScales + row * ldScales, ldScales: ldScales, panel: panel,
                           c: c + row * ldc, ldc: ldc, columns: columns, epilogue: epilogue)
            row += TwoRowTile.rowCount
        }
        while m - row >= 1 {
            OneRowTile.run(pairs: pairs, a: a + row * lda, lda: lda, aScales: aScales + row * ldScales, ldScales: ldScales, panel: panel,
                           c: c + row * ldc, ldc: ldc, columns: columns, epilogue: epilogue)
            row += 1
        }
    }
}

/// The int8 tiles' common end: one row of C's 16 dequantised sums `Σ_g Float(sum_g)·(sw[g]·sa[g])`
/// plus the bias, then stored through the f32 GEMM's epilogue.
@inline(__always)
func storeInt8TileRow(
    sums: SIMD16<Float>,
    panel: UnsafeRawPointer,  // bias [16] f32, …
    c: UnsafeMutablePointer<Float>,  // [columns]
    columns: Int,
    epilogue: GEMMEpilogue
) {
    let bias = loadSIMD16(panel.assumingMemoryBound(to: Float.self))
    storeTileRow16(sums + bias, to: c, columns: columns, epilogue: epilogue)
}
