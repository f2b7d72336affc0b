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
