import CDeiTSupport
import DeiTKernelTable

// The one Swift file that reads the `DEIT_OPENBLAS` build switch (Package.swift, `DEIT_BLAS=openblas`;
// the C side is CDeiTSupport/blas.c). Everything else reaches OpenBLAS through `LinearFormat`: the
// format chosen at load (`LinearFormat.native`) decides how `PackedWeights` stores each Linear layer
// and which path `Session.linear` takes. The `.plainF32` code below is compiled in every build, but
// only this build's `native` format selects it; in the default build the C shim's sgemm is a stub
// that does nothing, and nothing reaches it.

extension LinearFormat {
    /// The format every Linear layer is stored in by this build: `.plainF32` (OpenBLAS) with
    /// `DEIT_BLAS=openblas`, else `.packedF32` (our kernels) for GEMM panels `panelWidth` wide.
    static func native(panelWidth: Int) -> LinearFormat {
        #if DEIT_OPENBLAS
        .plainF32
        #else
        .packedF32(panelWidth: panelWidth)
        #endif
    }
}

/// Which library runs the Linear layers in this build, for tools to print.
package enum LinearBackend {
    /// OpenBLAS's kernel family for this CPU (e.g. `Haswell`, `Zen`; it follows `OPENBLAS_CORETYPE`)
    /// when this build runs the Linear layers through OpenBLAS (`DEIT_BLAS=openblas`); nil in the
    /// default build, where our packed kernels (`KernelTable.gemmKernelName`) run them.
    package static var openBLASCoreName: String? {
        #if DEIT_OPENBLAS
        String(cString: deit_support_blas_core_name())
        #else
        nil
        #endif
    }
}

/// The optional OpenBLAS backend (Package.swift, `DEIT_BLAS=openblas`): every Linear layer is
/// `cblas_sgemm` on the plain row-major weight, with the bias and the epilogue as separate passes.
/// Each Linear region of `PackedWeights` then holds the weight [n, k] followed by the bias [n] (the
/// same bytes as the checkpoint, no packing), in place of our packed panels: `LinearFormat.plainF32`.
enum BLASLinear {
    /// Floats of one Linear region: weight [n, k], then bias [n].
    static func floatCount(n: Int, k: Int) throws(DeiTError) -> Int {
        try checkedSum(try checkedProduct(n, k, "linear weight"), n, "linear weight")
    }

    /// OpenBLAS takes 32-bit sizes: refuses a model any of whose GEMM sizes (rows T, widths D, 3D, H,
    /// C, 3·P·P) would not fit, before anything is sized from them.
    static func checkSizes(_ config: ModelConfig) throws(DeiTError) {
        let limit = Int(Int32.max)
        let largest = max(config.numTokens, config.mlpHiddenDim, config.numClasses, config.patchValues)
        guard largest <= limit, config.embedDim <= limit / 3 else {
            throw DeiTError(.outOfMemory, "a GEMM size of this model is too large for OpenBLAS (32-bit sizes)")
        }
    }

    /// Stores a Linear layer's weight [n, k] and bias [n] at `destination` (`floatCount(n:k:)` floats).
    static func store(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, n: Int, k: Int,
                      into destination: UnsafeMutablePointer<Float>) {
        destination.update(from: weight, count: n * k)
        (destination + n * k).update(from: bias, count: n)
    }
}

extension Session {
    /// C = epilogue(A·Wᵀ + b) through OpenBLAS for `.plainF32` weights; same semantics as `GEMMEpilogue`.
    /// The columns of C are cut into fixed blocks, one single-threaded sgemm each, shared out over the
    /// session's pool.
    func blasLinear(m: Int, a: UnsafePointer<Float>, lda: Int, weights: LinearWeights,
                    c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: GEMMEpilogue) {
        let step = BLASLinearStep(m: m, n: weights.n, k: weights.k, a: a, lda: lda, weights: weights.floats,
                                  c: c, ldc: ldc, epilogue: epilogue)
        pool.run(.blasLinear(step), taskCount: step.blockCount)
    }
}

/// A Linear layer through OpenBLAS, one block of output columns per task.
///
/// Why fixed blocks and not OpenBLAS's own threads: how a GEMM is split (over OpenBLAS's threads, or
/// into calls) changes OpenBLAS's rounding, so the logits would depend on the thread count; its
/// threaded path also mallocs a job table on every call (`run` must not allocate), and on few cores
/// its threads and the pool's idle workers compete. Blocks of a fixed width, one single-threaded
/// sgemm each, give every output element the same computation whatever the thread count.
struct BLASLinearStep {
    /// Columns of C per task: 2 blocks for D = 192, 6 for 3D, 8 for H = 768.
    static let columnBlock = 96

    var m: Int, n: Int, k: Int
    var a: UnsafePointer<Float>, lda: Int            // [m, k]
    var weights: UnsafePointer<Float>                // W [n, k], then bias [n]
    var c: UnsafeMutablePointer<Float>, ldc: Int     // [m, n]
    var epilogue: GEMMEpilogue

    /// Tasks: ⌈n / columnBlock⌉.
    var blockCount: Int { (n + BLASLinearStep.columnBlock - 1) / BLASLinearStep.columnBlock }

    /// Columns `task·B ..< min(n, (task+1)·B)`: the bias goes into C first (written for `.store` and
    /// `.gelu`, added to the residual for `.accumulate`) so sgemm with beta = 1 serves every epilogue,
    /// then GELU over the block for `.gelu`.
    func run(task: Int, kernels: KernelTable) {
        let first = task * BLASLinearStep.columnBlock
        guard first < n else { return }
        let columns = min(BLASLinearStep.columnBlock, n - first)
        let bias = weights + n * k + first
        let block = c + first
        for row in 0..<m {
            switch epilogue {
            case .store, .gelu: (block + row * ldc).update(from: bias, count: columns)
            case .accumulate: kernels.add(bias, block + row * ldc, columns)
            }
        }
        deit_support_sgemm_nt(Int64(m), Int64(columns), Int64(k), a, Int64(lda), weights + first * k, Int64(k), 1,
                              block, Int64(ldc))
        if case .gelu = epilogue {
            for row in 0..<m { kernels.applyGELU(block + row * ldc, columns) }
        }
    }
}
