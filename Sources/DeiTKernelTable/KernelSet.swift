/// The instruction sets deit has kernels for. One build holds several (Package.swift compiles the
/// kernel sources once per set); the runtime picks one per session (`KernelChoice`, DeiTRuntime).
public enum KernelSet: Sendable, CaseIterable {
    /// AVX-512 with AVX512-VNNI: avx512's f32 kernels, the int8 GEMM on `vpdpbusd` zmm.
    case avx512VNNI
    case avx512
    /// AVX2 + FMA with AVX-VNNI: avx2-fma's f32 kernels, the int8 GEMM on `{vex} vpdpbusd` ymm.
    case avxVNNI
    case avx2
    /// aarch64 with the ARMv8.2 dot product (`sdot`, HWCAP_ASIMDDP): the int8 GEMM's `sdot` kernel.
    case neonDotProd
    case neon
    case portable

    /// Short name, as `deit_session_options.kernel_set` and `DEIT_KERNEL_SET` spell it: `avx512-vnni`,
    /// `avx512`, `avx-vnni`, `avx2-fma`, `neon-dotprod`, `neon` or `portable`.
    public var name: String {
        switch self {
        case .avx512VNNI: "avx512-vnni"
        case .avx512: "avx512"
        case .avxVNNI: "avx-vnni"
        case .avx2: "avx2-fma"
        case .neonDotProd: "neon-dotprod"
        case .neon: "neon"
        case .portable: "portable"
        }
    }

    /// True for the portable set: no FMA, narrow vectors, several times slower. Tools should say so.
    public var isSlowFallback: Bool { self == .portable }
}
