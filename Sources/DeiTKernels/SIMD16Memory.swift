/// Unaligned `SIMD16<Float>` (and `SIMD8<Float>`, for the attention tiles) loads and stores through
/// pointers.
///
/// Kernels load vectors from pointers inside the kernel instead of passing `SIMD16` values across
/// non-inlined calls (by value they are split into halves and go through memory). No alignment is
/// assumed anywhere: callers may hand any `Float`-aligned pointer.
@inline(__always)
func loadSIMD16(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func loadSIMD16(_ pointer: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func storeSIMD16(_ value: SIMD16<Float>, to pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD16<Float>.self)
}

@inline(__always)
func loadSIMD8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func storeSIMD8(_ value: SIMD8<Float>, to pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
}
