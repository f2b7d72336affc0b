/// The GEMM micro-kernel per instruction set, in one table (like XNNPACK's `gemm-config.c`).
///
/// The instruction set is fixed at build time: Package.swift passes `-march` for the host (or for
/// `DEIT_TARGET_CPU`) together with the compilation conditions tested here. `PackedGEMM` packs and
/// multiplies with `ActiveGEMMKernel`; the tests also run every other entry (as code for this
/// machine's ISA), so each tile shape is checked against the reference wherever the tests run.
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

/// Which kernel set this build uses, for tools to print (and to warn about the portable fallback).
public enum KernelSet: Sendable {
    case avx512
    case avx2
    case neon
    case portable

    /// The set compiled into this build.
    public static var active: KernelSet {
        #if DEIT_AVX512
        .avx512
        #elseif DEIT_AVX2
        .avx2
        #elseif arch(arm64)
        .neon
        #else
        .portable
        #endif
    }

    /// Short name: `avx512`, `avx2-fma`, `neon` or `portable`.
    public var name: String {
        switch self {
        case .avx512: "avx512"
        case .avx2: "avx2-fma"
        case .neon: "neon"
        case .portable: "portable"
        }
    }

    /// True for the portable build: no FMA, narrow vectors, several times slower. Tools should say so.
    public var isSlowFallback: Bool { self == .portable }

    /// Whether the vector multiply-add is fused (one `vfmadd`/`fmla`) in this build.
    public static var fusedMultiplyAdd: Bool {
        #if DEIT_FMA || arch(arm64)
        true
        #else
        false
        #endif
    }
}
