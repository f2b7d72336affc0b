// swift-tools-version: 6.0
import PackageDescription

// Layers (see README): DeiTKernelTable → DeiTKernels (one module per kernel set) → DeiTRuntime → DeiT
// (C API thunks), with CDeiTSupport as the small C shim they share (thread-local error text, file
// reading, CPU features) and CDeiTImage (stb_image) and CDeiTLabels (the ImageNet-1k names).
// The Swift layers also compile as Embedded Swift (scripts/check-embedded.sh), so they import
// nothing but each other and those C targets.

// MARK: Kernel sets (instruction sets the kernels are compiled for; one is chosen at run time)
//
// The kernel sources (Sources/DeiTKernels) are compiled once per instruction set, as separate modules
// with their own flags; Sources/DeiTKernelsAVX2 and Sources/DeiTKernelsAVX512 are symbolic links to
// Sources/DeiTKernels, so the sets share every file. Each module describes itself with a
// `KernelTable` (CompiledKernels.swift) and the runtime picks one per session from CPUID + XGETBV
// (DeiTRuntime's KernelChoice; `DEIT_KERNEL_SET` or `deit_session_options.kernel_set` override it).
// Everything else — runtime, C API, CLI — is compiled for the baseline, so one x86-64 build runs on
// any x86-64 CPU and uses the best set it has.
//   DeiTKernels        no -march: x86-64 baseline (SSE2, no FMA), 2×16 GEMM tile; on aarch64 NEON
//   DeiTKernelsAVX2    -march=x86-64-v3 (AVX2 + FMA, Haswell/Zen and later), 5×16 tile  (x86-64 only)
//   DeiTKernelsAVX512  -march=x86-64-v4 (AVX-512 F/BW/CD/DQ/VL + FMA), 8×32 tile      (x86-64 only)
//   DeiTKernelsAVXVNNI    DeiTKernelsAVX2's flags + -mavxvnni: the int8 GEMM on ymm `vpdpbusd` (x86-64 only)
//   DeiTKernelsAVX512VNNI DeiTKernelsAVX512's flags + -mavx512vnni: the int8 GEMM on zmm `vpdpbusd` (x86-64 only)
//   DeiTKernelsDotProd -march=armv8-a+dotprod (ARMv8.2's dot product alone): int8 `sdot` (aarch64 only)
// `-Xcc -march` sets the target features for Swift code too (through its Clang importer); the
// DEIT_FMA / DEIT_AVX2 / DEIT_AVX512 / DEIT_AVXVNNI / DEIT_AVX512VNNI / DEIT_DOTPROD conditions tell the kernels what they may use
// (GEMMKernelTable, Int8GEMMKernelTable). The aarch64 cross build (scripts/build-aarch64.sh, Embedded
// Swift through scripts/check-embedded.sh) compiles the same modules with the same flags.
if Context.environment["DEIT_TARGET_CPU"] != nil {
    fatalError("DEIT_TARGET_CPU is gone: one build holds every kernel set and picks one at run time; force one with DEIT_KERNEL_SET=portable|avx2-fma|avx512")
}
#if arch(x86_64)
let hostHasKernelSets = true
#else
let hostHasKernelSets = false
#endif
#if arch(arm64)
let hostIsARM64 = true
#else
let hostIsARM64 = false
#endif
// MARK: Lean binaries
//
// Swift imports _Concurrency and _StringProcessing into every module unless told not to, and a module
// that imports them links their shared libraries (libswift_Concurrency, libdispatch, libBlocksRuntime,
// libstdc++, libswift_StringProcessing, libswift_RegexParser) into libdeit.so and deit-cli, which then
// load and relocate them in every process that uses deit — memory for nothing: no deit code uses
// async/await, tasks or regular expressions (the core compiles as Embedded Swift, which has neither).
// The tests keep the default (Swift Testing needs Concurrency).
let leanSettings: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-disable-implicit-concurrency-module-import",
                                                  "-Xfrontend", "-disable-implicit-string-processing-module-import"])]
let avx2Settings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"]), .define("DEIT_FMA"), .define("DEIT_AVX2")]
let avx512Settings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v4"]), .define("DEIT_FMA"), .define("DEIT_AVX512")]
// The VNNI sets: the same f32 kernels as avx2-fma / avx512 (DEIT_AVX2 / DEIT_AVX512 stay defined),
// their own int8 GEMM. Separate modules, not a flag on the others: with VNNI enabled LLVM may turn
// the AVX2 int8 kernel's `vpmaddwd` + `vpaddd` into `vpdpwssd`, which would fault on CPUs without it.
let avxVNNISettings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3", "-Xcc", "-mavxvnni"]), .define("DEIT_FMA"),
                                       .define("DEIT_AVX2"), .define("DEIT_AVXVNNI")]
let avx512VNNISettings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v4", "-Xcc", "-mavx512vnni"]), .define("DEIT_FMA"),
                                          .define("DEIT_AVX512"), .define("DEIT_AVX512VNNI")]
/// The kernel modules of this platform, baseline first (the runtime imports them all).
let dotProdSettings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=armv8-a+dotprod"]), .define("DEIT_DOTPROD")]
let kernelModules: [Target.Dependency] = hostHasKernelSets
    ? ["DeiTKernels", "DeiTKernelsAVX2", "DeiTKernelsAVX512", "DeiTKernelsAVXVNNI", "DeiTKernelsAVX512VNNI"]
    : (hostIsARM64 ? ["DeiTKernels", "DeiTKernelsDotProd"] : ["DeiTKernels"])
