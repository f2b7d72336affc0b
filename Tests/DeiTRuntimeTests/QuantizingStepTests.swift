@testable import DeiTRuntime
import DeiTKernelTable
import DeiTKernels
import DeiTTestSupport
import Foundation
import Testing

/// The steps that quantise an int8 GEMM's input as they write it (the forward pass's
/// `fusesQuantization`): an int8 GEMM step with `quantizedOutput` (its floats only in the workers'
/// strips, C untouched) and a LayerNorm step with `quantized` leave exactly the bytes and scales
/// `quantizeRows` gives for the layer's output — on ragged widths (odd panel counts, a partial last
/// group) and for every task count — and a whole int8 run gives the bits of the profiled run, which
/// quantises in steps of its own.
@Suite struct QuantizingStepTests {
    /// n: one partial panel, an odd panel count with a partial last group, whole groups, a group
    /// and a half; k: partial quads and groups.
    static let shapes: [(m: Int, n: Int, k: Int)] = [(3, 5, 3), (7, 40, 37), (13, 64, 64), (197, 99, 96), (2, 48, 33)]

    @Test(arguments: KernelChoice.runnable)
    func int8GEMMQuantizesItsOutputAsQuantizeRowsWould(set: KernelSet) throws {
        let table = try KernelChoice.table(for: set)
        for shape in Self.shapes {
            let (m, n, k) = shape
            var random = SeededGenerator(seed: UInt64(m * 31 + n * 1009 + k))
            let a = random.floats(m * k, in: -3...3), weight = random.floats(n * k, in: -0.5...0.5)
            let bias = random.floats(n)
            let ldq = Int8GEMM.quantizedRowLength(k: k), groups = Int8GEMM.groupCount(k: k)
            var rows = [UInt8](repeating: 0, count: m * ldq), scales = [Float](repeating: 0, count: m * groups)
            table.int8QuantizeRows(m, k, a, k, &rows, ldq, &scales, groups)
            var packed = [UInt8](repeating: 0, count: Int8GEMM.packedByteCount(n: n, k: k))
            table.int8Pack(weight, bias, n, k, &packed)
            let panelCount = Int8GEMM.panelCount(n: n), pairCount = (panelCount + 1) / 2
            let ldOut = Int8GEMM.quantizedRowLength(k: n), outGroups = Int8GEMM.groupCount(k: n)
            for epilogue in [GEMMEpilogue.store, .gelu] {
                // The reference: the whole GEMM, then its C quantised.
                var expected = [Float](repeating: .nan, count: m * n)  // [m, n]
                table.int8GEMM(m, n, k, rows, ldq, scales, groups, packed, &expected, n, epilogue, 0..<panelCount)
                var expectedBytes = [UInt8](repeating: 0x55, count: m * ldOut)  // [m, ldOut]
                var expectedScales = [Float](repeating: .nan, count: m * outGroups)  // [m, outGroups]
                table.int8QuantizeRows(m, n, expected, n, &expectedBytes, ldOut, &expectedScales, outGroups)
                for chunks in Set([1, 2, 3, pairCount]) where chunks <= pairCount {
                    var c = [Float](repeating: .nan, count: m * n)  // must stay untouched
                    let workers = 3  // tasks spread over three workers' strips
                    var strips = [Float](repeating: .nan, count: workers * ParallelStep.gemmRowBlock * Int8GEMM.groupSize)
                    var bytes = [UInt8](repeating: 0x55, count: m * ldOut)
                    var outScales = [Float](repeating: .nan, count: m * outGroups)
                    rows.withUnsafeBufferPointer { rows in
                        scales.withUnsafeBufferPointer { scales in
                            packed.withUnsafeBytes { packed in
                                c.withUnsafeMutableBufferPointer { c in
                                    bytes.withUnsafeMutableBufferPointer { bytes in
                                        outScales.withUnsafeMutableBufferPointer { outScales in
                                          strips.withUnsafeMutableBufferPointer { strips in
                                            let step = Int8LinearStep(
                                                m: m, n: n, k: k, a: rows.baseAddress!, lda: ldq, aScales: scales.baseAddress!,
                                                ldScales: groups, packed: packed.baseAddress!, c: c.baseAddress!, ldc: n,
                                                epilogue: epilogue, panelCount: panelCount, chunks: chunks,
                                                quantizedOutput: QuantizedOutput(
                                                    rows: QuantizedRows(bytes: bytes.baseAddress!, ld: ldOut,
                                                                        scales: outScales.baseAddress!, ldScales: outGroups),
                                                    strips: strips.baseAddress!))
                                            for task in 0..<chunks * ParallelStep.rowBlocks(m) {
                                                ParallelStep.int8Linear(step).run(task: task, worker: task % workers, kernels: table)
                                            }
                                          }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    let name = "\(set.name) \(shape) \(epilogue) chunks \(chunks)"
                    // Booleans, not the arrays: a failure names the case without printing thousands of values.
                    let sameC = c.allSatisfy { $0.isNaN }
                    let sameBytes = bytes == expectedBytes
                    let sameScales = outScales.elementsEqual(expectedScales) { $0.bitPattern == $1.bitPattern }
                    #expect(sameC, "\(name): C was written")
                    #expect(sameBytes, "\(name): quantised bytes")
                    #expect(sameScales, "\(name): scales")
                }
            }
        }
    }

    @Test(arguments: KernelChoice.runnable)
    func layerNormQuantizesItsOutputAsQuantizeRowsWould(set: KernelSet) throws {
        let table = try KernelChoice.table(for: set)
        for (rows, width) in [(1, 3), (5, 37), (197, 192)] {
            var random = SeededGenerator(seed: UInt64(rows * 7 + width))
            let x = random.floats(rows * width, in: -4...4)
            let gamma = random.floats(width), beta = random.floats(width, in: -0.1...0.1)
            let ldq = Int8GEMM.quantizedRowLength(k: width), groups = Int8GEMM.groupCount(k: width)
            var expected = [Float](repeating: .nan, count: rows * width)  // [rows, width]
            table.layerNorm(rows, width, x, width, gamma, beta, 1e-6, &expected, width)
            var expectedBytes = [UInt8](repeating: 0x55, count: rows * ldq), expectedScales = [Float](repeating: .nan, count: rows * groups)
            table.int8QuantizeRows(rows, width, expected, width, &expectedBytes, ldq, &expectedScales, groups)
            for chunks in Set([1, 2, min(3, rows)]) {
                var out = [Float](repeating: .nan, count: rows * width)
                var bytes = [UInt8](repeating: 0x55, count: rows * ldq), scales = [Float](repeating: .nan, count: rows * groups)
                x.withUnsafeBufferPointer { x in
                    gamma.withUnsafeBufferPointer { gamma in
                        beta.withUnsafeBufferPointer { beta in
                            out.withUnsafeMutableBufferPointer { out in
                                bytes.withUnsafeMutableBufferPointer { bytes in
                                    scales.withUnsafeMutableBufferPointer { scales in
                                        let step = LayerNormStep(
                                            x: x.baseAddress!, gamma: gamma.baseAddress!, beta: beta.baseAddress!,
                                            out: out.baseAddress!, rows: rows, width: width, chunks: chunks, epsilon: 1e-6,
                                            quantized: QuantizedRows(bytes: bytes.baseAddress!, ld: ldq,
                                                                     scales: scales.baseAddress!, ldScales: groups))
                                        for task in 0..<chunks { ParallelStep.layerNorm(step).run(task: task, worker: 0, kernels: table) }
                                    }
                                }
                            }
                        }
                    }
                }
                let name = "\(set.name) rows \(rows) width \(width) chunks \(chunks)"
                let sameOut = out.elementsEqual(expected) { $0.bitPattern == $1.bitPattern }
                let sameBytes = bytes == expectedBytes
                let sameScales = scales.elementsEqual(expectedScales) { $0.bitPattern == $1.bitPattern }
                #expect(sameOut, "\(name): LayerNorm")
                #expect(sameBytes, "\(name): quantised bytes")
                #expect(sameScales, "\(name): scales")
            }
        }
    }

    /// Every fixture with a head, at int8, at 1 and 2 threads: `run` (LN1, LN2 and fc1 quantising
    /// the next GEMM's input; QuickGELU models: the LayerNorms only) gives `runProfiled`'s logits.
    @Test func int8RunGivesTheProfiledRunsBits() throws {
        for (fixture, url, input) in try Int8PrecisionTests.classifierFixtures() {
            let model = try Int8PrecisionTests.model(url, .int8)
            for threads in [1, 2] {
                let session = try Session(model: model, threads: threads)
                let fused = try ThreadingTests.logits(session, input)
                var profile = ForwardProfile()
                var profiled = [Float](repeating: .nan, count: model.config.outputDim)
                try input.withUnsafeBufferPointer { input throws(DeiTError) in
                    try profiled.withUnsafeMutableBufferPointer { logits throws(DeiTError) in
                        try session.runProfiled(input: input, logits: logits, profile: &profile)
                    }
                }
                let same = fused.elementsEqual(profiled) { $0.bitPattern == $1.bitPattern }
                #expect(same, "\(fixture.name) threads \(threads)")
            }
        }
    }
}
