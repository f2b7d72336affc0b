// swift-tools-version: 6.0
import PackageDescription
#if canImport(Foundation)
import Foundation
#endif

// Layers (see README): DeiTKernels → DeiTRuntime → DeiT (C API thunks), with CDeiTSupport as the
// small C shim they share (thread-local error text, file reading) and CDeiTImage (stb_image) and CDeiTLabels (the ImageNet-1k names).
// The three Swift layers also compile as Embedded Swift (scripts/check-embedded.sh), so they import
// nothing but each other and those C targets.

// MARK: Kernel set (instruction set the kernels are compiled for)
//
// Chosen when the manifest is evaluated: `DEIT_TARGET_CPU` if set, else the best set the build
// machine supports (read from /proc/cpuinfo). The binary then needs that instruction set: build with
// DEIT_TARGET_CPU=avx2 (or portable) to run on older x86-64 CPUs than the build machine.
//   avx512    -march=x86-64-v4 (AVX-512 F/BW/CD/DQ/VL + FMA), 8×32 GEMM tile
//   avx2      -march=x86-64-v3 (AVX2 + FMA, Haswell/Zen and later), 5×16 GEMM tile
//   portable  the compiler's default (x86-64: SSE2, no FMA), 2×16 tile — several times slower
// On aarch64 NEON (with FMA) is part of the base ISA, so no flag is needed: `auto` gives the NEON kernels.
// `-Xcc -march` sets the target features for Swift code too (through its Clang importer); the
// DEIT_FMA / DEIT_AVX2 / DEIT_AVX512 conditions tell the kernels what they may use (GEMMKernelTable).

/// The x86-64 kernel set this machine supports, from the `flags` line of /proc/cpuinfo.
func hostKernelSet() -> String {
    #if arch(x86_64) && canImport(Foundation)
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return "portable" }
    let flags = Set(line.split(separator: " ").map(String.init))
    let v3: Set = ["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"]
    let v4: Set = ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]
    if v3.isSubset(of: flags) && v4.isSubset(of: flags) { return "avx512" }
    if v3.isSubset(of: flags) { return "avx2" }
    #endif
    return "portable"
}

let requestedKernelSet = Context.environment["DEIT_TARGET_CPU"] ?? "auto"
let kernelSet = requestedKernelSet == "auto" ? hostKernelSet() : requestedKernelSet
let kernelSettings: [SwiftSetting] = {
    #if arch(x86_64)
    switch kernelSet {
    case "avx512":
        return [.unsafeFlags(["-Xcc", "-march=x86-64-v4"]), .define("DEIT_FMA"), .define("DEIT_AVX512")]
    case "avx2":
        return [.unsafeFlags(["-Xcc", "-march=x86-64-v3"]), .define("DEIT_FMA"), .define("DEIT_AVX2")]
    case "portable":
        return []
    default:
        fatalError("DEIT_TARGET_CPU=\(requestedKernelSet): use auto, avx512, avx2 or portable")
    }
    #else
    return []
    #endif
}()

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
        .target(name: "DeiTKernels", exclude: ["README.md"], swiftSettings: kernelSettings),
        .target(name: "DeiTRuntime", dependencies: ["DeiTKernels", "CDeiTSupport", "CDeiTImage", "CDeiTLabels"],
                swiftSettings: kernelSettings + blasSwiftSettings),
        .target(name: "DeiT", dependencies: ["DeiTRuntime", "DeiTKernels", "CDeiTSupport"], swiftSettings: kernelSettings),

        // MARK: Tools
        .executableTarget(name: "deit-cli", dependencies: ["DeiTRuntime", "DeiTKernels", "CDeiTSupport", "CDeiTImageWrite"],
                          swiftSettings: kernelSettings),

        // MARK: Tests
        // Helpers the test targets share (the seeded generator); a plain target, not a product.
        .target(name: "DeiTTestSupport", path: "Tests/DeiTTestSupport"),
        .testTarget(name: "DeiTKernelsTests", dependencies: ["DeiTKernels", "DeiTTestSupport"], swiftSettings: kernelSettings),
        .testTarget(name: "DeiTRuntimeTests", dependencies: ["DeiTRuntime", "DeiTKernels", "DeiTTestSupport"],
                    swiftSettings: kernelSettings + blasSwiftSettings),
        .testTarget(name: "DeiTTests", dependencies: ["DeiT", "CDeiTSupport"], swiftSettings: kernelSettings),
    ]
)
