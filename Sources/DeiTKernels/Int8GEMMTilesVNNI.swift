import DeiTKernelTable

#if DEIT_AVXVNNI
import _Builtin_intrinsics.intel
#endif

// The AVX-VNNI int8 tile (the AVX512-VNNI one is Int8GEMMTilesAVX512.swift's zmm tile with
// `ZMMQuadDotVNNI`). `vpdpbusd` multiplies 4 unsigned bytes by 4 signed bytes and adds the four
// products into an int32 lane in one instruction, without the int16 step (and its saturation) of
// AVX2's `vpmaddubsw` + `vpmaddwd`: the panel (signed 7-bit weight quads) and the activations
// (`q + 128` bytes) are exactly its operands, so the VNNI kernels read the AVX2 kernel's panels and
// quantised rows unchanged, start each group's sums at the same corrections, and give the same bits
// as the portable tile (exact int32 sums, then the same multiplies and adds, never fused).

#if DEIT_AVXVNNI
/// The AVX-VNNI tile: the AVX2 tile's registers (`rows`×16 as 2·`rows` ymm int32 sums per group) with
/// one `{vex} vpdpbusd` per 8 columns per row and quad in place of `vpmaddubsw` + `vpmaddwd` +
/// `vpaddd`, and no register of ones. 12 sums + 2 weights + the broadcast: 15 of the 16 ymm.
struct Int8GEMMTileAVXVNNI<let rows: Int>: Int8GEMMTile {
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
        var scaledLow = InlineArray<rows, SIMD8<Float>>(repeating: .zero)  // columns 0..<8
        var scaledHigh = InlineArray<rows, SIMD8<Float>>(repeating: .zero)  // columns 8..<16
        var weights = panel + Int8GEMM.headerBytes
        var activations = UnsafeRawPointer(a)
        var remaining = quads, group = 0
        while remaining > 0 {
            let weightScales = weights.assumingMemoryBound(to: Float.self)
            let weightScalesLow = loadSIMD8(weightScales), weightScalesHigh = loadSIMD8(weightScales + 8)
            let correctionLow = (weights + 64).loadUnaligned(as: SIMD4<Int64>.self)
            let correctionHigh = (weights + 96).loadUnaligned(as: SIMD4<Int64>.self)
            weights += Int8GEMM.groupHeaderBytes
            var low = InlineArray<rows, SIMD4<Int64>>(repeating: correctionLow)
            var high = InlineArray<rows, SIMD4<Int64>>(repeating: correctionHigh)
            for _ in 0..<min(remaining, quadsPerGroup) {
                let weightsLow = weights.loadUnaligned(as: SIMD4<Int64>.self)
                let weightsHigh = (weights + 32).loadUnaligned(as: SIMD4<Int64>.self)
                for row in 0..<rows {
                    let quad = _mm256_set1_epi32((activations + row &* lda).loadUnaligned(as: Int32.self))
                    low[row] = _mm256_dpbusd_avx_epi32(low[row], quad, weightsLow)
                    high[row] = _mm256_dpbusd_avx_epi32(high[row], quad, weightsHigh)
                }
                weights += 64
                activations += 4
            }
            for row in 0..<rows {
                let scale = SIMD8<Float>(repeating: aScales[row &* ldScales &+ group])
                let scaleLow = _mm256_mul_ps(weightScalesLow, scale), scaleHigh = _mm256_mul_ps(weightScalesHigh, scale)
                scaledLow[row] = _mm256_add_ps(scaledLow[row], _mm256_mul_ps(_mm256_cvtepi32_ps(low[row]), scaleLow))
                scaledHigh[row] = _mm256_add_ps(scaledHigh[row], _mm256_mul_ps(_mm256_cvtepi32_ps(high[row]), scaleHigh))
            }
            remaining &-= quadsPerGroup
            group &+= 1
        }
        for row in 0..<rows {
            storeInt8TileRow(sums: SIMD16<Float>(lowHalf: scaledLow[row], highHalf: scaledHigh[row]), panel: panel,
                             c: c + row &* ldc, columns: columns, epilogue: epilogue)
        }
    }
}
#endif
