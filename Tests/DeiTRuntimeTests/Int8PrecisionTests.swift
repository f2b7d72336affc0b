import DeiTRuntime
import Foundation
import Testing

/// `Precision.int8` end to end on the committed fixtures (random-init timm models): the logits follow
/// the f32 ones closely (cosine ≥ 0.995: a wrong scale, layout or row would give noise), do not depend
/// on the thread count, and the weights shrink.
@Suite struct Int8PrecisionTests {
    static func model(_ url: URL, _ precision: Precision) throws -> Model {
        let data = try Data(contentsOf: url)
        return try data.withUnsafeBytes { raw throws(DeiTError) in try Model(bytes: raw, precision: precision) }
    }

    /// Every committed fixture with a head: its model file and its first input.
    static func classifierFixtures() throws -> [(fixture: FixtureModel, url: URL, input: [Float])] {
        let fixtures = try FixtureModel.all().filter { $0.config.numClasses > 0 }
        #expect(!fixtures.isEmpty)
        return try fixtures.map { fixture in
            (fixture, fixture.directory.appendingPathComponent("model.safetensors"),
             try TestData.floats(fixture.directory.appendingPathComponent("\(fixture.inputs[0]).in.f32")))
        }
    }

    @Test func int8LogitsFollowF32AndDoNotDependOnThreads() throws {
        for (fixture, url, input) in try Int8PrecisionTests.classifierFixtures() {
            let f32 = try Int8PrecisionTests.model(url, .f32)
            let int8 = try Int8PrecisionTests.model(url, .int8)
            #expect(f32.precision == .f32 && int8.precision == .int8)
            #expect(int8.weightBytes < f32.weightBytes, "\(fixture.name)")
            let reference = try ThreadingTests.logits(try Session(model: f32, threads: 1), input)
            let quantized = try ThreadingTests.logits(try Session(model: int8, threads: 1), input)
            var dot = 0.0, referenceNorm = 0.0, quantizedNorm = 0.0
            for (r, q) in zip(reference, quantized) {
                dot += Double(r) * Double(q); referenceNorm += Double(r) * Double(r); quantizedNorm += Double(q) * Double(q)
            }
            let cosine = dot / (referenceNorm.squareRoot() * quantizedNorm.squareRoot())
            #expect(cosine >= 0.995, "\(fixture.name): cosine \(cosine)")
            for threads in [2, 3] {
                let logits = try ThreadingTests.logits(try Session(model: int8, threads: threads), input)
                #expect(logits.elementsEqual(quantized) { $0.bitPattern == $1.bitPattern }, "\(fixture.name) threads \(threads)")
            }
        }
    }

    @Test func precisionNamesRoundTrip() {
        #expect(Precision(name: "int8") == .int8 && Precision(name: "f32") == .f32 && Precision(name: "fp16") == nil)
        #expect(Precision.int8.name == "int8" && Precision.f32.name == "f32")
    }
}
