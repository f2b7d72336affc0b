/// Outcome of a runtime call; the raw values are the C API's `deit_status` (include/deit.h).
public enum DeiTStatus: Int32, Sendable {
    case ok = 0
    case invalidArgument = 1
    case io = 2
    case format = 3
    case unsupported = 4
    case outOfMemory = 5
    case arenaTooSmall = 6

    /// The fixed, human-readable name the C API returns from `deit_status_string`.
    public var name: StaticString {
        switch self {
        case .ok: return "DEIT_OK"
        case .invalidArgument: return "DEIT_ERR_INVALID_ARGUMENT"
        case .io: return "DEIT_ERR_IO"
        case .format: return "DEIT_ERR_FORMAT"
        case .unsupported: return "DEIT_ERR_UNSUPPORTED"
        case .outOfMemory: return "DEIT_ERR_OUT_OF_MEMORY"
        case .arenaTooSmall: return "DEIT_ERR_ARENA_TOO_SMALL"
        }
    }
}

/// A failure with its status and a message that names the tensor, byte offset or argument at fault.
/// Every throwing function in the core uses typed throws with this type (Embedded Swift has no `any Error`).
public struct DeiTError: Error, Sendable {
    public let status: DeiTStatus
    public let message: String

    public init(_ status: DeiTStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}
