#!/usr/bin/env bash
# Cross-builds libdeit for aarch64 Linux on an x86-64 machine and installs it into a prefix:
#
#   scripts/build-aarch64.sh [prefix]            default prefix: .build/aarch64/install
#
# Installs (the same layout as scripts/install.sh, without deit-cli)
#   <prefix>/include/deit.h
#   <prefix>/lib/libdeit.so.X.Y.Z, libdeit.so.<ABI> (the SONAME), libdeit.so
#   <prefix>/lib/libdeit.a
#   <prefix>/lib/pkgconfig/deit.pc
#   <prefix>/lib/cmake/deit/deitConfig.cmake, deitConfigVersion.cmake   (targets deit::deit, deit::deit_static)
# Then cross-compile a C/C++ CMake project against it with cmake/aarch64-linux-gnu.cmake:
#   cmake -S app -B build-arm -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DCMAKE_PREFIX_PATH=<prefix>
# Environment: DEIT_AARCH64_BUILD_DIR (intermediate files, default .build/aarch64).
#
# How. The Swift core (DeiTKernels, DeiTRuntime, DeiT) is compiled as Embedded Swift for
# aarch64-none-none-elf by scripts/check-embedded.sh: the objects need only libc (malloc, memset,
# sqrtf, ...) and our C shims, so there is no Swift runtime to ship. The C shims (CDeiTSupport and
# CDeiTImage with stb_image) are compiled with Debian's aarch64-linux-gnu-gcc, -fPIC. All objects
# are pre-linked into one (ld.lld -r; the Swift toolchain's lld, because GNU ld rejects the Embedded
# objects' weak *protected* duplicates of shared generic specialisations). Then
#   libdeit.so  gcc -shared with lld: a version script generated from include/deit.h exports exactly
#               the header's functions; SONAME libdeit.so.<DEIT_ABI_VERSION>. NEEDED: libc, libm,
#               ld-linux (for __stack_chk_guard).
#   libdeit.a   that one object with every symbol but the header's functions made local (objcopy):
#               no clash with the program's symbols, and GNU ld then links it like any C archive.
#               Link it with -lm -lpthread (pkg-config --static, or deit::deit_static).
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
prefix="${1:-$repo/.build/aarch64/install}"
build_dir="${DEIT_AARCH64_BUILD_DIR:-$repo/.build/aarch64}"
mkdir -p "$prefix" "$build_dir" && prefix=$(cd "$prefix" && pwd) && build_dir=$(cd "$build_dir" && pwd)
cross=aarch64-linux-gnu
started=$SECONDS
step() { echo "build-aarch64: [$((SECONDS - started))s] $*"; }

source scripts/lib/package.sh
package_tool=build-aarch64
package_read_version

# 1. Cross compilers (Debian packages), only when missing. g++ is for users' C++ code (examples/).
step "Debian packages (scripts/setup.sh with the cross compilers; libstb-dev is among its own)"
scripts/setup.sh gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null
[ -f /usr/include/stb/stb_image.h ] || { echo "build-aarch64: /usr/include/stb/stb_image.h missing (apt-get install libstb-dev)" >&2; exit 1; }
lld_dir=$(dirname "$(command -v swiftc)")
[ -x "$lld_dir/ld.lld" ] || { echo "build-aarch64: ld.lld not found beside swiftc" >&2; exit 1; }

# 2. Swift core as Embedded Swift objects for aarch64.
step "Embedded Swift objects (scripts/check-embedded.sh)"
scripts/check-embedded.sh "$build_dir/embedded" >"$build_dir/embedded.log" 2>&1 ||
    { cat "$build_dir/embedded.log" >&2; exit 1; }
swift_objects=("$build_dir/embedded/DeiTKernelTable.o" "$build_dir/embedded/DeiTKernels.o" "$build_dir/embedded/DeiTKernelsDotProd.o"
               "$build_dir/embedded/DeiTRuntime.o" "$build_dir/embedded/DeiT.o")

