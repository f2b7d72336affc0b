import DeiTKernelTable

/// The int8 GEMM's tile and micro-kernel protocols (the f32 ones are in `F32GEMMMicroKernel.swift`),
/// the edge handling they share, and the epilogue every int8 tile ends with.
///
/// Used only as generic constraints on concrete types, never as existentials (Embedded Swift).
protocol Int8GEMMTile {
    /// Rows of A and C the tile covers.
    static var rowCount: Int { get }

    /// C[rowCount × columns] (ldc) ⟵ epilogue(dequant(Aq · panel) + bias) for one packed panel
    /// (`Int8GEMM.pack`): `quads` = ⌈k/4⌉ rows of 16 column quads after the 64-byte bias header, in
    /// groups of 8 quads (32 inputs), each after its 128-byte scale/correction header, with one
    /// activation scale each. Only the first `columns` (1...16) columns of C are read or written.
    static func run(
        quads: Int,
        a: UnsafePointer<UInt8>, lda: Int,  // [rowCount, 4·quads]
        aScales: UnsafePointer<Float>, ldScales: Int,  // [rowCount, ⌈quads/8⌉]
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
    /// XNNPACK-style name: `qd8_f32_qc7w_gemm` (dynamically quantised int8 activations, f32 output,
    /// weights narrower than 8 bits — |w| ≤ 127 with pairs ≤ 128 — with a scale per channel and
    /// group), MR×NR, `c4` (quads along k), ISA.
    static var name: String { get }
    /// Quantises one row of k floats into `out` (`Int8GEMM.quantizedRowLength(k:)` bytes `q + 128`, the
    /// padding 128) and its `groupCount(k:)` scales; the same bits as `Int8GEMM.quantizeRowScalar`.
    static func quantizeRow(k: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<UInt8>,
                            scales: UnsafeMutablePointer<Float>)
}

extension Int8GEMMMicroKernel {
    /// The scalar quantiser, unless the kernel has a vector one.
    static func quantizeRow(k: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<UInt8>,
                            scales: UnsafeMutablePointer<Float>) {
        Int8GEMM.quantizeRowScalar(k: k, x: x, out: out, scales: scales)
    }

    /// All m rows against one panel: full tiles, then at most one 2-row and one 1-row tile.
    @inline(__always)
    static func multiplyPanel(
        m: Int, quads: Int,
        a: UnsafePointer<UInt8>, lda: Int,  // [m, 4·quads]
        aScales: UnsafePointer<Float>, ldScales: Int,  // [m, ⌈quads/8⌉]
        panel: UnsafeRawPointer,
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    ) {
        var row = 0
        while m - row >= FullTile.rowCount {
            FullTile.run(quads: quads, a: a + row * lda, lda: lda, aScales: aScales + row * ldScales, ldScales: ldScales, panel: panel,
                         c: c + row * ldc, ldc: ldc, columns: columns, epilogue: epilogue)
            row += FullTile.rowCount
        }
        while TwoRowTile.rowCount < FullTile.rowCount && m - row >= TwoRowTile.rowCount {
            TwoRowTile.run(quads: quads, a: a + row * lda, lda: lda, aScales: aScales + row * ldScales, ldScales: ldScales, panel: panel,
                           c: c + row * ldc, ldc: ldc, columns: columns, epilogue: epilogue)
            row += TwoRowTile.rowCount
        }
        while m - row >= 1 {
            OneRowTile.run(quads: quads, a: a + row * lda, lda: lda, aScales: aScales + row * ldScales, ldScales: ldScales, panel: panel,
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

#if DEIT_AVX2 || DEIT_AVX512
/// The x86-64 int8 kernels (AVX2, AVX-VNNI, AVX-512, AVX512-VNNI): activations through the AVX2
/// quantiser (`quantizeRowAVX2`), which every one of their sets can run.
protocol AVX2QuantizingInt8GEMMMicroKernel: Int8GEMMMicroKernel {}

extension AVX2QuantizingInt8GEMMMicroKernel {
    static func quantizeRow(k: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<UInt8>,
                            scales: UnsafeMutablePointer<Float>) {
        quantizeRowAVX2(k: k, x: x, out: out, scales: scales)
    }
}
#endif
