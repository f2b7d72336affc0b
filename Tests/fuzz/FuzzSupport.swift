import CDeiTSupport
import DeiT
import Glibc

// Shared by the fuzz targets (compiled into each of them, not into libdeit): fixture loading and
// checks that turn a broken API contract into a crash libFuzzer reports.

/// Stops the run with a message: libFuzzer records the input as a crash artifact.
func fuzzFailure(_ message: String) -> Never {
    fputs("fuzz invariant violated: \(message)\n", stderr)
    abort()
}

/// `environmentName` if set, else `fallback` (a path relative to the repository root, where
/// scripts/fuzz.sh runs the fuzzers).
func fixturePath(_ environmentName: String, fallback: String) -> String {
    if let value = getenv(environmentName), value.pointee != 0 { return String(cString: value) }
    return fallback
}

/// Loads a fixture model once per process through the public API; a fixture that fails to load is
/// a set-up error, not a finding, so it exits instead of aborting.
func loadFixtureModel(_ path: String) -> OpaquePointer {
    var model: OpaquePointer?
    let status = deit_model_load_file(path, &model)
    guard status == DEIT_OK, let model else {
        fputs("fuzz set-up: cannot load fixture model '\(path)': \(String(cString: deit_last_error()))\n", stderr)
        exit(2)
    }
    return model
}

/// The model's info; a live handle must always give it.
func modelInfo(_ model: OpaquePointer) -> deit_model_info {
    var info = deit_model_info()
    info.struct_size = MemoryLayout<deit_model_info>.stride
    guard deit_model_get_info(model, &info) == DEIT_OK else { fuzzFailure("deit_model_get_info failed on a live model") }
    return info
}

/// A failure must come with one of the documented statuses and a detail message.
func checkFailure(_ status: deit_status, allowed: [deit_status], _ function: String) {
    guard allowed.contains(status) else {
        fuzzFailure("\(function) returned undocumented status \(status.rawValue)")
    }
    guard deit_last_error().pointee != 0 else { fuzzFailure("\(function) failed without a deit_last_error() message") }
}
