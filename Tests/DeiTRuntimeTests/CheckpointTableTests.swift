@testable import DeiTRuntime
import Testing

// The checkpoint's slot table (CheckpointSchema / CheckpointTable): the table Checkpoint keeps,
// the Linear pairs, and optional slots, which the DeiT/ViT table does not use yet (LayerScale,
// fc_norm, reg_token will) but which the classifier already handles.

private func table(_ tensors: [TestTensor], schema: CheckpointSchema) throws -> (CheckpointTable, [TensorInfo]) {
    let bytes = TestSafetensors.file(tensors, metadata: [("num_heads", "2")])
    return try bytes.withUnsafeBytes { raw in
        let file = try SafetensorsFile.parse(raw, limits: .default)
        return (try CheckpointTable(classifying: file.tensors, schema: schema, limits: .default), file.tensors)
    }
}

/// The DeiT/ViT table plus an optional top-level `extra_norm.weight` and an optional `extra.gamma` per block.
private let withOptionalSlots: CheckpointSchema = {
    var schema = CheckpointSchema.deit
    schema.top.append(CheckpointSlot(name: "extra_norm.weight", shape: .vector(.embed), kind: .copy,
                                     presence: .optional, initialValue: .ones))
    schema.block.append(CheckpointSlot(name: "extra.gamma", shape: .vector(.embed), kind: .copy,
                                       presence: .optional, initialValue: .ones))
    return schema
}()

@Suite struct CheckpointTableTests {
    @Test func checkpointKeepsItsTableAndEverySlotPointsAtItsTensor() throws {
        for distilled in [false, true] {
            let bytes = TestSafetensors.file(TestSafetensors.deit(depth: 3, distilled: distilled),
                                             metadata: [("num_heads", "2")])
            try bytes.withUnsafeBytes { raw in
                let checkpoint = try Checkpoint(bytes: raw)
                let tensors = checkpoint.file.tensors
                var seen = 0
                try checkpoint.table.forEachPresent(in: .deit) { position, slot, index in
                    let expected = position.block.map { "blocks.\($0).\(slot.name)" } ?? "\(slot.name)"
                    #expect(tensors[index].name == expected)
                    #expect(tensors[index].shape == slot.shape.dimensions(checkpoint.config))
                    seen += 1
                }
                #expect(seen == tensors.count, "every tensor has exactly one slot")
                #expect(checkpoint.table.blocks.count == 3)
                #expect((checkpoint.table.top[TopTensor.distToken.rawValue] != nil) == distilled)
                #expect((checkpoint.table.top[TopTensor.headDistWeight.rawValue] != nil) == distilled)
            }
        }
    }

    @Test func linearWeightsNameTheirBiasInTheSameList() {
        for list in [CheckpointSchema.deit.top, CheckpointSchema.deit.block] {
            var biases = 0
            for slot in list {
                switch slot.kind {
                case .linearWeight(let bias):
                    #expect(list[bias].kind == .linearBias)
                    // A bias is there with its weight, or (qkv_bias=False; the patch embedding with
                    // pre_norm) may be left out.
                    #expect(list[bias].presence == slot.presence || list[bias].presence == .configured(.qkvBias)
                            || list[bias].presence == .configured(.patchEmbedBias))
                    #expect("\(list[bias].name)".hasSuffix(".bias") && "\(slot.name)".hasSuffix(".weight"))
                    biases += 1
                case .linearBias: biases -= 1
                case .layerScale(let weight):
                    if case .linearWeight = list[weight].kind {} else { Issue.record("\(slot.name) scales a non-Linear slot") }
                case .copy: break
                }
            }
            #expect(biases == 0, "every bias belongs to one weight")
        }
    }

    @Test func schemaListsTheTensorsOfAConfig() {
        let config = ModelConfig(imageSize: 4, patchSize: 2, embedDim: 8, depth: 2, numHeads: 2, mlpHiddenDim: 16,
                                 numClasses: 3, distilled: true)
        let tensors = CheckpointSchema.deit.tensors(of: config)
        #expect(tensors.count == 11 + 2 * 12)
        #expect(tensors.reduce(0) { $0 + $1.shape.reduce(1, *) } == config.parameterCount)
        #expect(tensors.first?.name == "cls_token")
        #expect(tensors.first { $0.name == "pos_embed" }?.shape == [1, 2 + 4, 8])
        #expect(tensors.last?.name == "blocks.1.mlp.fc2.bias")
        #expect(tensors.first { $0.name == "blocks.0.norm1.weight" }?.initialValue == .ones)
        #expect(tensors.first { $0.name == "norm.bias" }?.initialValue == .zeros)
    }

    @Test func optionalSlotsMayBeAbsentOrPresent() throws {
        let plain = TestSafetensors.deit(depth: 2)
        let (without, _) = try table(plain, schema: withOptionalSlots)
        #expect(without.top.last == .some(nil))
        #expect(without.blocks.allSatisfy { $0.last == .some(nil) })

        let extra = [TestTensor.f32("extra_norm.weight", [8]), TestTensor.f32("blocks.1.extra.gamma", [8])]
        let (with, tensors) = try table(plain + extra, schema: withOptionalSlots)
        #expect(with.top.last.flatMap { $0 }.map { tensors[$0].name } == "extra_norm.weight")
        #expect(with.blocks[0].last == .some(nil))
        #expect(with.blocks[1].last.flatMap { $0 }.map { tensors[$0].name } == "blocks.1.extra.gamma")

        // The same tensors are outside the DeiT/ViT table, and a required slot stays required.
        expectError(checkpointError(TestSafetensors.file(plain + extra, metadata: [("num_heads", "2")])),
                    .format, "unexpected tensor 'blocks.1.extra.gamma'")
        let missing = plain.filter { $0.name != "blocks.1.norm2.bias" }
        #expect(throws: DeiTError.self) { _ = try table(missing + extra, schema: withOptionalSlots) }
    }
}
