// swift-tools-version: 6.0
import PackageDescription

// Layers (see README): DeiTKernels → DeiTRuntime → DeiT (C API thunks), with CDeiTSupport as the
// small C shim they share (thread-local error text, file reading). The three Swift layers also
// compile as Embedded Swift (scripts/check-embedded.sh), so they import nothing but each other.

let package = Package(
    name: "deit",
    products: [
        // MARK: Libraries for C, C++ and Swift programs
        .library(name: "deit", type: .dynamic, targets: ["DeiT"]),
        .library(name: "deit-static", type: .static, targets: ["DeiT"]),
        // MARK: Command-line tool
        .executable(name: "deit-cli", targets: ["deit-cli"]),
    ],
    targets: [
        // MARK: Core (Embedded-compatible)
        .target(name: "CDeiTSupport"),
        .target(name: "DeiTKernels", exclude: ["README.md"]),
        .target(name: "DeiTRuntime", dependencies: ["DeiTKernels", "CDeiTSupport"]),
        .target(name: "DeiT", dependencies: ["DeiTRuntime", "CDeiTSupport"]),

        // MARK: Tools
        .executableTarget(name: "deit-cli", dependencies: ["DeiTRuntime"]),

        // MARK: Tests
        .testTarget(name: "DeiTKernelsTests", dependencies: ["DeiTKernels"]),
        .testTarget(name: "DeiTRuntimeTests", dependencies: ["DeiTRuntime", "DeiTKernels"]),
        .testTarget(name: "DeiTTests", dependencies: ["DeiT", "CDeiTSupport"]),
    ]
)
