import CDeiTSupport

/// The ABI version: include/deit.h's DEIT_ABI_VERSION (imported through CDeiTSupport's deit_api.h,
/// so the header is the single source), also the number in libdeit.so's SONAME (scripts/install.sh
/// reads it from the header).
let abiVersion: Int32 = DEIT_ABI_VERSION

/// The library's ABI version, so that a program can check it matches the header it was built with.
@_cdecl("deit_abi_version")
public func deit_abi_version() -> Int32 {
    abiVersion
}
