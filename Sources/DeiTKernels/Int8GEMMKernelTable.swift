/// The int8 GEMM micro-kernel per instruction set (the f32 table is `GEMMKernelTable.swift`), picked
/// by the same conditions in each kernel module (DeiTKernels, DeiTKernelsAVX2, DeiTKernelsAVX512);
/// the runtime reaches the chosen set's through `KernelTable.int8GEMM` (CompiledKernels.swift).
///
/// | kernel set | condition | kernel | why |
/// |---|---|---|---|
/// | AVX512-VNNI | `DEIT_AVX512VNNI` | 8×16c4 `vpdpbusd` zmm | 8 zmm int32 sums + 8 zmm Float32 sums + weights + broadcast: 18 of 32 zmm |
/// | AVX-512 (BW) | `DEIT_AVX512` | 8×16c4 `vpmaddubsw` + `vpmaddwd` zmm | as above + ones: 19 zmm |
/// | AVX-VNNI | `DEIT_AVXVNNI` | 6×16c4 `{vex} vpdpbusd` ymm | the AVX2 tile's registers without the ones |
/// | AVX2 | `DEIT_AVX2` | 6×16c4 | 12 ymm int32 sums + 2 weights + ones + 1 broadcast: all 16 ymm; the f32 sums (touched once per 8 quads) live in memory |
/// | NEON dot product (aarch64, ARMv8.2 `+dotprod`) | `DEIT_DOTPROD` | 4×16c4 `sdot` | 16 q int32 sums + 4 weights + 4 activations |
/// | NEON (aarch64 baseline, ARMv8.0) | `arch(arm64)` | 2×16c4 `smull`/`smlal` | 8 q int32 sums + weights split in halves + 4 activations; 4 rows spill (below) |
/// | otherwise | — | 2×16c4 portable | plain Swift, int32 lanes |
///
/// No i8mm (`usdot`/`smmla`) kernel yet.
///
/// aarch64, not measured on a board: llvm-mca 19's model of the inner loops (scripts/aarch64-loop-mca.sh,
/// multiply-adds per cycle; the f32 tile's `fmla` loop for comparison): Cortex-A72 f32 3.6, `smull`/`smlal`
/// 8.0; Cortex-A55 f32 4.5, `smull`/`smlal` 4.4, `sdot` 15.1; Cortex-A76 (LLVM's Neoverse-N1 model)
/// f32 3.6, `smull`/`smlal` 8.0, `sdot` 29.3.
#if DEIT_AVX512VNNI
typealias ActiveInt8GEMMKernel = QD8GEMM8x16c4AVX512VNNI
#elseif DEIT_AVX512
typealias ActiveInt8GEMMKernel = QD8GEMM8x16c4AVX512BW
#elseif DEIT_AVXVNNI
typealias ActiveInt8GEMMKernel = QD8GEMM6x16c4AVXVNNI
#elseif DEIT_AVX2
typealias ActiveInt8GEMMKernel = QD8GEMM6x16c4AVX2
#elseif DEIT_DOTPROD
typealias ActiveInt8GEMMKernel = QD8GEMM4x16c4NEONDot
#elseif arch(arm64)
typealias ActiveInt8GEMMKernel = QD8GEMM2x16c4NEONMull
#else
typealias ActiveInt8GEMMKernel = QD8GEMM2x16c4Portable
#endif

#if DEIT_AVX2 || DEIT_AVX512
/// `qd8_f32_qc7w_gemm_6x16c4__avx2`: 6 rows × 16 columns, `vpmaddubsw` + `vpmaddwd` on quads along k.
/// `deit-cli bench-gemm` on DeiT-Ti's four Linear shapes (Zen 3, one thread, minima): the earlier
/// 16-bit `vpmaddwd` kernel on pairs (8-bit weights, `vpmovsxbw` per pair shared by the rows) did
/// 40–46 multiply-adds/ns with 4 rows and 55–58 with 6; this one 65–69 (int8/f32 0.68 over the four
/// shapes, the quantisation of A included).
enum QD8GEMM6x16c4AVX2: AVX2QuantizingInt8GEMMMicroKernel {
    typealias FullTile = Int8GEMMTileYMM<6, YMMQuadDotAVX2>
    typealias TwoRowTile = Int8GEMMTileYMM<2, YMMQuadDotAVX2>
    typealias OneRowTile = Int8GEMMTileYMM<1, YMMQuadDotAVX2>
    static var name: String { "qd8_f32_qc7w_gemm_6x16c4__avx2" }
}
#endif

