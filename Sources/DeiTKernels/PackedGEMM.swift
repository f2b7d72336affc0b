import DeiTKernelTable

/// Single-precision GEMM against a pre-packed right-hand matrix: `C = epilogue(A·Wᵀ + bias)`.
///
/// W is packed once (``pack(weight:bias:n:k:into:)``); `multiply` walks its panels and covers the rows
/// of A with the register tiles of this build's micro-kernel (``kernelName``, chosen in
/// `GEMMKernelTable.swift`). Ragged `m` and `n` are handled inside: only `m` rows of A are read and only
/// `n` columns of C are written (C is read only for `.accumulate`).
public enum PackedGEMM {
    /// The micro-kernel this build uses, e.g. `f32_gemm_5x16__avx2_fma`.
    public static var kernelName: String { ActiveGEMMKernel.name }

    /// C[m×n] (ldc) ⟵ epilogue(A[m×k] (lda) · Wᵀ + bias), all panels.
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [m, k]
        packed: UnsafePointer<Float>,  // [packedCount(n, k)]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, n]
        epilogue: GEMMEpilogue
    ) {
        multiply(
            using: ActiveGEMMKernel.self, m: m, n: n, k: k, a: a, lda: lda, packed: packed, c: c, ldc: ldc,
            epilogue: epilogue, panelRange: 0..<panelCount(n: n))
    }

    /// Same as ``multiply(m:n:k:a:lda:packed:c:ldc:epilogue:)`` restricted to the panels in
    /// `panelRange` (output columns `lowerBound·NR ..< min(n, upperBound·NR)`), so a worker pool can
    /// split N; disjoint ranges write disjoint columns. Panels outside `0..<panelCount(n:)` are ignored.
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [m, k]
        packed: UnsafePointer<Float>,  // [packedCount(n, k)]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, n]
        epilogue: GEMMEpilogue,
        panelRange: Range<Int>
    ) {
        multiply(
            using: ActiveGEMMKernel.self, m: m, n: n, k: k, a: a, lda: lda, packed: packed, c: c, ldc: ldc,
            epilogue: epilogue, panelRange: panelRange)
    }

    /// The GEMM with any micro-kernel of the table (B packed for its `panelWidth`); the tests run every
    /// entry through this.
    static func multiply<Kernel: F32GEMMMicroKernel>(
        using kernel: Kernel.Type,
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [m, k]
        packed: UnsafePointer<Float>,  // [packedCount(n, k, Kernel.panelWidth)]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, n]
        epilogue: GEMMEpilogue,
        panelRange: Range<Int>
    ) {
        guard m > 0, n > 0, k >= 0 else { return }
        let width = Kernel.panelWidth
        let panelStride = (1 + k) * width  // floats per packed panel
        for panel in panelRange.clamped(to: 0..<panelCount(n: n, panelWidth: width)) {
            let firstColumn = panel * width
            Kernel.multiplyPanel(
                m: m, k: k, a: a, lda: lda,
                panel: packed + panel * panelStride,
                c: c + firstColumn, ldc: ldc,
                columns: min(width, n - firstColumn),
                epilogue: epilogue)
        }
    }
}
