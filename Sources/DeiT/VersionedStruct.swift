import CDeiTSupport
import DeiTRuntime

// The struct_size rule of include/deit.h ("Versioned structs"), in one place for every struct the
// caller passes in: limits, load options, session options.

/// The caller's struct, read after checking its `struct_size` (a size_t, the first field):
/// - smaller than `oldest` (the first published layout) → invalid argument (an uninitialised struct);
/// - from `oldest` up to ours → an older header's struct: the fields it has are read, the fields
///   appended since keep their values in `defaults`;
/// - larger → accepted only when every byte past ours is zero (a newer header's option we cannot
///   honour is refused, not ignored); never more than DEIT_MAX_STRUCT_SIZE bytes are read.
func versionedStruct<Value>(_ pointer: UnsafePointer<Value>, size ours: Int, oldest: Int? = nil, defaults: Value,
                            _ what: String, defaultFunction: String, _ function: String) throws(DeiTError) -> Value {
    let raw = UnsafeRawPointer(pointer)
    // Read the size field alone first: an older caller's struct may be shorter than ours.
    let given = raw.load(as: UInt.self)
    let smallest = oldest ?? ours
    guard given >= UInt(smallest) else {
        throw DeiTError(.invalidArgument,
                        "\(function): \(what)->struct_size is \(given); call \(defaultFunction)() first (it sets \(ours))")
    }
    guard given <= UInt(DEIT_MAX_STRUCT_SIZE) else {
        throw DeiTError(.invalidArgument,
                        "\(function): \(what)->struct_size is \(given), above DEIT_MAX_STRUCT_SIZE (\(DEIT_MAX_STRUCT_SIZE)): uninitialised? call \(defaultFunction)() first")
    }
    for offset in ours..<max(ours, Int(given)) where raw.load(fromByteOffset: offset, as: UInt8.self) != 0 {
        throw DeiTError(.unsupported,
                        "\(function): \(what) sets a field this library does not know: byte \(offset) of \(given) is not zero (a newer deit.h?)")
    }
    var value = defaults
    withUnsafeMutableBytes(of: &value) { destination in
        guard let base = destination.baseAddress else { return }
        base.copyMemory(from: raw, byteCount: min(Int(given), ours, destination.count))
    }
    return value
}
