/// The int8 GEMM micro-kernel per instruction set (the f32 table is `GEMMKernelTable.swift`), picked
/// by the same conditions in each kernel module (DeiTKernels, DeiTKernelsAVX2, DeiTKernelsAVX512);
/// the runtime reaches the chosen set's through `KernelTable.int8GEMM` (CompiledKernels.swift).
///
/// | kernel set | condition | kernel | why |
/// |---|---|---|---|
/// | AVX2 (and AVX-512 builds) | `DEIT_AVX2`, `DEIT_AVX512` | 6×16c4 | 12 ymm int32 sums + 2 weights + ones + 1 broadcast: all 16 ymm; the f32 sums (touched once per 8 quads) live in memory |
/// | otherwise | — | 2×16c4 portable | plain Swift, int32 lanes |
///
/// No VNNI (`vpdpbusd`/`vpdpwssd`) or NEON `SDOT` kernel yet: those builds run the AVX2 or portable one.
#if DEIT_AVX2 || DEIT_AVX512
typealias ActiveInt8GEMMKernel = QD8GEMM6x16c4AVX2
#else
typealias ActiveInt8GEMMKernel = QD8GEMM2x16c4Portable
#endif

#if DEIT_AVX2 || DEIT_AVX512
/// `qd8_f32_qc7w_gemm_6x16c4__avx2`: 6 rows × 16 columns, `vpmaddubsw` + `vpmaddwd` on quads along k.
/// `deit-cli bench-gemm` on DeiT-Ti's four Linear shapes (Zen 3, one thread, minima): the earlier
/// 16-bit `vpmaddwd` kernel on pairs (8-bit weights, `vpmovsxbw` per pair shared by the rows) did
/// 40–46 multiply-adds/ns with 4 rows and 55–58 with 6; this one 65–69 (int8/f32 0.68 over the four
/// shapes, the quantisation of A included).
enum QD8GEMM6x16c4AVX2: Int8GEMMMicroKernel {
    typealias FullTile = Int8GEMMTileAVX2<6>
    typealias TwoRowTile = Int8GEMMTileAVX2<2>
    typealias OneRowTile = Int8GEMMTileAVX2<1>
    static var name: String { "qd8_f32_qc7w_gemm_6x16c4__avx2" }
    static func quantizeRow(k: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<UInt8>,
                            scales: UnsafeMutablePointer<Float>) {
        quantizeRowAVX2(k: k, x: x, out: out, scales: scales)
    }
}
#endif

/// `qd8_f32_qc7w_gemm_2x16c4__portable`: 2 rows × 16 columns in plain Swift.
enum QD8GEMM2x16c4Portable: Int8GEMMMicroKernel {
    typealias FullTile = Int8GEMMTilePortable<2>
    typealias OneRowTile = Int8GEMMTilePortable<1>
    static var name: String { "qd8_f32_qc7w_gemm_2x16c4__portable" }
    static func quantizeRow(k: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<UInt8>,
                            scales: UnsafeMutablePointer<Float>) {
        Int8GEMM.quantizeRowScalar(k: k, x: x, out: out, scales: scales)
    }
}