let kernelSetTargets: [Target] = hostHasKernelSets ? [
    .target(name: "DeiTKernelsAVX2", dependencies: ["DeiTKernelTable"], exclude: ["README.md"], swiftSettings: avx2Settings + leanSettings),
    .target(name: "DeiTKernelsAVX512", dependencies: ["DeiTKernelTable"], exclude: ["README.md"], swiftSettings: avx512Settings + leanSettings),
    .target(name: "DeiTKernelsAVXVNNI", dependencies: ["DeiTKernelTable"], exclude: ["README.md"], swiftSettings: avxVNNISettings + leanSettings),
    .target(name: "DeiTKernelsAVX512VNNI", dependencies: ["DeiTKernelTable"], exclude: ["README.md"], swiftSettings: avx512VNNISettings + leanSettings),
    // The kernel tests again, against the AVX2 module (`import DeiTKernels` names it through
    // -module-alias); Tests/DeiTKernelsAVX2Tests links to Tests/DeiTKernelsTests. Needs an AVX2 CPU.
    .testTarget(name: "DeiTKernelsAVX2Tests", dependencies: ["DeiTKernelsAVX2", "DeiTKernelTable", "DeiTTestSupport"],
                swiftSettings: [.unsafeFlags(["-module-alias", "DeiTKernels=DeiTKernelsAVX2"])] + avx2Settings),
] : hostIsARM64 ? [
    .target(name: "DeiTKernelsDotProd", dependencies: ["DeiTKernelTable"], exclude: ["README.md"], swiftSettings: dotProdSettings + leanSettings),
] : []

// MARK: Linear-layer backend (optional OpenBLAS, off by default)
//
// `DEIT_BLAS=openblas` runs every Linear layer through OpenBLAS's sgemm (Debian `libopenblas-dev`,
// scripts/check-openblas.sh) instead of our packed kernels, so the two can be compared; attention,
// LayerNorm and softmax keep our kernels. Unset or `none`: our kernels only, nothing linked.
let requestedBLAS = Context.environment["DEIT_BLAS"] ?? "none"
let usesOpenBLAS: Bool = {
    switch requestedBLAS {
    case "none", "": return false
    case "openblas": return true
    default: fatalError("DEIT_BLAS=\(requestedBLAS): use none (the default, our kernels) or openblas")
    }
}()
let blasCSettings: [CSetting] = usesOpenBLAS ? [.define("DEIT_OPENBLAS")] : []
let blasLinkerSettings: [LinkerSetting] = usesOpenBLAS ? [.linkedLibrary("openblas")] : []
let blasSwiftSettings: [SwiftSetting] = usesOpenBLAS ? [.define("DEIT_OPENBLAS")] : []

let package = Package(
    name: "deit",
    products: [
        // MARK: Libraries for C, C++ and Swift programs
        .library(name: "deit", type: .dynamic, targets: ["DeiT"]),
        .library(name: "deit-static", type: .static, targets: ["DeiT"]),
        // The Swift API (README, Layout): Model, Session, classify, images, limits, errors.
        .library(name: "DeiTRuntime", targets: ["DeiTRuntime"]),
        // MARK: Command-line tool
        .executable(name: "deit-cli", targets: ["deit-cli"]),
    ],
    targets: [
        // MARK: Core (Embedded-compatible)
        // Thread-local errors, file reading, clock, worker pool (pthreads); the OpenBLAS shim (blas.c).
        .target(name: "CDeiTSupport", cSettings: blasCSettings,
                linkerSettings: [.linkedLibrary("pthread", .when(platforms: [.linux]))] + blasLinkerSettings),
        // stb_image (Debian's libstb-dev header) compiled with our limits, plus the ImageNet labels.
        .target(name: "CDeiTImage"),
        // The ImageNet-1k class names (generated table), for the vision code and deit_class_label.
        .target(name: "CDeiTLabels"),
        // PNG writing (stb_image_write) for deit-cli explain; not part of libdeit.
        .target(name: "CDeiTImageWrite"),
        // The kernel table's types (KernelTable, KernelSet, GEMMEpilogue, the packed layout): the
        // interface between the per-set kernel modules and the runtime.
        .target(name: "DeiTKernelTable", swiftSettings: leanSettings),
        .target(name: "DeiTKernels", dependencies: ["DeiTKernelTable"], exclude: ["README.md"], swiftSettings: leanSettings),
        .target(name: "DeiTRuntime", dependencies: kernelModules + ["DeiTKernelTable", "CDeiTSupport", "CDeiTImage", "CDeiTLabels"],
                swiftSettings: blasSwiftSettings + leanSettings),
        .target(name: "DeiT", dependencies: ["DeiTRuntime", "DeiTKernelTable", "CDeiTSupport"], swiftSettings: leanSettings),

        // MARK: Tools
        // DeiTKernels (the baseline module) for set-independent layout arithmetic only (bench-gemm's int8
        // sizes); every kernel runs through a `KernelTable` (scripts/python/check_kernel_calls.py).
        .executableTarget(name: "deit-cli", dependencies: ["DeiTRuntime", "DeiTKernels", "DeiTKernelTable", "CDeiTSupport", "CDeiTImageWrite"],
                          swiftSettings: leanSettings),

        // MARK: Tests
        // Helpers the test targets share (the seeded generator); a plain target, not a product.
        .target(name: "DeiTTestSupport", path: "Tests/DeiTTestSupport"),
        .testTarget(name: "DeiTKernelsTests", dependencies: ["DeiTKernels", "DeiTKernelTable", "DeiTTestSupport"]),
        .testTarget(name: "DeiTRuntimeTests", dependencies: ["DeiTRuntime", "DeiTKernels", "DeiTKernelTable", "DeiTTestSupport"],
                    swiftSettings: blasSwiftSettings),
        .testTarget(name: "DeiTTests", dependencies: ["DeiT", "CDeiTSupport"]),
    ] + kernelSetTargets
)
