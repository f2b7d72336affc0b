import DeiTKernelTable
// Layout arithmetic only (`Int8GEMM.groupCount`, `groupSize`: the same in every set); quantising runs through
// the load-time `KernelTable`.
import DeiTKernels

/// Writes int8 model files (StoredInt8.swift) from float checkpoints: `deit-cli quantize`.
package enum Int8FileWriter {
    /// What the writer does with one tensor of the float checkpoint.
    private enum Action {
        /// Copied as it is (same dtype, shape and bytes).
        case copy
        /// A block's Linear weight [n, k]: quantised (γ folded in first when `gamma` is a tensor index).
        case quantize(n: Int, k: Int, gamma: Int?)
        /// The bias of a Linear weight with LayerScale: γ⊙b, written F32.
        case foldBias(gamma: Int)
        /// The patch embedding's weight: its nearest binary16 values, written F16 (as it is when one
        /// lies beyond binary16's range), as loading at `Precision.int8` rounds it.
        case half
    }

    /// One tensor of the output.
    private struct Entry {
        var name: String
        var dtype: TensorDType
        var shape: [Int]
        var data: [UInt8]
    }

    /// The bytes of the int8 file for the float checkpoint `bytes` (F32, F16 or BF16; validated as a
    /// load validates it, `configJSON` as for `Model.init(bytes:)`). Every block's qkv, proj, fc1 and
    /// fc2 weight and the heads' become I8 plus `<name>_scale` [n, ⌈k/32⌉], F16 (F32 when a scale is
    /// not a binary16 value) (`Int8GEMM.quantizeWeight`, exactly the load-time quantisation); with LayerScale, γ is folded into those weights first and
    /// into their biases (written F32), as loading folds it; every other tensor is copied unchanged;
    /// `__metadata__` keeps the checkpoint's entries and adds the int8 keys. `.invalidArgument` for a
    /// file that is int8 already.
    package static func quantize(_ bytes: UnsafeRawBufferPointer, limits: LoadLimits = .default,
                                 configJSON: UnsafeRawBufferPointer? = nil) throws(DeiTError) -> [UInt8] {
        let checkpoint = try Checkpoint(bytes: bytes, limits: limits, configJSON: configJSON)
        if checkpoint.storedPrecision == .int8 {
            throw DeiTError(.invalidArgument, "the file is an int8 file already ('\(StoredInt8.precisionKey)' 'int8')")
        }
        let config = checkpoint.config
        let tensors = checkpoint.file.tensors
        let schema = CheckpointSchema.deit
        var actions = [Action](repeating: .copy, count: tensors.count)
        for block in 0..<config.depth {
            for slot in StoredInt8.quantizedSlots {
                guard let index = checkpoint.table.blocks[block][slot.rawValue] else { continue }
                let (n, k) = try linearSize(slot.spec.shape.dimensions(config))
                let gammaSlot = schema.block.firstIndex { $0.kind == .layerScale(weight: slot.rawValue) }
                let gamma = gammaSlot.flatMap { checkpoint.table.blocks[block][$0] }
                actions[index] = .quantize(n: n, k: k, gamma: gamma)
                if let gamma, case .linearWeight(let biasSlot) = slot.spec.kind,
                   let biasIndex = checkpoint.table.blocks[block][biasSlot] {
                    actions[biasIndex] = .foldBias(gamma: gamma)
                }
            }
        }
        // The heads (no LayerScale there).
        for slot in StoredInt8.quantizedTopSlots {
            guard let index = checkpoint.table.top[slot.rawValue] else { continue }
            let (n, k) = try linearSize(slot.spec.shape.dimensions(config))
            actions[index] = .quantize(n: n, k: k, gamma: nil)
        }

        if let index = checkpoint.table.top[TopTensor.patchWeight.rawValue] { actions[index] = .half }

        func floats(_ index: Int) throws(DeiTError) -> [Float] {
            var values = [Float](repeating: 0, count: tensors[index].elementCount)
            try values.withUnsafeMutableBufferPointer { buffer throws(DeiTError) in
                guard let base = buffer.baseAddress else { return }
                try tensors[index].readFloats(from: bytes, into: base)
            }
            return values
        }
        var entries: [Entry] = []
        for (index, tensor) in tensors.enumerated() {
            switch actions[index] {
            case .copy:
                entries.append(Entry(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape,
                                     data: Array(bytes[tensor.byteRange])))
            case .half:
                var values = try floats(index)
                let fits = values.withUnsafeMutableBufferPointer { buffer in
                    buffer.baseAddress.map { HalfConversion.roundToHalf($0, count: buffer.count) } ?? true
                }
                if fits {
                    entries.append(Entry(name: tensor.name, dtype: .f16, shape: tensor.shape, data: littleEndianHalfBytes(values)))
                } else {
                    entries.append(Entry(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape,
                                         data: Array(bytes[tensor.byteRange])))
                }
            case .foldBias(let gammaIndex):
                var bias = try floats(index)
                let gamma = try floats(gammaIndex)
                for row in 0..<bias.count { bias[row] *= gamma[row] }
                entries.append(Entry(name: tensor.name, dtype: .f32, shape: tensor.shape, data: littleEndianBytes(bias)))
            case .quantize(let n, let k, let gammaIndex):
                var weight = try floats(index)   // (n, k)
                if let gammaIndex {
                    // As `WeightFiller.packLinear`: row r times γ[r], then quantised.
                    let gamma = try floats(gammaIndex)
                    for row in 0..<n {
                        let g = gamma[row]
                        for column in 0..<k { weight[row * k + column] *= g }
                    }
                }
                let groups = Int8GEMM.groupCount(k: k)
                var quantized = [Int8](repeating: 0, count: n * k)      // (n, k)
                var scales = [Float](repeating: 0, count: n * groups)  // (n, ⌈k/32⌉)
                weight.withUnsafeBufferPointer { w in
                    quantized.withUnsafeMutableBufferPointer { q in
                        scales.withUnsafeMutableBufferPointer { s in
                            if let w = w.baseAddress, let q = q.baseAddress, let s = s.baseAddress {
                                // The load-time choice's kernels (the same bits in every set).
                                KernelChoice.loadTable.int8QuantizeWeight(w, n, k, q, s)
                            }
                        }
                    }
                }
                // The weight keeps its shape ([n, k], or the patch embedding's [D, 3, P, P]).
                entries.append(Entry(name: tensor.name, dtype: .i8, shape: tensor.shape,
                                     data: quantized.map { UInt8(bitPattern: $0) }))
                // F16 when every scale is a binary16 value (`Int8GEMM.halfCeiling` makes the normal-range
                // ones so): the same values in half the bytes; else F32.
                if scales.allSatisfy({ HalfConversion.isHalfExact($0) }) {
                    entries.append(Entry(name: tensor.name + "_scale", dtype: .f16, shape: [n, groups],
                                         data: littleEndianHalfBytes(scales)))
                } else {
                    entries.append(Entry(name: tensor.name + "_scale", dtype: .f32, shape: [n, groups],
                                         data: littleEndianBytes(scales)))
                }
            }
        }

        var metadata: [(key: String, value: String)] = []
        for entry in checkpoint.file.metadata {
            let key = Array(entry.key.utf8)
            if staticStringEquals("deit.precision", key) || (key.count >= 10 && staticStringEquals("deit.int8.", key.prefix(10))) {
                continue
            }
            metadata.append(entry)
        }
        metadata.append((StoredInt8.precisionKey, "int8"))
        metadata.append((StoredInt8.groupSizeKey, "\(Int8GEMM.groupSize)"))
        metadata.append((StoredInt8.schemeKey, StoredInt8.scheme))
        if config.layerScale { metadata.append((StoredInt8.layerScaleKey, "folded")) }
        return serialise(entries, metadata: metadata)
    }

    /// A safetensors file: data laid out widest dtype first (then by name), so every tensor starts
    /// on a multiple of its element size; the header padded with spaces to a multiple of 8 bytes.
    private static func serialise(_ unordered: [Entry], metadata: [(key: String, value: String)]) -> [UInt8] {
        let entries = unordered.sorted { a, b in
            a.dtype.byteSize != b.dtype.byteSize ? a.dtype.byteSize > b.dtype.byteSize
                : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var header: [UInt8] = Array("{\"__metadata__\":{".utf8)
        for (index, entry) in metadata.enumerated() {
            if index > 0 { header.append(UInt8(ascii: ",")) }
            appendJSONString(entry.key, to: &header)
            header.append(UInt8(ascii: ":"))
            appendJSONString(entry.value, to: &header)
        }
        header.append(UInt8(ascii: "}"))
        var offset = 0
        for entry in entries {
            header.append(UInt8(ascii: ","))
            appendJSONString(entry.name, to: &header)
            var shape = ""
            for (index, dimension) in entry.shape.enumerated() { shape += (index > 0 ? "," : "") + "\(dimension)" }
            header += Array(":{\"dtype\":\"".utf8)
            header += UnsafeBufferPointer(start: entry.dtype.name.utf8Start, count: entry.dtype.name.utf8CodeUnitCount)
            header += Array("\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + entry.data.count)]}".utf8)
            offset += entry.data.count
        }
        header.append(UInt8(ascii: "}"))
        while (8 + header.count) % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var file: [UInt8] = []
        file.reserveCapacity(8 + header.count + offset)
        let length = UInt64(header.count)
        for shift in stride(from: 0, to: 64, by: 8) { file.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        file += header
        for entry in entries { file += entry.data }
        return file
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    private static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out += Array("\\u00".utf8)
                out.append(hex.utf8Start[Int(byte >> 4)])
                out.append(hex.utf8Start[Int(byte & 15)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `values`, each exactly a binary16 value (`HalfConversion.isHalfExact`), as little-endian binary16.
    private static func littleEndianHalfBytes(_ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 2)
        for value in values {
            let bits = HalfConversion.halfBits(ofExact: value)
            out += [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8)]
        }
        return out
    }

    private static func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 4)
        for value in values {
            let bits = value.bitPattern
            out += [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                    UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24)]
        }
        return out
    }
}
