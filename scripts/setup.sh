#!/usr/bin/env bash
# Installs the Debian packages that building and testing deit need, then checks the Swift toolchain.
# Idempotent: when everything is present it only queries dpkg (well under a second) and installs
# nothing. To need a new package, add it to `required_packages`.
#
#   scripts/setup.sh [PACKAGE ...]   # PACKAGEs too: what one check needs (qemu-user, cross compilers)
set -euo pipefail

# Debian packages the build and the tests use.
required_packages=(
    gcc         # C tests (Tests/c) and the C shim
    g++         # the header's C++ compile check (Tests/c/header_cxx.cpp)
    libc6-dev   # C headers and libraries
    binutils    # `size` for the Embedded compile check
    pkg-config  # locating system libraries
    libstb-dev  # stb_image.h: JPEG/PNG decoding, compiled into Sources/CDeiTImage
    cmake       # building the examples against an installed libdeit (scripts/check-packaging.sh)
    libopenblas-dev  # optional OpenBLAS backend: the DEIT_BLAS=openblas build and its test (scripts/check-openblas.sh)
)
required_packages+=("$@")

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for package in "${required_packages[@]}"; do
    is_installed "$package" || missing+=("$package")
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "setup: Debian packages present (${required_packages[*]})"
fi

# The Swift toolchain does not come from Debian; it must already be on PATH.
if ! command -v swift >/dev/null; then
    echo "setup: 'swift' is not on PATH; install Swift 6.x from https://swift.org/install" >&2
    exit 1
fi
echo "setup: $(swift --version 2>/dev/null | head -n 1)"
