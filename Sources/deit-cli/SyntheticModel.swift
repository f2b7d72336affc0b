import DeiTRuntime

/// Seeded random DeiT checkpoints built in memory (safetensors with timm's key names), so `bench`
/// runs on a fresh clone without any download.
enum SyntheticModel {
    struct Architecture {
        let name: String, embedDim: Int, depth: Int, distilled: Bool
    }

    static let architectures = [
        Architecture(name: "deit_tiny", embedDim: 192, depth: 12, distilled: false),
        Architecture(name: "deit_tiny_distilled", embedDim: 192, depth: 12, distilled: true),
        Architecture(name: "deit_small", embedDim: 384, depth: 12, distilled: false),
    ]

    static func architecture(named name: String) throws -> Architecture {
        guard let found = architectures.first(where: { $0.name == name }) else {
            throw UsageError(message: "--synthetic must be one of \(architectures.map(\.name).joined(separator: ", ")), not '\(name)'")
        }
        return found
    }

    /// The safetensors bytes of `architecture` at 224 pixels, patch 16, 1000 classes: weights uniform
    /// in ±0.02 from a fixed seed, LayerNorm weights 1 and biases 0 (as timm initialises them).
    static func safetensors(_ architecture: Architecture, seed: UInt64 = 0x5EED_DE17) -> [UInt8] {
        let d = architecture.embedDim
        let config = ModelConfig(imageSize: 224, patchSize: 16, embedDim: d, depth: architecture.depth,
                                 numHeads: d / 64, mlpHiddenDim: 4 * d, numClasses: 1000,
                                 distilled: architecture.distilled)
        // The checkpoint's tensors in the schema's order (the seeded values follow it).
        let tensors = CheckpointSchema.deit.tensors(of: config)

        var header = "{"
        var offset = 0
        for (index, (name, shape, _)) in tensors.enumerated() {
            let bytes = shape.reduce(1, *) * 4
            header += "\(index == 0 ? "" : ",")\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        header += "}"
        while (header.utf8.count + 8) % 8 != 0 { header += " " }

        var file = [UInt8]()
        file.reserveCapacity(8 + header.utf8.count + offset)
        let headerLength = UInt64(header.utf8.count)
        for shift in stride(from: 0, to: 64, by: 8) { file.append(UInt8(truncatingIfNeeded: headerLength >> UInt64(shift))) }
        file += Array(header.utf8)
        var state = seed
        for (_, shape, initialValue) in tensors {
            for _ in 0..<shape.reduce(1, *) {
                let value: Float
                switch initialValue {
                case .zeros: value = 0
                case .ones: value = 1
                case .random:
                    // xorshift64*: a fixed, fast sequence; top 24 bits to a float in ±0.02.
                    state ^= state >> 12; state ^= state << 25; state ^= state >> 27
                    let bits = (state &* 0x2545_F491_4F6C_DD1D) >> 40
                    value = (Float(bits) / Float(1 << 24) * 2 - 1) * 0.02
                }
                let pattern = value.bitPattern
                file += [UInt8(truncatingIfNeeded: pattern), UInt8(truncatingIfNeeded: pattern >> 8),
                         UInt8(truncatingIfNeeded: pattern >> 16), UInt8(truncatingIfNeeded: pattern >> 24)]
            }
        }
        return file
    }

}
