/// QuickGELU, `x · sigmoid(1.702·x)` (OpenAI CLIP's activation; timm `act_layer='quick_gelu'`), as a
/// scalar and a `SIMD16` version computing the same formula `x / (1 + exp(−1.702·x))` lane for lane.
/// For x → −∞ the exponential saturates to +∞ and the result to −0, as PyTorch's; NaN propagates.
extension VectorMath {
    /// The factor inside the sigmoid (CLIP's constant).
    static let quickGELUFactor: Float = 1.702

    /// `x · sigmoid(1.702·x)` for a Float.
    public static func quickGELU(_ x: Float) -> Float {
        x / (1 + expScalar(-quickGELUFactor * x))
    }

    /// `x · sigmoid(1.702·x)` for 16 lanes.
    public static func quickGELU(_ x: SIMD16<Float>) -> SIMD16<Float> {
        x / (1 + expVector(-quickGELUFactor * x))
    }
}

extension Elementwise {
    /// x[i] = QuickGELU(x[i]) in place: 16 lanes at a time, the tail with the scalar version of the
    /// same formula. Always a separate pass after fc1 (the GEMM epilogue fuses only exact GELU), so
    /// models with GELU pay nothing for it.
    public static func applyQuickGELU(
        _ x: UnsafeMutablePointer<Float>,  // [count]
        count: Int
    ) {
        var i = 0
        while i + 16 <= count {
            storeSIMD16(VectorMath.quickGELU(loadSIMD16(x + i)), to: x + i)
            i += 16
        }
        while i < count {
            x[i] = VectorMath.quickGELU(x[i])
            i += 1
        }
    }
}
