/// The instruction sets deit has kernels for. One build holds several (Package.swift compiles the
/// kernel sources once per set); the runtime picks one per session (`KernelChoice`, DeiTRuntime).
public enum KernelSet: Sendable, CaseIterable {
    case avx512
    case avx2
    /// aarch64 with the ARMv8.2 dot product (`sdot`, HWCAP_ASIMDDP): the int8 GEMM's `sdot` kernel.
    case neonDotProd
    case neon
    case portable

    /// Short name, as `deit_session_options.kernel_set` and `DEIT_KERNEL_SET` spell it: `avx512`,
    /// `avx2-fma`, `neon-dotprod`, `neon` or `portable`.
    public var name: String {
        switch self {
        case .avx512: "avx512"
        case .avx2: "avx2-fma"
        case .neonDotProd: "neon-dotprod"
        case .neon: "neon"
        case .portable: "portable"
        }
    }

    /// True for the portable set: no FMA, narrow vectors, several times slower. Tools should say so.
    public var isSlowFallback: Bool { self == .portable }
}
