// Layout arithmetic only (`Int8GEMM.groupSize`: the same in every set).
import DeiTKernels

/// Int8 model files (`deit-cli quantize`): a checkpoint whose blocks' Linear weights (qkv, proj, fc1,
/// fc2) are stored already quantised, in the canonical PyTorch layout, beside their scales:
///
///     blocks.i.attn.qkv.weight        I8  [3D, D]      Wq: |Wq| ≤ 127, |Wq[j, 2i]| + |Wq[j, 2i+1]| ≤ 128 (Int8GEMM.swift says why)
///     blocks.i.attn.qkv.weight_scale  F16 [3D, ⌈D/32⌉] sw[j, g] = halfCeiling(max(max pair / 128, max|W| / 127)) over W[j, 32g ..< 32g+32]
///     (the same for attn.proj, mlp.fc1, mlp.fc2, head.weight and head_dist.weight)
///
/// the patch embedding's weight F16 (its nearest binary16 values: `Precision.int8` rounds it so at
/// load too), and every other tensor as in the float checkpoint. Scales are F32
/// when one of them is not a binary16 value (tiny LayerScale-folded weights); F32 scales load too, as
/// do float heads (files from before 2026-12-02: the heads are quantised at load). `__metadata__` says so:
/// `deit.precision` = `int8`, `deit.int8.group_size` = `32`, `deit.int8.scheme` (text), and for a
/// LayerScale model `deit.int8.layer_scale` = `folded`: γ is already multiplied into the I8 weights
/// (before quantising) and into the F32 biases of proj and fc2, and is not applied again (the γ
/// tensors stay in the file, so the tensors still describe the architecture).
///
/// The quantisation is `Int8GEMM.quantizeWeight` (`KernelTable.int8QuantizeWeight`), exactly what
/// `Precision.int8` does at load, so a quantised file runs bit-identically to loading its float
/// checkpoint with `Precision.int8`. The panels the kernels read are built at load
/// (`Int8GEMM.pack(quantized:…)`, `KernelTable.int8PackQuantized`: the same bytes in every set).
package enum StoredInt8 {
    /// `__metadata__` keys of an int8 file.
    package static let precisionKey = "deit.precision"
    package static let groupSizeKey = "deit.int8.group_size"
    package static let schemeKey = "deit.int8.scheme"
    package static let layerScaleKey = "deit.int8.layer_scale"
    /// What `deit.int8.scheme` says.
    package static let scheme = "symmetric in int8 with |w| <= 127 and |w[2i]| + |w[2i+1]| <= 128 along each row, one scale per output channel and group of 32 inputs (max(max pair/128, max|w|/127) rounded up to a binary16 value when in its normal range; F16, or F32 when one is not a binary16 value), round to nearest even; activations quantised at run time to [-127, 127] per token and group of 32"
    /// The suffix of a scale tensor's name: `<weight name>` + `_scale`.
    package static let scaleSuffix: StaticString = "_scale"

    /// The precision a file's `__metadata__` declares (`deit.precision`; f32 when absent).
    /// `.unsupported` for a precision this runtime does not read.
    static func storedPrecision(_ file: SafetensorsFile) throws(DeiTError) -> Precision {
        guard let text = file.metadataValue(forKey: precisionKey) else { return .f32 }
        guard let precision = Precision(name: text) else {
            throw DeiTError(.unsupported, "__metadata__ key '\(precisionKey)' is \(quotedName(text)); this runtime reads 'f32' and 'int8' files")
        }
        return precision
    }

    /// The int8 group size an int8 file declares (`deit.int8.group_size`, decimal): `.format` when
    /// absent or not a positive decimal.
    static func declaredGroupSize(_ file: SafetensorsFile) throws(DeiTError) -> Int {
        guard let text = file.metadataValue(forKey: groupSizeKey) else {
            throw DeiTError(.format, "__metadata__ has '\(precisionKey)' 'int8' but no '\(groupSizeKey)'")
        }
        var value = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), value < 1_000_000 else {
                throw DeiTError(.format, "__metadata__ key '\(groupSizeKey)' is \(quotedName(text)); expected a positive decimal integer")
            }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        if value < 1 {
            throw DeiTError(.format, "__metadata__ key '\(groupSizeKey)' is \(quotedName(text)); expected a positive decimal integer")
        }
        return value
    }

    /// The block slots whose weights an int8 file stores as I8 (every block's Linear weights).
    static let quantizedSlots: [BlockTensor] = [.qkvWeight, .projWeight, .fc1Weight, .fc2Weight]

    /// The top-level Linear weights an int8 file stores as I8 — the heads — or, in a file from a
    /// deit-cli before they were (up to 2026-12-02), as floats: those are quantised at load, as
    /// `Precision.int8` does for a float checkpoint.
    static let quantizedTopSlots: [TopTensor] = [.headWeight, .headDistWeight]

    /// The position of the weight "<Linear weight>_scale" belongs to (a block's qkv, proj, fc1, fc2,
    /// or a head), nil for any other name.
    static func scalePosition(of name: String, limits: LoadLimits) throws(DeiTError) -> SlotPosition? {
        let bytes = Array(name.utf8)
        let suffixCount = scaleSuffix.utf8CodeUnitCount
        guard bytes.count > suffixCount,
              staticStringEquals(scaleSuffix, bytes[(bytes.count - suffixCount)...]) else { return nil }
        let weightBytes = bytes[..<(bytes.count - suffixCount)]
        if let top = quantizedTopSlots.first(where: { staticStringEquals($0.spec.name, weightBytes) }) {
            return SlotPosition(block: nil, slot: top.rawValue)
        }
        let weightName = String(decoding: weightBytes, as: UTF8.self)
        guard let (block, slot) = try CheckpointTable.blockSlot(of: weightName, schema: .deit, limits: limits),
              quantizedSlots.contains(where: { $0.rawValue == slot }) else { return nil }
        return SlotPosition(block: block, slot: slot)
    }

    /// Whether `dtype` is one an int8 file's scales may have: F32, or F16 (`deit-cli quantize` writes
    /// F16 when every scale is a binary16 value: `Int8GEMM.halfCeiling`).
    static func isScaleType(_ dtype: TensorDType) -> Bool { dtype == .f32 || dtype == .f16 }
}