# 3. C shims with the cross compiler (stb_image from Debian's libstb-dev header, /usr/include/stb).
step "C shims with $cross-gcc"
mkdir -p "$build_dir/include" "$build_dir/c"
ln -sfn /usr/include/stb "$build_dir/include/stb"   # only stb, not the host's libc headers
c_objects=()
for source in Sources/CDeiTSupport/*.c Sources/CDeiTImage/*.c Sources/CDeiTLabels/*.c; do
    object="$build_dir/c/$(basename "$source" .c).o"
    "$cross-gcc" -O2 -fPIC -ffunction-sections -fdata-sections -Wall -Wno-unused-function -pthread \
        -I Sources/CDeiTSupport/include -I Sources/CDeiTImage/include -I Sources/CDeiTLabels/include -I "$build_dir/include" -c "$source" -o "$object"
    c_objects+=("$object")
done

# 4. One pre-linked object, the exported API, and the two libraries.
step "linking libdeit.so.$version and libdeit.a"
stage="$build_dir/stage"
rm -rf "$stage" && mkdir -p "$stage"
"$lld_dir/ld.lld" -r -o "$build_dir/deit-objects.o" "${c_objects[@]}" "${swift_objects[@]}"

package_write_export_list "$build_dir"   # api.txt, libdeit.map (as scripts/install.sh)

"$cross-gcc" -shared -fuse-ld=lld -B"$lld_dir" -pthread -o "$stage/libdeit.so.$version" "$build_dir/deit-objects.o" \
    -Wl,-soname,"libdeit.so.$abi" -Wl,--version-script,"$build_dir/libdeit.map" -Wl,--gc-sections \
    -Wl,-z,defs -Wl,-z,noexecstack -Wl,-z,relro -Wl,-z,now -lm
"$cross-strip" --strip-unneeded "$stage/libdeit.so.$version"

"$cross-objcopy" --strip-unneeded $(sed 's/^/--keep-global-symbol=/' "$build_dir/api.txt") \
    "$build_dir/deit-objects.o" "$stage/libdeit.o"
"$cross-ar" rcs "$stage/libdeit.a" "$stage/libdeit.o"

# 5. What the libraries must look like: only system libraries needed, only the header's functions.
needed=$("$cross-readelf" -d "$stage/libdeit.so.$version" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
unexpected=$(printf '%s\n' "$needed" | grep -vxE 'libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|ld-linux-aarch64\.so\.1' || true)
[ -z "$unexpected" ] || { echo "build-aarch64: libdeit.so needs unexpected libraries: $unexpected" >&2; exit 1; }
exported=$("$cross-nm" -D --defined-only "$stage/libdeit.so.$version" | awk '{ print $3 }' | sort -u)
[ "$exported" = "$(cat "$build_dir/api.txt")" ] || {
    echo "build-aarch64: libdeit.so exports differ from include/deit.h's functions:" >&2
    diff <(printf '%s\n' "$exported") "$build_dir/api.txt" >&2 || true
    exit 1
}
archive_globals=$("$cross-nm" --extern-only --defined-only "$stage/libdeit.a" | awk 'NF == 3 { print $3 }' | sort -u)
[ "$archive_globals" = "$(cat "$build_dir/api.txt")" ] ||
    { echo "build-aarch64: libdeit.a defines global symbols beyond the header's functions" >&2; exit 1; }
echo "build-aarch64: libdeit.so NEEDED: $(echo $needed); exports $(wc -l < "$build_dir/api.txt") deit_* functions"

# 6. Install. The templates are x86's (scripts/install.sh); only the static link libraries differ:
# the Embedded core needs no C++ runtime, just libm and pthreads.
step "installing into $prefix"
package_install_libraries "$prefix" "$stage/libdeit.so.$version" "$stage/libdeit.a"
package_install_config "$prefix" 8 \
        -e 's|^Libs.private: -lstdc++ -lm -ldl -lpthread$|Libs.private: -lm -lpthread|' \
        -e 's|INTERFACE_LINK_LIBRARIES "stdc++;m;dl;pthread"|INTERFACE_LINK_LIBRARIES "m;pthread"|' \
        -e 's|libdeit.a holds the Swift runtime, which needs these|the Embedded Swift core needs libm and pthreads|' \
        -e 's|The Swift runtime inside libdeit.a needs the C++ runtime, libm, libdl and pthreads|The Embedded Swift core in libdeit.a needs libm and pthreads|' \
        -e 's|libdeit.so (Swift runtime inside)|libdeit.so (Embedded Swift core, no runtime)|'
# The templates may change: fail rather than install x86's static link libraries.
grep -q '^Libs.private: -lm -lpthread$' "$prefix/lib/pkgconfig/deit.pc" &&
    grep -q 'INTERFACE_LINK_LIBRARIES "m;pthread"' "$prefix/lib/cmake/deit/deitConfig.cmake" ||
    { echo "build-aarch64: cmake/deit.pc.in or deitConfig.cmake.in changed: update the substitutions" >&2; exit 1; }

step "done"
ls -l "$prefix/lib"
