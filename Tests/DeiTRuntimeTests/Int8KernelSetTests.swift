@testable import DeiTRuntime
import DeiTKernelTable
import DeiTKernels
import DeiTTestSupport
import Testing

/// Every int8 kernel set this CPU runs, through its `KernelTable`, against the portable set's: the
/// same panel bytes, the same quantised rows and the same output bits on ragged shapes and on
/// worst-case values. The portable kernel is checked against an exact integer reference in
/// DeiTKernelsTests (Int8GEMMTests); the per-set modules that suite cannot reach — the VNNI ones,
/// whose tests would fault on CPUs without VNNI — are checked here, on the CPUs that run them.
@Suite struct Int8KernelSetTests {
    /// m covers the tiles' heights (8, 6, 2, 1) and leftovers, n partial panels, k partial quads and
    /// groups, 0, and DeiT-Ti's widths.
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (2, 17, 7), (3, 15, 33), (5, 16, 13), (7, 31, 64), (8, 33, 5), (9, 48, 2), (13, 20, 95),
        (17, 64, 197), (197, 192, 192), (23, 7, 768), (6, 17, 0),
    ]

    @Test(arguments: KernelChoice.runnable)
    func givesThePortableSetsBitsOnRaggedShapes(set: KernelSet) throws {
        let table = try KernelChoice.table(for: set), portable = try KernelChoice.table(for: .portable)
        for shape in Self.shapes {
            var random = SeededGenerator(seed: UInt64(shape.m * 7919 + shape.n * 104_729 + shape.k))
            var a = random.floats(shape.m * shape.k, in: -4...4)  // [m, k]
            if shape.m > 1 && shape.k > 0 { for i in 0..<shape.k { a[shape.k + i] = 0 } }  // a zero row
            if shape.m > 2 && shape.k >= 96 {  // a group of subnormals (Int8GEMM.inverseStep)
                for i in 64..<96 { a[2 * shape.k + i] = Float(bitPattern: UInt32(i % 7) * 1000) * (i % 3 == 0 ? -1 : 1) }
            }
            var weight = random.floats(shape.n * shape.k, in: -0.5...0.5)  // [n, k]
            if shape.n > 2 && shape.k > 0 { weight[2 * shape.k] = 7 }  // an outlier in one channel
            let bias = random.floats(shape.n), initial = random.floats(shape.m * shape.n)
            compare(table, portable, shape, a: a, weight: weight, bias: bias, initial: initial)
        }
    }

    /// All quantised activations 255 or 1 (q = ±127) against weight pairs at the pair bound — ±64 and
    /// ±64, or ±127 beside ±1 — over 4097 inputs: a 16-bit step anywhere would saturate, and the int32
    /// sums reach ±127·64·4097.
    @Test(arguments: KernelChoice.runnable)
    func givesThePortableSetsBitsOnWorstCaseValues(set: KernelSet) throws {
        let table = try KernelChoice.table(for: set), portable = try KernelChoice.table(for: .portable)
        let shape = (m: 9, n: 20, k: 4097)
        var a = [Float](repeating: 0, count: shape.m * shape.k)  // [m, k]: rows of +1, −1, ±1
        for row in 0..<shape.m {
            for i in 0..<shape.k { a[row * shape.k + i] = row % 3 == 0 ? 1 : (row % 3 == 1 ? -1 : (i % 2 == 0 ? 1 : -1)) }
        }
        var weight = [Float](repeating: 0, count: shape.n * shape.k)  // [n, k]
        for j in 0..<shape.n {
            for i in 0..<shape.k {
                let pairOf127And1 = (i % 2 == 0 ? 1 : Float(1) / 127) * (i % 4 < 2 ? 1 : -1)   // 127, 1, −127, −1, …
                weight[j * shape.k + i] = [1, -1, i % 2 == 0 ? 1 : -1, pairOf127And1][j % 4]
            }
        }
        let zeros = [Float](repeating: 0, count: shape.m * shape.n)
        let got = compare(table, portable, shape, a: a, weight: weight, bias: [Float](repeating: 0, count: shape.n),
                          initial: zeros)
        // Rows and columns of one sign: ±4097 exactly (scales 1/127 and 1/64 undo 127·64 per product).
        #expect(abs(got[0] - 4097) <= 4097 * 1e-5 && abs(got[1] + 4097) <= 4097 * 1e-5, "\(set.name): \(got[0]), \(got[1])")
    }

    /// Attention on 16-bit integers (`Int16AttentionKernel`) is taken by the x86 sets alone, and each
    /// set's kernel through its table gives the portable module's attention on a ragged head (T = 70,
    /// hd = 37: partial panels, odd widths): both products are exact integer sums, so only the f32
    /// exponentials, vectorised per set, may differ.
    @Test(arguments: KernelChoice.runnable)
    func int16AttentionAgreesWithThePortableKernel(set: KernelSet) throws {
        let table = try KernelChoice.table(for: set), portable = try KernelChoice.table(for: .portable)
        #expect(table.int16Attention == [.avx2, .avxVNNI, .avx512, .avx512VNNI].contains(set), "\(set.name)")
        let tokens = 70, headDim = 37, ldQKV = 3 * headDim
        var random = SeededGenerator(seed: 70_37)
        let qkv = random.floats(tokens * ldQKV, in: -3...3)  // [tokens, q | k | v]
        func attention(_ kernels: KernelTable) -> [Float] {
            var keys = [Float](repeating: 0, count: (Int16AttentionKernel.packedKeysByteCount(tokens: tokens, headDim: headDim) + 3) / 4)
            var values = [UInt8](repeating: 0, count: Int16AttentionKernel.packedValuesByteCount(tokens: tokens, headDim: headDim))
            var scratch = [Float](repeating: 0, count: Int16AttentionKernel.scratchCount(rows: 64, tokens: tokens, headDim: headDim))
            var out = [Float](repeating: .nan, count: tokens * headDim)  // [tokens, headDim]
            qkv.withUnsafeBufferPointer { source in
                let q = source.baseAddress!
                keys.withUnsafeMutableBytes { keyBytes in
                    kernels.int16AttentionPackHead(tokens, headDim, q + headDim, q + 2 * headDim, ldQKV, 0.25,
                                                   keyBytes.baseAddress!, &values)
                    kernels.int16AttentionRows(0..<tokens, tokens, headDim, q, ldQKV, UnsafeRawPointer(keyBytes.baseAddress!),
                                               &values, &scratch, &out, headDim, nil, 0)
                }
            }
            return out
        }
        let got = attention(table), expected = attention(portable)
        let worst = zip(got, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .nan
        #expect(worst <= 1e-5, "\(set.name): attention differs from the portable kernel's by \(worst)")
    }

    /// Packs, quantises and multiplies with `table` and with `portable`; expects the same bytes and,
    /// for the store and accumulate epilogues, the same bits (GELU within 1e-5 relative, as the kernel tests: its erf is
    /// vectorised per set). Returns `table`'s stored C [m, n].
    @discardableResult
    private func compare(_ table: KernelTable, _ portable: KernelTable, _ shape: (m: Int, n: Int, k: Int),
                         a: [Float], weight: [Float], bias: [Float], initial: [Float]) -> [Float] {
        let (m, n, k) = shape
        let name = "\(table.set.name) m \(m) n \(n) k \(k)"
        let packedBytes = Int8GEMM.packedByteCount(n: n, k: k)
        var packed = [UInt8](repeating: 0, count: packedBytes), reference = packed  // panels
        table.int8Pack(weight, bias, n, k, &packed)
        portable.int8Pack(weight, bias, n, k, &reference)
        #expect(packed == reference, "\(name): panels")
        let ldq = Int8GEMM.quantizedRowLength(k: k), groups = max(Int8GEMM.groupCount(k: k), 1)
        var rows = [UInt8](repeating: 7, count: m * ldq), referenceRows = rows  // [m, ldq]
        var scales = [Float](repeating: .nan, count: m * groups), referenceScales = scales  // [m, groups]
        table.int8QuantizeRows(m, k, a, k, &rows, ldq, &scales, groups)
        portable.int8QuantizeRows(m, k, a, k, &referenceRows, ldq, &referenceScales, groups)
        #expect(rows == referenceRows, "\(name): quantised rows")
        #expect(scales.elementsEqual(referenceScales) { $0.bitPattern == $1.bitPattern }, "\(name): row scales")
        var stored = [Float]()
        for epilogue in [GEMMEpilogue.store, .accumulate, .gelu] {
            var c = epilogue == .accumulate ? initial : [Float](repeating: .nan, count: m * n)  // [m, n]
            var expected = c
            table.int8GEMM(m, n, k, referenceRows, ldq, referenceScales, groups, reference, &c, n, epilogue,
                           0..<Int8GEMM.panelCount(n: n))
            portable.int8GEMM(m, n, k, referenceRows, ldq, referenceScales, groups, reference, &expected, n, epilogue,
                              0..<Int8GEMM.panelCount(n: n))
            if epilogue == .gelu {
                let worst = zip(c, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
                #expect(worst <= 1e-5, "\(name): gelu differs by \(worst)")
            } else {
                let same = c.elementsEqual(expected) { $0.bitPattern == $1.bitPattern }
                #expect(same, "\(name): \(epilogue) differs from the portable kernel's bits")
            }
            if epilogue == .store { stored = c }
        }
        return stored
    }
}
