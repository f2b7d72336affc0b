import CDeiTSupport
import DeiTRuntime

/// The library version; include/deit.h's DEIT_VERSION_* macros must agree (a test checks).
let libraryVersion: StaticString = "0.1.0"

@_cdecl("deit_status_string")
public func deit_status_string(_ status: deit_status) -> UnsafePointer<CChar> {
    let name: StaticString
    if let known = DeiTStatus(rawValue: Int32(truncatingIfNeeded: status.rawValue)) {
        name = known.name
    } else {
        name = "DEIT_ERR_UNKNOWN_STATUS"
    }
    return cString(name)
}

@_cdecl("deit_last_error")
public func deit_last_error() -> UnsafePointer<CChar> {
    deit_support_last_error()
}

@_cdecl("deit_version_string")
public func deit_version_string() -> UnsafePointer<CChar> {
    cString(libraryVersion)
}

/// A string literal's bytes, which the compiler stores NUL-terminated.
private func cString(_ literal: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
}
