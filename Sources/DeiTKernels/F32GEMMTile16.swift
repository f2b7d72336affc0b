import DeiTKernelTable

/// The 16-column f32 GEMM tile family: a `rows`×16 block of C in one `SIMD16<Float>` accumulator per
/// row, broadcasting one element of A per row against one 16-wide row of a packed panel.
///
/// For 16 vector registers (AVX2: a `SIMD16` is two ymm, so 5 rows use 10 accumulators + 2 for the
/// panel row + 1 broadcast) and for NEON (32 registers, four per `SIMD16`). Written once for every row
/// count: `rows` is a compile-time value, so the loops unroll and the accumulators live in registers.
/// The contract — panel layout, edges, what is read and written — is in `README.md`.
struct F32GEMMTile16<let rows: Int>: F32GEMMTile {
    /// NR of this family.
    static var panelWidth: Int { 16 }
    static var rowCount: Int { rows }

    /// Not inlined: each row count is one self-contained function (easy to find in a disassembly to
    /// check the inner loop is `rows`·2 FMAs, 2 panel loads and `rows` broadcasts).
    @inline(never)
    static func run(
        k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [rows, k]
        panel: UnsafePointer<Float>,  // [1 + k, 16]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rows, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    ) {
        // The bias row initialises every accumulator, so the bias costs nothing.
        var accumulators = InlineArray<rows, SIMD16<Float>>(repeating: loadSIMD16(panel))

        var panelRow = panel + 16
        var aColumn = a
        for _ in 0..<k {
            let b = loadSIMD16(panelRow)
            for row in 0..<rows {
                let broadcast = SIMD16<Float>(repeating: aColumn[row &* lda])
                accumulators[row] = multiplyAdd(broadcast, b, accumulators[row])
            }
            panelRow += 16
            aColumn += 1
        }

        for row in 0..<rows {
            storeTileRow16(accumulators[row], to: c + row &* ldc, columns: columns, epilogue: epilogue)
        }
    }
}

/// Writes one 16-wide accumulator row into C, touching only the first `columns` elements.
@inline(__always)
func storeTileRow16(
    _ accumulator: SIMD16<Float>,
    to c: UnsafeMutablePointer<Float>,  // [columns]
    columns: Int,
    epilogue: GEMMEpilogue
) {
    // GELU on the registers before the store (the same `geluVector` as `Elementwise.applyGELU`, so the
    // same bits as a separate pass).
    let value: SIMD16<Float>
    if case .gelu = epilogue { value = VectorMath.geluVector(accumulator) } else { value = accumulator }
    if columns == 16 {
        switch epilogue {
        case .store, .gelu: storeSIMD16(value, to: c)
        case .accumulate: storeSIMD16(loadSIMD16(c) + value, to: c)
        }
    } else {
        // Last panel of a ragged n: lane by lane, never past `columns`.
        for column in 0..<columns {
            switch epilogue {
            case .store, .gelu: c[column] = value[column]
            case .accumulate: c[column] += value[column]
            }
        }
    }
}
