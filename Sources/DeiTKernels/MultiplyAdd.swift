/// The one multiply-add every vector kernel uses: `accumulator + a · b`.
///
/// Written with `*` and `+` on purpose. Without a `-target-cpu`, `SIMD*.addingProduct` lowers to one
/// libm `fmaf` call per lane (hundreds of times slower), while `*` and `+` stay vector instructions on
/// every target. A later build flag can switch this single helper to `addingProduct` (fused, one
/// rounding) on CPUs known to have FMA.
@inline(__always)
func multiplyAdd(_ a: SIMD16<Float>, _ b: SIMD16<Float>, _ accumulator: SIMD16<Float>) -> SIMD16<Float> {
    accumulator + a * b
}
