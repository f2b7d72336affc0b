/// How a model's transformer blocks compute, chosen at load (`deit_load_options.precision`).
public enum Precision: Sendable, Equatable {
    /// Float32 weights and arithmetic everywhere (F16/BF16 checkpoints are widened): the default.
    case f32
    /// The Linear layers — every block's qkv, proj, fc1, fc2 and the classifier head(s) — quantised
    /// at load from the checkpoint's floats to int8, symmetric per output channel and 32 inputs, and
    /// run as int8 GEMMs on activations quantised per token and per 32 inputs just before each one
    /// (`Int8GEMM`). The patch embedding computes in Float32 on its weights rounded to binary16 (an
    /// int8 file stores them F16: 0.29 MB less for DeiT-Ti; the logits' RMS error against f32 over the
    /// 900 photos 0.0353 → 0.0354); attention's two products,
    /// LayerNorm, softmax, GELU, the residual stream and a CaiT's class-attention blocks stay Float32.
    case int8

    /// `f32` or `int8`, as tools print it and `--precision` takes it.
    public var name: String {
        switch self {
        case .f32: "f32"
        case .int8: "int8"
        }
    }

    /// The precision named `name` (`f32` or `int8`), nil for anything else.
    public init?(name: String) {
        // Byte comparison: String == pulls Unicode normalisation tables into Embedded Swift builds.
        if staticStringEquals("f32", name.utf8) {
            self = .f32
        } else if staticStringEquals("int8", name.utf8) {
            self = .int8
        } else {
            return nil
        }
    }

    /// The format the blocks' Linear layers (qkv, proj, fc1, fc2) and the classifier heads are stored
    /// in at this precision, given the build's Float32 format (`LinearFormat.native`). The patch
    /// embedding and a CaiT's class-attention blocks always use `native`.
    func linearFormat(native: LinearFormat) -> LinearFormat {
        switch self {
        case .f32: native
        case .int8: .packedInt8
        }
    }

}

/// Where a loaded model's precision came from.
public enum PrecisionSource: Sendable, Equatable {
    /// Nothing asked for one and the file is a float checkpoint: f32.
    case `default`
    /// The load option (`precision`, `--precision`, `deit_load_options.precision`).
    case loadOption
    /// The file: an int8 file (`deit-cli quantize`) stores the blocks' Linear weights as int8.
    case file

    /// "default", "load option", "file", as tools print it.
    public var name: String {
        switch self {
        case .default: "default"
        case .loadOption: "load option"
        case .file: "file"
        }
    }

    /// The precision to run a file stored at `stored` at when `requested` was asked for (nil: none),
    /// and where it comes from. An int8 file runs at int8 (asking for int8 too is fine); asking for
    /// f32 on one is `.unsupported`: its float weights are not in the file, and dequantising them would
    /// run neither the float model nor the int8 one.
    static func resolve(requested: Precision?, stored: Precision) throws(DeiTError) -> (Precision, PrecisionSource) {
        switch (stored, requested) {
        case (.int8, .f32):
            throw DeiTError(.unsupported, "the model file is int8 (written by deit-cli quantize) and precision f32 was requested: its float weights are not in the file (load the float checkpoint for f32, or ask for int8 or the file's precision)")
        case (.int8, _): return (.int8, .file)
        case (.f32, nil): return (.f32, .default)
        case (.f32, let requested?): return (requested, .loadOption)
        }
    }
}
