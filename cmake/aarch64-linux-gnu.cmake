# CMake toolchain file: cross-compile a C/C++ project for aarch64 Linux with Debian's cross
# compilers (gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu), against a deit prefix made by
# scripts/build-aarch64.sh:
#
#   scripts/build-aarch64.sh /opt/deit-arm64
#   cmake -S app -B build-arm -DCMAKE_TOOLCHAIN_FILE=/path/to/deit/cmake/aarch64-linux-gnu.cmake \
#         -DCMAKE_PREFIX_PATH=/opt/deit-arm64
#   cmake --build build-arm
#
# In the project: find_package(deit 0.1 REQUIRED) and target_link_libraries(app PRIVATE deit::deit)
# (libdeit.so) or deit::deit_static (libdeit.a). Binaries run on a board, or here under qemu:
# `qemu-aarch64 -L /usr/aarch64-linux-gnu app` (ctest does it for you: CMAKE_CROSSCOMPILING_EMULATOR).
# Variables: DEIT_CROSS_PREFIX (default aarch64-linux-gnu-), DEIT_AARCH64_SYSROOT (default
# /usr/aarch64-linux-gnu, where Debian's libc6-dev-arm64-cross puts the target's libc).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

if(NOT DEFINED DEIT_CROSS_PREFIX)
    set(DEIT_CROSS_PREFIX aarch64-linux-gnu-)
endif()
if(NOT DEFINED DEIT_AARCH64_SYSROOT)
    set(DEIT_AARCH64_SYSROOT /usr/aarch64-linux-gnu)
endif()
# try_compile projects get their own copy of the toolchain file: pass these variables on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES DEIT_CROSS_PREFIX DEIT_AARCH64_SYSROOT)

set(CMAKE_C_COMPILER ${DEIT_CROSS_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${DEIT_CROSS_PREFIX}g++)

# Libraries and headers come from the target's tree only; packages (deit's CMake config) also from
# CMAKE_PREFIX_PATH as given, since a deit prefix usually lives outside the sysroot. Programs
# (code generators, pkg-config) are the build machine's.
set(CMAKE_FIND_ROOT_PATH ${DEIT_AARCH64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# Run target binaries (try_run, ctest, add_custom_command on built tools) under qemu-user.
find_program(DEIT_QEMU_AARCH64 qemu-aarch64)
if(DEIT_QEMU_AARCH64)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${DEIT_QEMU_AARCH64} -L ${DEIT_AARCH64_SYSROOT})
endif()