#if DEIT_AVX512VNNI
/// `qd8_f32_qc7w_gemm_8x16c4__avx512vnni`: 8 rows × 16 columns, one `vpdpbusd` zmm per row and quad.
/// 8 rows measured best (`deit-cli bench-gemm`, Sapphire Rapids, one thread, GEMM alone on DeiT-Ti's
/// four layers): 4 rows 217–291 µs per layer, 6 rows 137–183, 8 rows 126–176, 10 rows 172–243,
/// 12 and 14 rows 200–300 (their sums no longer stay in registers).
enum QD8GEMM8x16c4AVX512VNNI: AVX2QuantizingInt8GEMMMicroKernel {
    typealias FullTile = Int8GEMMTileZMM<8, ZMMQuadDotVNNI>
    typealias TwoRowTile = Int8GEMMTileZMM<2, ZMMQuadDotVNNI>
    typealias OneRowTile = Int8GEMMTileZMM<1, ZMMQuadDotVNNI>
    static var name: String { "qd8_f32_qc7w_gemm_8x16c4__avx512vnni" }
}
#endif

#if DEIT_AVX512
/// `qd8_f32_qc7w_gemm_8x16c4__avx512bw`: the AVX2 kernel's `vpmaddubsw` + `vpmaddwd` on zmm, 8 rows ×
/// 16 columns (AVX-512 CPUs without VNNI: Skylake-X, Cascade Lake's predecessors).
enum QD8GEMM8x16c4AVX512BW: AVX2QuantizingInt8GEMMMicroKernel {
    typealias FullTile = Int8GEMMTileZMM<8, ZMMQuadDotBW>
    typealias TwoRowTile = Int8GEMMTileZMM<2, ZMMQuadDotBW>
    typealias OneRowTile = Int8GEMMTileZMM<1, ZMMQuadDotBW>
    static var name: String { "qd8_f32_qc7w_gemm_8x16c4__avx512bw" }
}
#endif

#if DEIT_AVXVNNI
/// `qd8_f32_qc7w_gemm_6x16c4__avxvnni`: 6 rows × 16 columns, two `{vex} vpdpbusd` ymm per row and quad.
enum QD8GEMM6x16c4AVXVNNI: AVX2QuantizingInt8GEMMMicroKernel {
    typealias FullTile = Int8GEMMTileYMM<6, YMMQuadDotVNNI>
    typealias TwoRowTile = Int8GEMMTileYMM<2, YMMQuadDotVNNI>
    typealias OneRowTile = Int8GEMMTileYMM<1, YMMQuadDotVNNI>
    static var name: String { "qd8_f32_qc7w_gemm_6x16c4__avxvnni" }
}
#endif

#if arch(arm64)
/// `qd8_f32_qc7w_gemm_2x16c4__neon_mlal`: 2 rows × 16 columns, `smull`/`smlal` + `addp` + `sadalp`
/// on quads along k (ARMv8.0; not yet measured on a board). 2 rows, not 4: LLVM schedules all of a
/// 4-row step's multiplies before its additions, and 16 int32 sums + their 16-bit products + the
/// weight halves (it splits `smull2` into `ext` + `smull` against a broadcast) then spill (31 stack
/// accesses per 64 multiplies in the loop; 3 rows: 13 per 48). The 2-row loop: 32 multiplies in 76
/// instructions, no stack access — more multiplies per instruction than the spilling 4-row one.
enum QD8GEMM2x16c4NEONMull: Int8GEMMMicroKernel {
    typealias FullTile = Int8GEMMTileNEONMull<2>
    typealias OneRowTile = Int8GEMMTileNEONMull<1>
    static var name: String { "qd8_f32_qc7w_gemm_2x16c4__neon_mlal" }
}
#endif

#if DEIT_DOTPROD
/// `qd8_f32_qc7w_gemm_4x16c4__neondot`: 4 rows × 16 columns, `sdot` by element on quads along k
/// (ARMv8.2 dot product; DeiTKernelsDotProd only; not yet measured on a board).
enum QD8GEMM4x16c4NEONDot: Int8GEMMMicroKernel {
    typealias FullTile = Int8GEMMTileNEONDot<4>
    typealias TwoRowTile = Int8GEMMTileNEONDot<2>
    typealias OneRowTile = Int8GEMMTileNEONDot<1>
    static var name: String { "qd8_f32_qc7w_gemm_4x16c4__neondot" }
}
#endif

/// `qd8_f32_qc7w_gemm_2x16c4__portable`: 2 rows × 16 columns in plain Swift.
enum QD8GEMM2x16c4Portable: Int8GEMMMicroKernel {
    typealias FullTile = Int8GEMMTilePortable<2>
    typealias OneRowTile = Int8GEMMTilePortable<1>
    static var name: String { "qd8_f32_qc7w_gemm_2x16c4__portable" }
}