/// Where an int8 file's scale tensors are: per block, per `BlockTensor` raw value, and per top-level
/// `TopTensor` raw value, the index into the file's tensor list (nil for the slots that have none).
struct ScaleTable: Sendable {
    var blocks: [[Int?]]
    var top: [Int?]

    subscript(position: SlotPosition) -> Int? {
        guard let block = position.block else {
            return position.slot < top.count ? top[position.slot] : nil
        }
        guard block < blocks.count, position.slot < blocks[block].count else { return nil }
        return blocks[block][position.slot]
    }

    /// Sorts the scale tensors (`indices` into `tensors`) into their slots and checks them against
    /// `config` and `table` (the Linear weights): one per block Linear weight and per I8 head and no
    /// other, F32 or F16, shape [n, ⌈k/groupSize⌉]. Then refuses
    /// a group size other than the kernels' 32 (`.unsupported`; a file consistent with another one is
    /// not damaged, it is a format this runtime does not run).
    init(tensors: [TensorInfo], indices: [Int], table: CheckpointTable, config: ModelConfig, groupSize: Int,
         limits: LoadLimits) throws(DeiTError) {
        let slotCount = BlockTensor.all.count
        var blocks = [[Int?]](repeating: [Int?](repeating: nil, count: slotCount), count: config.depth)
        var top = [Int?](repeating: nil, count: TopTensor.all.count)
        for index in indices {
            let tensor = tensors[index]
            guard let position = try StoredInt8.scalePosition(of: tensor.name, limits: limits) else {
                throw DeiTError(.format, "unexpected tensor \(quotedName(tensor.name)) (not part of the DeiT/ViT schema)")
            }
            guard let block = position.block else {
                // Only beside an I8 weight (a float patch embedding or head has no scale).
                guard let weight = table.top[position.slot], tensors[weight].dtype == .i8 else {
                    throw DeiTError(.format, "unexpected tensor \(quotedName(tensor.name)) (a scale for a weight that is not I8 or not in the file)")
                }
                top[position.slot] = index
                continue
            }
            guard block < config.depth else {
                throw DeiTError(.format, "unexpected tensor \(quotedName(tensor.name)) (the model has \(config.depth) blocks)")
            }
            blocks[block][position.slot] = index
        }
        func check(_ index: Int?, weightName: String, shape: [Int]) throws(DeiTError) {
            guard let index else {
                throw DeiTError(.format, "missing tensor '\(weightName)_scale' (an int8 file has a scale tensor for every I8 weight)")
            }
            let tensor = tensors[index]
            let (n, k) = try linearSize(shape)
            let expected = [n, (k + groupSize - 1) / groupSize]
            if !tensor.shape.elementsEqual(expected) {
                throw DeiTError(.format, "tensor \(quotedName(tensor.name)) has shape \(describeShape(tensor.shape)); expected \(describeShape(expected)) (one scale per output channel and group of \(groupSize) inputs, '\(StoredInt8.groupSizeKey)')")
            }
            if !StoredInt8.isScaleType(tensor.dtype) {
                throw DeiTError(.format, "tensor \(quotedName(tensor.name)) has dtype \(tensor.dtype.name); int8 weight scales are F32 or F16")
            }
        }
        for block in 0..<config.depth {
            for slot in StoredInt8.quantizedSlots {
                let spec = slot.spec
                try check(blocks[block][slot.rawValue], weightName: "blocks.\(block).\(spec.name)",
                          shape: spec.shape.dimensions(config))
            }
        }
        for slot in StoredInt8.quantizedTopSlots {
            guard let weight = table.top[slot.rawValue], tensors[weight].dtype == .i8 else { continue }
            let spec = slot.spec
            try check(top[slot.rawValue], weightName: "\(spec.name)", shape: spec.shape.dimensions(config))
        }
        if groupSize != Int8GEMM.groupSize {
            throw DeiTError(.unsupported, "__metadata__ key '\(StoredInt8.groupSizeKey)' is \(groupSize); this runtime's int8 kernels use groups of \(Int8GEMM.groupSize) inputs")
        }
        self.blocks = blocks
        self.top = top
    }
}
