/// What a packed GEMM does with `A·Wᵀ + bias` before it lands in C.
public enum GEMMEpilogue: Sendable {
    /// `C = A·Wᵀ + b`. C is write-only.
    case store
    /// `C += A·Wᵀ + b` (the residual add). The only epilogue that reads C.
    case accumulate
    /// `C = GELU_erf(A·Wᵀ + b)` with the exact (erf) GELU. C is write-only.
    case gelu
}
