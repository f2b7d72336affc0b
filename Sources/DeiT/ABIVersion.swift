/// The ABI version: include/deit.h's DEIT_ABI_VERSION and the number in libdeit.so's SONAME
/// (scripts/install.sh reads it from the header). Bump all three together on an incompatible change.
let abiVersion: Int32 = 0

/// The library's ABI version, so that a program can check it matches the header it was built with.
@_cdecl("deit_abi_version")
public func deit_abi_version() -> Int32 {
    abiVersion
}
