import DeiTKernelTable

#if DEIT_AVX512
import _Builtin_intrinsics.intel

/// One quad step of the zmm int8 tile: 16 int32 sums += the dot products of a row's broadcast
/// activation quad (4 unsigned bytes, `q + 128`) with 16 columns' signed weight quads.
protocol ZMMQuadDot {
    static func accumulate(_ sums: SIMD8<Int64>, _ quad: SIMD8<Int64>, _ weights: SIMD8<Int64>) -> SIMD8<Int64>
}

/// AVX-512 BW: `vpmaddubsw` pairs into int16 (at most 255·128 = 32640: never saturates, see
/// `Int8GEMM`), `vpmaddwd` with ones into int32, `vpaddd`: the AVX2 tile's three steps on zmm.
enum ZMMQuadDotBW: ZMMQuadDot {
    @inline(__always)
    static func accumulate(_ sums: SIMD8<Int64>, _ quad: SIMD8<Int64>, _ weights: SIMD8<Int64>) -> SIMD8<Int64> {
        _mm512_add_epi32(sums, _mm512_madd_epi16(_mm512_maddubs_epi16(quad, weights), _mm512_set1_epi16(1)))
    }
}

/// The zmm int8 tile: `rows`×16, one zmm of int32 sums per row (a panel row of 16 column quads is one
/// zmm, 64 bytes) and one zmm of Float32 sums per row, all in registers for 8 rows (16 of the 32
/// zmm, + weights, broadcast and BW's ones): per quad one weight load, and per row a broadcast
/// activation quad and one `Dot` step. Each group's sums start at the panel's corrections.
struct Int8GEMMTileZMM<let rows: Int, Dot: ZMMQuadDot>: Int8GEMMTile {
    static var rowCount: Int { rows }

    @inline(never)
    static func run(
        quads: Int,
        a: UnsafePointer<UInt8>, lda: Int,  // [rows, 4·quads]
        aScales: UnsafePointer<Float>, ldScales: Int,  // [rows, ⌈quads/8⌉]
        panel: UnsafeRawPointer,  // [Int8GEMM.panelBytes(k)] bytes
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rows, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    ) {
        var scaled = InlineArray<rows, SIMD16<Float>>(repeating: .zero)
        var weights = panel + Int8GEMM.headerBytes
        var activations = UnsafeRawPointer(a)
        var remaining = quads, group = 0
        while remaining > 0 {
            let weightScales = loadSIMD16(weights.assumingMemoryBound(to: Float.self))
            let correction = (weights + 64).loadUnaligned(as: SIMD8<Int64>.self)
            weights += Int8GEMM.groupHeaderBytes
            var sums = InlineArray<rows, SIMD8<Int64>>(repeating: correction)
            for _ in 0..<min(remaining, quadsPerGroup) {
                let quadRow = weights.loadUnaligned(as: SIMD8<Int64>.self)
                for row in 0..<rows {
                    let quad = _mm512_set1_epi32((activations + row &* lda).loadUnaligned(as: Int32.self))
                    sums[row] = Dot.accumulate(sums[row], quad, quadRow)
                }
                weights += 64
                activations += 4
            }
            for row in 0..<rows {
                let scale = _mm512_mul_ps(weightScales, SIMD16<Float>(repeating: aScales[row &* ldScales &+ group]))
                scaled[row] = _mm512_add_ps(scaled[row], _mm512_mul_ps(_mm512_cvtepi32_ps(sums[row]), scale))
            }
            remaining &-= quadsPerGroup
            group &+= 1
        }
        for row in 0..<rows {
            storeInt8TileRow(sums: scaled[row], panel: panel, c: c + row &* ldc, columns: columns, epilogue: epilogue)
        }
    }
}
#endif
