#!/usr/bin/env bash
# Builds libdeit (release) and installs it for C and C++ programs into any prefix:
#
#   scripts/install.sh <prefix>                 e.g. scripts/install.sh /usr/local, or $HOME/.local
#
# Installs
#   <prefix>/include/deit.h
#   <prefix>/lib/libdeit.so.X.Y.Z, libdeit.so.<ABI> (the SONAME), libdeit.so
#   <prefix>/lib/libdeit.a
#   <prefix>/lib/pkgconfig/deit.pc
#   <prefix>/lib/cmake/deit/deitConfig.cmake, deitConfigVersion.cmake   (targets deit::deit, deit::deit_static)
#   <prefix>/bin/deit-cli
# Environment: DEIT_BUILD_DIR (SwiftPM scratch path, default .build), DEIT_SKIP_SETUP=1 (do not
# run scripts/setup.sh). The kernel set is chosen at run time (DEIT_KERNEL_SET overrides it).
#
# How the libraries are made. SwiftPM's own libdeit.so links the Swift runtime dynamically (fine
# for the tests, which run beside the toolchain), so both installed libraries are linked here from
# SwiftPM's static archive (libdeit-static.a: every target's objects):
#   libdeit.so  swiftc -static-stdlib: the Swift runtime (libswiftCore.a) is linked in; a version
#               script generated from include/deit.h exports exactly the header's functions and
#               sets the SONAME libdeit.so.<DEIT_ABI_VERSION>. Needs only libc, libm, libstdc++,
#               libgcc_s at run time. Linked with GNU ld (bfd): gold leaves a few Swift type
#               metadata symbols in the dynamic table despite the version script.
#   libdeit.a   one relocatable object (ld -r) of our objects + swiftrt.o + the libswiftCore.a
#               members they need, with every symbol but the header's functions made local
#               (objcopy), so it cannot clash with the program's symbols or another Swift
#               runtime. Link it with -lstdc++ -lm -ldl -lpthread (pkg-config --static, or the
#               deit::deit_static CMake target, say so).
# Trade-off (vs. the Embedded Swift build): the full runtime adds ~5 MB to libdeit.so and each
# library carries its own copy of the Swift runtime, which is harmless as long as no Swift types
# cross the C API (none do). An Embedded build would be smaller but needs an Embedded toolchain
# and a libc-based allocator shim per target.
set -euo pipefail

prefix="${1:?usage: scripts/install.sh <prefix>}"
mkdir -p "$prefix" && prefix=$(cd "$prefix" && pwd)
cd "$(dirname "$0")/.."
repo=$(pwd)
scratch="${DEIT_BUILD_DIR:-$repo/.build}"

source scripts/lib/package.sh
package_tool=install
package_read_version

[ "${DEIT_SKIP_SETUP:-0}" = 1 ] || scripts/setup.sh

echo "install: building deit $version (release) in $scratch"
# SwiftPM updates an existing static archive in place, so the object of a since-deleted source file
# would stay in it (and in libdeit.so): start the archive afresh; the objects themselves are reused.
rm -f "$(swift build -c release --scratch-path "$scratch" --show-bin-path)/libdeit-static.a"
swift build -c release --scratch-path "$scratch" --product deit-static
swift build -c release --scratch-path "$scratch" --product deit-cli
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)

# The toolchain's static Swift runtime and image-registration object, from its target info.
target_info=$(swiftc -print-target-info)
resource_dir=$(printf '%s\n' "$target_info" | sed -n 's/.*"runtimeResourcePath": "\(.*\)".*/\1/p')
arch=$(printf '%s\n' "$target_info" | sed -n 's/.*"arch": "\(.*\)".*/\1/p' | head -n 1)
static_runtime_dir="$resource_dir/../swift_static/linux"
swiftrt="$resource_dir/linux/$arch/swiftrt.o"
[ -f "$static_runtime_dir/libswiftCore.a" ] && [ -f "$swiftrt" ] ||
    { echo "install: static Swift runtime not found ($static_runtime_dir, $swiftrt)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

package_write_export_list "$stage"   # api.txt, libdeit.map

ld -r --whole-archive "$bin/libdeit-static.a" -o "$stage/deit-objects.o"

echo "install: linking libdeit.so.$version (Swift runtime static, SONAME libdeit.so.$abi)"
swiftc -emit-library -static-stdlib -use-ld=ld "$stage/deit-objects.o" -o "$stage/libdeit.so.$version" \
    -Xlinker -soname="libdeit.so.$abi" -Xlinker --version-script="$stage/libdeit.map" \
    -Xlinker --gc-sections -Xlinker -z -Xlinker defs -Xlinker -z -Xlinker noexecstack
strip --strip-unneeded "$stage/libdeit.so.$version"

echo "install: linking libdeit.a (one object, Swift runtime inside, only deit_* global)"
ld -r -o "$stage/deit-prelinked.o" --whole-archive "$bin/libdeit-static.a" --no-whole-archive \
    "$swiftrt" -L"$static_runtime_dir" -lswiftCore
objcopy --strip-unneeded --wildcard $(sed 's/^/--keep-global-symbol=/' "$stage/api.txt") \
    "$stage/deit-prelinked.o" "$stage/libdeit.o"
rm -f "$stage/libdeit.a"
ar rcs "$stage/libdeit.a" "$stage/libdeit.o"

echo "install: installing into $prefix"
package_install_libraries "$prefix" "$stage/libdeit.so.$version" "$stage/libdeit.a"
install -d "$prefix/bin"
install -m 755 "$bin/deit-cli" "$prefix/bin/deit-cli"
package_install_config "$prefix" "$(getconf LONG_BIT | awk '{ print $1 / 8 }')"

echo "install: done"
ls -l "$prefix/lib" "$prefix/bin/deit-cli"
