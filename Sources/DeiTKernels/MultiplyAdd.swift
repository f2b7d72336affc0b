/// The one multiply-add every vector kernel uses: `accumulator + a · b`.
///
/// Fused (`addingProduct`: one `vfmadd`/`fmla`, one rounding) only where FMA is guaranteed at compile
/// time: on aarch64 (part of the base ISA) and when Package.swift builds for an x86-64 level with FMA
/// and defines `DEIT_FMA`. Anywhere else `addingProduct` would lower to one libm `fmaf` call per lane
/// (hundreds of times slower), so the portable build uses `*` then `+`, vector instructions on every
/// target.
@inline(__always)
func multiplyAdd(_ a: SIMD16<Float>, _ b: SIMD16<Float>, _ accumulator: SIMD16<Float>) -> SIMD16<Float> {
    #if DEIT_FMA || arch(arm64)
    accumulator.addingProduct(a, b)
    #else
    accumulator + a * b
    #endif
}

/// The 8-lane form (the attention tiles' `SIMD8` accumulators), fused under the same conditions.
@inline(__always)
func multiplyAdd(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ accumulator: SIMD8<Float>) -> SIMD8<Float> {
    #if DEIT_FMA || arch(arm64)
    accumulator.addingProduct(a, b)
    #else
    accumulator + a * b
    #endif
}

/// The scalar twin of the vector `multiplyAdd`, fused under the same conditions, so a scalar and a
/// `SIMD16` evaluation of the same formula give the same bits.
@inline(__always)
func multiplyAdd(_ a: Float, _ b: Float, _ accumulator: Float) -> Float {
    #if DEIT_FMA || arch(arm64)
    accumulator.addingProduct(a, b)
    #else
    accumulator + a * b
    #endif
}
