/// A CaiT's own weights (CaiTSchema.swift), converted to Float32 and packed once at load in one
/// 64-byte-aligned allocation of their own, beside the ViT-shaped part's `PackedWeights`.
final class CaiTWeights {
    /// The talking-heads mixes of one patch block: Linear(h ← h) each, applied across the heads.
    struct Mix {
        var logitsWeight: UnsafePointer<Float>   // (h, h)  proj_l: mixes scale·Q·Kᵀ before the softmax
        var logitsBias: UnsafePointer<Float>     // (h)
        var weightsWeight: UnsafePointer<Float>  // (h, h)  proj_w: mixes the softmax weights after it
        var weightsBias: UnsafePointer<Float>    // (h)
    }

    /// One class-attention block (`blocks_token_only.j`), LayerScale γ folded into proj and fc2.
    struct ClassBlock {
        var norm1Gamma: UnsafePointer<Float>   // (D)
        var norm1Beta: UnsafePointer<Float>    // (D)
        var q: LinearWeights                   // Linear (D ← D), on the class token only
        var k: LinearWeights                   // Linear (D ← D), on [class, patches]
        var v: LinearWeights                   // Linear (D ← D), on [class, patches]
        var proj: LinearWeights                // Linear (D ← D), γ₁ folded in
        var norm2Gamma: UnsafePointer<Float>   // (D)
        var norm2Beta: UnsafePointer<Float>    // (D)
        var fc1: LinearWeights                 // Linear (Hc ← D)
        var fc2: LinearWeights                 // Linear (D ← Hc), γ₂ folded in
    }

    let storage: AlignedBuffer
    let mixes: [Mix]                 // depth entries
    let classBlocks: [ClassBlock]    // classAttentionDepth entries

    var byteCount: Int { storage.byteCount }

    /// `original`'s allocation and mixes with other class blocks: the same norms, and Linear layers
    /// re-packed elsewhere for another kernel set (`PackedWeights.repacked(forPanelWidth:)`, which owns
    /// the allocation they point into).
    init(sharing original: CaiTWeights, classBlocks: [ClassBlock]) {
        storage = original.storage
        mixes = original.mixes
        self.classBlocks = classBlocks
    }

