import DeiTKernelTable

/// The 32-column f32 GEMM tile family: a `rows`×32 block of C in two `SIMD16<Float>` accumulators per
/// row, broadcasting one element of A per row against one 32-wide row of a packed panel.
///
/// For 32 vector registers of 512 bits (AVX-512: 8 rows use 16 zmm accumulators + 2 for the panel row
/// + 1 broadcast). Written once for every row count (`rows` is a compile-time value, so the row loops
/// unroll and the accumulators live in registers). The contract — panel layout, edges, what is read
/// and written — is in `README.md` next to this file.
struct F32GEMMTile32<let rows: Int>: F32GEMMTile {
    /// NR of this family.
    static var panelWidth: Int { 32 }
    static var rowCount: Int { rows }

    /// Not inlined: each row count is one self-contained function (same speed, and easy to find in a
    /// disassembly to check the loop is vector code).
    @inline(never)
    static func run(
        k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [rows, k]
        panel: UnsafePointer<Float>,  // [1 + k, 32]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rows, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    ) {
        // The bias row initialises every accumulator, so the bias costs nothing.
        var low = InlineArray<rows, SIMD16<Float>>(repeating: loadSIMD16(panel))  // columns 0..<16
        var high = InlineArray<rows, SIMD16<Float>>(repeating: loadSIMD16(panel + 16))  // columns 16..<32

        var panelRow = panel + 32
        var aColumn = a
        for _ in 0..<k {
            let bLow = loadSIMD16(panelRow)
            let bHigh = loadSIMD16(panelRow + 16)
            for row in 0..<rows {
                let broadcast = SIMD16<Float>(repeating: aColumn[row &* lda])
                low[row] = multiplyAdd(broadcast, bLow, low[row])
                high[row] = multiplyAdd(broadcast, bHigh, high[row])
            }
            panelRow += 32
            aColumn += 1
        }

        for row in 0..<rows {
            storeTileRow(low[row], high[row], to: c + row &* ldc, columns: columns, epilogue: epilogue)
        }
    }
}

/// Writes one 32-wide accumulator row into C, touching only the first `columns` elements.
@inline(__always)
private func storeTileRow(
    _ lowAccumulator: SIMD16<Float>, _ highAccumulator: SIMD16<Float>,
    to c: UnsafeMutablePointer<Float>,  // [columns]
    columns: Int,
    epilogue: GEMMEpilogue
) {
    // GELU on the registers before the store (the same `geluVector` as `Elementwise.applyGELU`, so the
    // same bits as a separate pass).
    var low = lowAccumulator, high = highAccumulator
    if case .gelu = epilogue {
        low = VectorMath.geluVector(low)
        high = VectorMath.geluVector(high)
    }
    if columns == 32 {
        switch epilogue {
        case .store, .gelu:
            storeSIMD16(low, to: c)
            storeSIMD16(high, to: c + 16)
        case .accumulate:
            storeSIMD16(loadSIMD16(c) + low, to: c)
            storeSIMD16(loadSIMD16(c + 16) + high, to: c + 16)
        }
    } else {
        // Last panel of a ragged n: lane by lane, never past `columns`.
        for column in 0..<columns {
            let value = column < 16 ? low[column] : high[column &- 16]
            switch epilogue {
            case .store, .gelu: c[column] = value
            case .accumulate: c[column] += value
            }
        }
    }
}
