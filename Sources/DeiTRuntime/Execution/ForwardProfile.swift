import CDeiTSupport

/// Time spent per op class in `Session.runProfiled`, accumulated over runs (nanoseconds).
///
/// The classes cover the whole forward pass, so they sum to `totalNanoseconds` up to the cost of
/// reading the clock (about 25 reads per block).
public struct ForwardProfile: Sendable {
    /// The op classes, in forward order.
    public enum OpClass: Int, Sendable, CaseIterable {
        /// im2col + the patch-embedding GEMM.
        case patchEmbed
        /// The qkv GEMM of each block.
        case qkv
        /// Packing K and V, Q·Kᵀ, softmax, ·V (all heads).
        case attention
        /// The output projection GEMM (+ residual).
        case proj
        /// fc1 and fc2 GEMMs (+ residual), without the GELU.
        case mlp
        /// Every LayerNorm (two per block and the final one).
        case layerNorm
        /// The GELU after fc1.
        case gelu
        /// Everything else: class/position embedding, classifier head(s).
        case other

        public var name: String {
            switch self {
            case .patchEmbed: "patch embed"
            case .qkv: "qkv"
            case .attention: "attention"
            case .proj: "proj"
            case .mlp: "mlp"
            case .layerNorm: "layernorm"
            case .gelu: "gelu"
            case .other: "other"
            }
        }
    }

    /// Nanoseconds per op class, indexed by `OpClass.rawValue`.
    public private(set) var nanoseconds = InlineArray<8, UInt64>(repeating: 0)
    /// Wall time of the profiled runs, from entry to logits.
    public private(set) var totalNanoseconds: UInt64 = 0
    /// Runs accumulated.
    public private(set) var runs = 0

    public init() {}

    /// Nanoseconds spent in `opClass` over all accumulated runs.
    public subscript(opClass: OpClass) -> UInt64 { nanoseconds[opClass.rawValue] }

    /// Back to zero.
    public mutating func reset() { self = ForwardProfile() }

    mutating func add(_ opClass: OpClass, _ elapsed: UInt64) { nanoseconds[opClass.rawValue] &+= elapsed }
    mutating func finishRun(total: UInt64) {
        totalNanoseconds &+= total
        runs += 1
    }
}

/// Charges the time since the previous lap to an op class; does nothing (not even read the clock)
/// without a profile.
struct ProfileClock {
    private let profile: UnsafeMutablePointer<ForwardProfile>?
    private var last: UInt64
    let start: UInt64

    init(_ profile: UnsafeMutablePointer<ForwardProfile>?) {
        self.profile = profile
        last = profile == nil ? 0 : deit_support_monotonic_ns()
        start = last
    }

    @inline(__always)
    mutating func lap(_ opClass: ForwardProfile.OpClass) {
        guard let profile else { return }
        let now = deit_support_monotonic_ns()
        profile.pointee.add(opClass, now &- last)
        last = now
    }

    func finish() {
        guard let profile else { return }
        profile.pointee.finishRun(total: deit_support_monotonic_ns() &- start)
    }

    var isProfiling: Bool { profile != nil }
}
