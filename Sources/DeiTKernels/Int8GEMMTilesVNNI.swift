import DeiTKernelTable

#if DEIT_AVXVNNI || DEIT_AVX512VNNI
import _Builtin_intrinsics.intel
#endif

// The VNNI quad steps of the ymm and zmm int8 tiles. `vpdpbusd` multiplies 4 unsigned bytes by 4
// signed bytes and adds the four products into an int32 lane in one instruction, without the int16
// step (and its saturation) of `vpmaddubsw` + `vpmaddwd`: the panel (signed weight quads) and
// the activations (`q + 128` bytes) are exactly its operands, so the VNNI kernels read the other
// kernels' panels and quantised rows unchanged, start each group's sums at the same corrections, and
// give the same bits as the portable tile (exact int32 sums, then the same multiplies and adds).

#if DEIT_AVXVNNI
/// AVX-VNNI: `{vex} vpdpbusd` on ymm (Int8GEMMTileYMM), in place of AVX2's three instructions.
enum YMMQuadDotVNNI: YMMQuadDot {
    @inline(__always)
    static func accumulate(_ sums: SIMD4<Int64>, _ quad: SIMD4<Int64>, _ weights: SIMD4<Int64>) -> SIMD4<Int64> {
        _mm256_dpbusd_avx_epi32(sums, quad, weights)
    }
}
#endif

#if DEIT_AVX512VNNI
/// AVX512-VNNI: `vpdpbusd` on zmm (Int8GEMMTileZMM).
enum ZMMQuadDotVNNI: ZMMQuadDot {
    @inline(__always)
    static func accumulate(_ sums: SIMD8<Int64>, _ quad: SIMD8<Int64>, _ weights: SIMD8<Int64>) -> SIMD8<Int64> {
        _mm512_dpbusd_epi32(sums, quad, weights)
    }
}
#endif