    init(checkpoint: Checkpoint, table: CaiTTable, format: LinearFormat, source: TensorSource) throws(DeiTError) {
        let config = checkpoint.config
        let tensors = checkpoint.file.tensors
        let d = config.embedDim, heads = config.numHeads
        let hidden = config.cait?.classAttentionHiddenDim ?? 0

        // Pass 1: regions. Mixes are copied as they are; the class blocks' Linear layers in `format`.
        var layout = RegionLayout()
        var mixRegions: [[Int]] = []
        for _ in table.mixes {
            var row: [Int] = []
            for slot in MixTensor.allCases { row.append(try layout.reserve(slot.isWeight ? heads * heads : heads)) }
            mixRegions.append(row)
        }
        var classRegions: [[Int]] = []
        for _ in table.classBlocks {
            var row = [Int](repeating: 0, count: ClassBlockTensor.allCases.count)
            for slot in [ClassBlockTensor.norm1Weight, .norm1Bias, .norm2Weight, .norm2Bias] {
                row[slot.rawValue] = try layout.reserve(d)
            }
            for slot in [ClassBlockTensor.qWeight, .kWeight, .vWeight, .projWeight] {
                row[slot.rawValue] = try layout.reserveLinear(n: d, k: d, format: format)
            }
            row[ClassBlockTensor.fc1Weight.rawValue] = try layout.reserveLinear(n: hidden, k: d, format: format)
            row[ClassBlockTensor.fc2Weight.rawValue] = try layout.reserveLinear(n: d, k: hidden, format: format)
            classRegions.append(row)
        }
        // Load scratch: the largest Linear weight, its bias and a γ.
        let scratchFloats = try checkedSum(try checkedProduct(max(d, hidden), d, "load scratch"),
                                           try checkedProduct(2, max(d, hidden), "load scratch"), "load scratch")

        // Pass 2: allocate once and fill.
        storage = try AlignedBuffer(byteCount: try checkedProduct(max(layout.floatCount, 16), 4, "CaiT weights"),
                                    purpose: "CaiT weights")
        let base = storage.floats
        for (block, row) in table.mixes.enumerated() {
            for slot in MixTensor.allCases {
                try source.readFloats(tensors[row[slot.rawValue]], into: base + mixRegions[block][slot.rawValue])
            }
        }
        var filler = try WeightFiller(source: source, scratchFloats: scratchFloats)
        for (block, row) in table.classBlocks.enumerated() {
            let regions = classRegions[block]
            func tensor(_ slot: ClassBlockTensor) -> TensorInfo? { row[slot.rawValue].map { tensors[$0] } }
            func required(_ slot: ClassBlockTensor) throws(DeiTError) -> TensorInfo {
                guard let info = tensor(slot) else {
                    throw DeiTError(.invalidArgument, "CaiT weights: tensor 'blocks_token_only.\(block).\(slot.name)' has no slot")
                }
                return info
            }
            for slot in [ClassBlockTensor.norm1Weight, .norm1Bias, .norm2Weight, .norm2Bias] {
                try source.readFloats(try required(slot), into: base + regions[slot.rawValue])
            }
            // (weight, bias, LayerScale γ folded in, n, k); an absent q/k/v bias (qkv_bias=False) is zeros.
            let linears: [(ClassBlockTensor, ClassBlockTensor, ClassBlockTensor?, Int, Int)] = [
                (.qWeight, .qBias, nil, d, d), (.kWeight, .kBias, nil, d, d), (.vWeight, .vBias, nil, d, d),
                (.projWeight, .projBias, .gamma1, d, d), (.fc1Weight, .fc1Bias, nil, hidden, d),
                (.fc2Weight, .fc2Bias, .gamma2, d, hidden),
            ]
            for (weight, bias, scale, n, k) in linears {
                try filler.packLinear(weight: try required(weight), bias: tensor(bias),
                                      scale: try scale.map { slot throws(DeiTError) in try required(slot) },
                                      n: n, k: k, format: format, to: base + regions[weight.rawValue])
            }
        }
        filler.release()

        // The named views the forward pass reads.
        let floats = UnsafePointer(base)
        mixes = mixRegions.map { row in
            Mix(logitsWeight: floats + row[MixTensor.projLWeight.rawValue], logitsBias: floats + row[MixTensor.projLBias.rawValue],
                weightsWeight: floats + row[MixTensor.projWWeight.rawValue], weightsBias: floats + row[MixTensor.projWBias.rawValue])
        }
        func linear(_ region: Int, n: Int, k: Int) -> LinearWeights {
            LinearWeights(format: format, data: UnsafeRawPointer(floats + region), n: n, k: k)
        }
        classBlocks = classRegions.map { row in
            ClassBlock(norm1Gamma: floats + row[ClassBlockTensor.norm1Weight.rawValue],
                       norm1Beta: floats + row[ClassBlockTensor.norm1Bias.rawValue],
                       q: linear(row[ClassBlockTensor.qWeight.rawValue], n: d, k: d),
                       k: linear(row[ClassBlockTensor.kWeight.rawValue], n: d, k: d),
                       v: linear(row[ClassBlockTensor.vWeight.rawValue], n: d, k: d),
                       proj: linear(row[ClassBlockTensor.projWeight.rawValue], n: d, k: d),
                       norm2Gamma: floats + row[ClassBlockTensor.norm2Weight.rawValue],
                       norm2Beta: floats + row[ClassBlockTensor.norm2Bias.rawValue],
                       fc1: linear(row[ClassBlockTensor.fc1Weight.rawValue], n: hidden, k: d),
                       fc2: linear(row[ClassBlockTensor.fc2Weight.rawValue], n: d, k: hidden))
        }
    }
}
