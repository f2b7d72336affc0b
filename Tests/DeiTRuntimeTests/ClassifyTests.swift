import DeiTRuntime
import Foundation
import Testing

/// Session.classify: the same logits as run() on the preprocessed input, top-k order and softmax.
@Suite struct ClassifyTests {
    static let model = TestData.conformance.appendingPathComponent("deit_tiny_d2/model.safetensors")

    @Test func classifyEqualsRunOnThePreprocessedInput() throws {
        let model = try TestData.model(ClassifyTests.model)
        let session = try Session(model: model)
        let image = try ImageTestData.decode(ImageTestData.fixtures.appendingPathComponent("rgb_97x61.png"))
        let input = try ImageTestData.transform(image.view, imageSize: 224, cropPct: nil)
        try session.prepareInput(image.view)
        let prepared = Array(session.preparedInput) == input   // (not inside #expect: its diff of 150k floats is slow)
        #expect(prepared)

        var top = [Prediction](repeating: Prediction(classIndex: -1, logit: 0, probability: 0), count: 5)
        try top.withUnsafeMutableBufferPointer { buffer throws(DeiTError) in try session.classify(image.view, top: buffer) }
        let classifyLogits = Array(session.lastLogits)   // valid until the next forward pass
        var logits = [Float](repeating: 0, count: model.config.outputDim)
        try input.withUnsafeBufferPointer { i throws(DeiTError) in
            try logits.withUnsafeMutableBufferPointer { l throws(DeiTError) in try session.run(input: i, logits: l) }
        }
        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        #expect(top.map(\.classIndex) == Array(order.prefix(5)))
        let sameLogits = classifyLogits == logits
        #expect(sameLogits)
        #expect(top.map(\.logit) == order.prefix(5).map { logits[$0] })
        let maximum = logits.max()!
        let sum = logits.reduce(0.0) { $0 + exp(Double($1 - maximum)) }
        for prediction in top {
            #expect(abs(Double(prediction.probability) - exp(Double(prediction.logit - maximum)) / sum) < 1e-6)
        }
        #expect(zip(top, top.dropFirst()).allSatisfy { $0.probability >= $1.probability })
    }

    @Test func topKOrdersTiesByIndexAndRejectsBadK() throws {
        let logits: [Float] = [1, 3, 3, .nan, -2, 3]
        var top = [Prediction](repeating: Prediction(classIndex: -1, logit: 0, probability: 0), count: 6)
        try logits.withUnsafeBufferPointer { l throws(DeiTError) in
            try top.withUnsafeMutableBufferPointer { t throws(DeiTError) in try TopK.select(logits: l, into: t) }
        }
        #expect(top.map(\.classIndex) == [1, 2, 5, 0, 4, 3])
        #expect(abs(top[0].probability - top[2].probability) == 0)
        for k in [0, 7] {
            var few = [Prediction](repeating: Prediction(classIndex: -1, logit: 0, probability: 0), count: k)
            #expect(throws: DeiTError.self) {
                try logits.withUnsafeBufferPointer { l throws(DeiTError) in
                    try few.withUnsafeMutableBufferPointer { t throws(DeiTError) in try TopK.select(logits: l, into: t) }
                }
            }
        }
    }

    @Test func imageNetLabelsAreTimmsOrder() throws {
        #expect(ImageNetLabels.count == 1000)
        #expect(String(cString: ImageNetLabels.name(0)!) == "tench, Tinca tinca")
        #expect(String(cString: ImageNetLabels.synset(0)!) == "n01440764")
        #expect(String(cString: ImageNetLabels.name(999)!) == "toilet tissue, toilet paper, bathroom tissue")
        #expect(ImageNetLabels.name(-1) == nil && ImageNetLabels.name(1000) == nil)
        // Against ../shared's class list, when present (generated independently from the same timm data).
        guard let shared = TestData.shared else { print(TestData.sharedMissing); return }
        let lines = try String(contentsOf: shared.appendingPathComponent("data/imagenet-classes.tsv"), encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count == 1000)
        for (index, line) in lines.enumerated() {
            let fields = line.split(separator: "\t").map(String.init)
            #expect(fields[1] == String(cString: ImageNetLabels.synset(index)!))
            #expect(fields[2] == String(cString: ImageNetLabels.name(index)!))
        }
    }
}
