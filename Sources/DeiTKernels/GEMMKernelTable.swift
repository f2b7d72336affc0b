/// The GEMM micro-kernel per instruction set, in one table (like XNNPACK's `gemm-config.c`).
///
/// These sources are compiled once per instruction set (Package.swift: DeiTKernels for the baseline,
/// DeiTKernelsAVX2 with `-march=x86-64-v3`, DeiTKernelsAVX512 with `-march=x86-64-v4`), each with the
/// compilation conditions tested here, so each module's `ActiveGEMMKernel` is its set's entry.
/// `PackedGEMM` packs and multiplies with it; the tests also run every other entry (as code for the
/// module's ISA), so each tile shape is checked against the reference wherever the tests run.
///
/// | kernel set | condition | kernel | why |
/// |---|---|---|---|
/// | AVX-512 | `DEIT_AVX512` | 8×32 | 16 zmm accumulators of 32; ≈ FMA peak (below) |
/// | AVX2 + FMA | `DEIT_AVX2` | 5×16 | 10 ymm accumulators of 16; measured best (below) |
/// | NEON (aarch64) | `arch(arm64)` | 6×16 | 24 q accumulators of 32 (not yet measured on a board) |
/// | portable | otherwise | 2×16 | SSE2 has 16 xmm: 8 accumulators + 4 for the panel row |
///
/// AVX2 measurements (AMD EPYC Zen 3, one core, FMA peak ≈ 99 GFLOP/s, DeiT-Ti shapes, GFLOP/s):
/// 4×16 ≈ 60–88, 5×16 ≈ 83–87, 6×16 ≈ 63–73, 7×16 ≈ 34 (spills), 2×32 ≈ 70–75, 3×32 ≈ 27 (spills).
/// AVX-512: an 8×32 tile of this design ran DeiT-Ti's shapes at ≈ 135 GFLOP/s on one Sapphire Rapids
/// core, that core's measured FMA peak (an earlier session's measurement, before this table; not
/// re-measured since, as the usual hosts have no AVX-512).
#if DEIT_AVX512
typealias ActiveGEMMKernel = F32GEMM8x32AVX512
#elseif DEIT_AVX2
typealias ActiveGEMMKernel = F32GEMM5x16AVX2
#elseif arch(arm64)
typealias ActiveGEMMKernel = F32GEMM6x16NEON
#else
typealias ActiveGEMMKernel = F32GEMM2x16Portable
#endif

/// `f32_gemm_8x32__avx512f`: 8 rows × 32 columns.
enum F32GEMM8x32AVX512: F32GEMMMicroKernel {
    typealias FullTile = F32GEMMTile32<8>
    typealias FourRowTile = F32GEMMTile32<4>
    typealias TwoRowTile = F32GEMMTile32<2>
    typealias OneRowTile = F32GEMMTile32<1>
    static var panelWidth: Int { 32 }
    static var name: String { "f32_gemm_8x32__avx512f" }
}

/// `f32_gemm_5x16__avx2_fma`: 5 rows × 16 columns.
enum F32GEMM5x16AVX2: F32GEMMMicroKernel {
    typealias FullTile = F32GEMMTile16<5>
    typealias FourRowTile = F32GEMMTile16<4>
    typealias TwoRowTile = F32GEMMTile16<2>
    typealias OneRowTile = F32GEMMTile16<1>
    static var panelWidth: Int { 16 }
    static var name: String { "f32_gemm_5x16__avx2_fma" }
}

/// `f32_gemm_6x16__neon`: 6 rows × 16 columns.
enum F32GEMM6x16NEON: F32GEMMMicroKernel {
    typealias FullTile = F32GEMMTile16<6>
    typealias FourRowTile = F32GEMMTile16<4>
    typealias TwoRowTile = F32GEMMTile16<2>
    typealias OneRowTile = F32GEMMTile16<1>
    static var panelWidth: Int { 16 }
    static var name: String { "f32_gemm_6x16__neon" }
}

/// `f32_gemm_2x16__portable`: 2 rows × 16 columns, multiply then add (no FMA assumed). At most one
/// row is left after the full tiles, so it has no 4- or 2-row remainder tile, only the 1-row one.
enum F32GEMM2x16Portable: F32GEMMMicroKernel {
    typealias FullTile = F32GEMMTile16<2>
    typealias OneRowTile = F32GEMMTile16<1>
    static var panelWidth: Int { 16 }
    static var name: String { "f32_gemm_2x16__portable" }
}
