@testable import DeiTKernels
import DeiTKernelTable
import Testing
import DeiTTestSupport

/// The int8 GEMM (`Int8GEMM`): every kernel of the int8 table against an exact integer reference on
/// ragged shapes, the quantisers against the scalar one, and the worst-case sums.
@Suite("Int8 GEMM")
struct Int8GEMMTests {
    /// Ragged m (every tile height: 6, 2 and 1 on AVX2, 4, 2 and 1 neondot, 2 and 1 portable and neon_mlal, and leftovers), n (partial panels), odd and even k.
    static let shapes: [GEMMShape] = [
        GEMMShape(m: 1, n: 1, k: 1), GEMMShape(m: 3, n: 15, k: 7), GEMMShape(m: 4, n: 20, k: 9),
        GEMMShape(m: 5, n: 16, k: 13), GEMMShape(m: 7, n: 31, k: 2), GEMMShape(m: 11, n: 33, k: 5),
        GEMMShape(m: 13, n: 48, k: 64), GEMMShape(m: 37, n: 64, k: 197), GEMMShape(m: 197, n: 192, k: 192),
        GEMMShape(m: 198, n: 7, k: 0), GEMMShape(m: 6, n: 17, k: 768),
    ]

    @Test("qd8_f32_qc7w_gemm_2x16c4__portable matches the integer reference", arguments: shapes)
    func portable(shape: GEMMShape) { check(QD8GEMM2x16c4Portable.self, shape) }

    #if DEIT_AVX2 || DEIT_AVX512
    @Test("qd8_f32_qc7w_gemm_6x16c4__avx2 matches the integer reference", arguments: shapes)
    func avx2(shape: GEMMShape) { check(QD8GEMM6x16c4AVX2.self, shape) }

    @Test("the AVX2 quantiser gives the scalar quantiser's bits", arguments: [1, 2, 7, 15, 16, 17, 31, 32, 33, 64, 192, 197, 768])
    func avx2Quantizer(k: Int) {
        var random = SeededGenerator(seed: UInt64(k))
        var x = random.floats(k, in: -3...3)
        x[0] = 3.5  // the first group's maximum, so that the ties below land on .5 of a step
        if k > 4 { x[1] = 3.5 / 127 * 2.5; x[2] = -3.5 / 127 * 0.5; x[3] = 0 }
        if k > 64 { for i in 32..<64 { x[i] = 0 } }  // a zero group
        if k > 96 {  // a group of subnormals: 127/max overflows Float (see Int8GEMM.inverseStep)
            for i in 64..<96 { x[i] = Float(bitPattern: UInt32(i % 5) * 3000) * (i % 2 == 0 ? 1 : -1) }
        }
        var scalar = [UInt8](repeating: 99, count: k + 4), vector = scalar
        let groups = Int8GEMM.groupCount(k: k)
        var scalarScales = [Float](repeating: .nan, count: groups), vectorScales = scalarScales
        Int8GEMM.quantizeRowScalar(k: k, x: x, out: &scalar, scales: &scalarScales)
        quantizeRowAVX2(k: k, x: x, out: &vector, scales: &vectorScales)
        #expect(scalarScales == vectorScales)
        #expect(scalar[0..<Int8GEMM.quantizedRowLength(k: k)] == vector[0..<Int8GEMM.quantizedRowLength(k: k)])
        #expect(scalar[0..<k].allSatisfy { $0 >= 1 })  // q + 128 with q in [−127, 127]
        #expect(scalar[k..<Int8GEMM.quantizedRowLength(k: k)].allSatisfy { $0 == 128 })  // padding: zeros
        if k > 4 { #expect(scalar[1] == 128 + 2 && scalar[2] == 128 && scalar[0] == 255) }
    }
    #endif

    #if arch(arm64)
    // (Run on an aarch64 host; the cross build checks the same kernels under qemu-aarch64 with
    // Tests/aarch64/Int8KernelCheck.swift, scripts/check-aarch64.sh.)
    @Test("qd8_f32_qc7w_gemm_2x16c4__neon_mlal matches the integer reference", arguments: shapes)
    func neonMull(shape: GEMMShape) { check(QD8GEMM2x16c4NEONMull.self, shape) }
    #endif

    #if DEIT_DOTPROD
    @Test("qd8_f32_qc7w_gemm_4x16c4__neondot matches the integer reference", arguments: shapes)
    func neonDot(shape: GEMMShape) { check(QD8GEMM4x16c4NEONDot.self, shape) }
    #endif

    @Test("the build's int8 kernel is one of the table's")
    func activeKernel() {
        #if DEIT_AVX512VNNI
        #expect(Int8GEMM.kernelName == QD8GEMM8x16c4AVX512VNNI.name)
        #elseif DEIT_AVX512
        #expect(Int8GEMM.kernelName == QD8GEMM8x16c4AVX512BW.name)
        #elseif DEIT_AVXVNNI
        #expect(Int8GEMM.kernelName == QD8GEMM6x16c4AVXVNNI.name)
        #elseif DEIT_AVX2
        #expect(Int8GEMM.kernelName == QD8GEMM6x16c4AVX2.name)
        #elseif DEIT_DOTPROD
        #expect(Int8GEMM.kernelName == QD8GEMM4x16c4NEONDot.name)
        #elseif arch(arm64)
        #expect(Int8GEMM.kernelName == QD8GEMM2x16c4NEONMull.name)
        #else
        #expect(Int8GEMM.kernelName == QD8GEMM2x16c4Portable.name)
        #endif
        #expect(CompiledKernels.table.int8GEMMKernelName == Int8GEMM.kernelName)
    }

    @Test("quantising a row: a scale max|x|/127 per 32 values, ties to even, zero groups give zeros, bytes q + 128")
    func quantizer() {
        var out = [UInt8](repeating: 99, count: 40)
        var scales: [Float] = [.nan, .nan]
        var x: [Float] = [127, 0.5, 1.5, -2.5, -127] + [Float](repeating: 0, count: 27) + [0, -0, 0, 0, 254]
        Int8GEMM.quantizeRowScalar(k: 37, x: x, out: &out, scales: &scales)
        #expect(scales == [1, 2])
        #expect(Array(out[0..<5]) == [255, 128, 130, 126, 1])
        #expect(Array(out[32..<40]) == [128, 128, 128, 128, 255, 128, 128, 128])
        x = [0, -0, 0]
        Int8GEMM.quantizeRowScalar(k: 3, x: x, out: &out, scales: &scales)
        #expect(scales[0] == 0)
        #expect(out[0..<4] == [128, 128, 128, 128])
    }

    /// The largest pair sums `vpmaddubsw` ever sees: activations ±1 quantise to ±127, stored as 255 and
    /// 1; weights ±1 quantise to ±64 (pairs of 128: the pair bound binds) and pairs of 1 and 1/127 to
    /// 127 and 1 (the single bound binds too), so a pair is at most 255·128 = 32640 — 127 short of
    /// int16's saturation — with k large. Each kernel's result must equal the exact sum of each group's
    /// integer sum times its scales.
    @Test("worst-case products neither saturate nor overflow", arguments: [1023, 4097])
    func worstCase(k: Int) {
        let m = 3, n = 20, groups = (k + 31) / 32
        // Rows of A: all +1, all −1, alternating ±1. Columns of W by j % 4: +1, −1, alternating ±1,
        // pairs (1, 1/127) of alternating sign.
        var a = [Float](repeating: 0, count: m * k)
        for i in 0..<k { a[i] = 1; a[k + i] = -1; a[2 * k + i] = i % 2 == 0 ? 1 : -1 }
        var weight = [Float](repeating: 0, count: n * k)
        for j in 0..<n {
            for i in 0..<k {
                switch j % 4 {
                case 0: weight[j * k + i] = 1
                case 1: weight[j * k + i] = -1
                case 2: weight[j * k + i] = i % 2 == 0 ? 1 : -1
                default: weight[j * k + i] = (i % 2 == 0 ? 1 : Float(1) / 127) * (i % 4 < 2 ? 1 : -1)
                }
            }
        }
        var quantized = [Int8](repeating: 0, count: n * k), scales = [Float](repeating: 0, count: n * groups)
        Int8GEMM.quantizeWeight(weight: weight, n: n, k: k, quantized: &quantized, scales: &scales)
        #expect(quantized[0 * k] == 64 && quantized[1 * k] == -64 && quantized[2 * k + 1] == -64)
        #expect(quantized[3 * k] == 127 && quantized[3 * k + 1] == 1 && quantized[3 * k + 2] == -127 && quantized[3 * k + 3] == -1)
        let bias = [Float](repeating: 0, count: n)
        for kernel in Int8GEMMTests.kernels {
            let got = kernel.run(m, n, k, a, weight, bias, .store, nil)
            for row in 0..<m {
                for column in 0..<n {
                    var expected: Float = 0
                    for group in 0..<groups {
                        var sum = 0
                        for i in group * 32..<min(k, group * 32 + 32) {
                            sum += Int(a[row * k + i] * 127) * Int(quantized[column * k + i])
                        }
                        expected = expected + Float(sum) * (scales[column * groups + group] * (Float(1) / 127))
                    }
                    #expect(got[row * n + column] == expected, "\(kernel.name) row \(row) column \(column)")
                }
            }
        }
    }

    /// The kernels compiled into this build, type-erased for the loops above (closures, not existentials).
    static var kernels: [AnyInt8Kernel] {
        var list = [AnyInt8Kernel(QD8GEMM2x16c4Portable.self)]
        #if DEIT_AVX2 || DEIT_AVX512
        list.append(AnyInt8Kernel(QD8GEMM6x16c4AVX2.self))
        #endif
        #if arch(arm64)
        list.append(AnyInt8Kernel(QD8GEMM2x16c4NEONMull.self))
        #endif
        #if DEIT_DOTPROD
        list.append(AnyInt8Kernel(QD8GEMM4x16c4NEONDot.self))
        #endif
        return list
    }

    private func check<Kernel: Int8GEMMMicroKernel>(_ kernel: Kernel.Type, _ shape: GEMMShape) {
        let (m, n, k) = (shape.m, shape.n, shape.k)
        var random = SeededGenerator(seed: UInt64(m * 1_000_003 + n * 1009 + k))
        var a = random.floats(m * k, in: -4...4)
        if m > 1 && k > 0 { for i in 0..<k { a[k + i] = 0 } }  // a zero row
        var weight = random.floats(n * k, in: -0.5...0.5)
        if n > 2 && k > 0 { weight[2 * k] = 7 }  // an outlier in one channel
        let bias = random.floats(n)
        let initial = random.floats(m * n)
        let erased = AnyInt8Kernel(kernel)
        for epilogue in [GEMMEpilogue.store, .accumulate, .gelu] {
            let got = erased.run(m, n, k, a, weight, bias, epilogue, epilogue == .accumulate ? initial : nil)
            let expected = integerReference(m: m, n: n, k: k, a: a, weight: weight, bias: bias)
            for index in 0..<m * n {
                let value = expected[index]
                switch epilogue {
                case .store:
                    #expect(got[index] == value, "\(Kernel.name) \(shape) store at \(index)")
                case .accumulate:
                    #expect(got[index] == initial[index] + value, "\(Kernel.name) \(shape) accumulate at \(index)")
                case .gelu:
                    let gelu = Double(value) * 0.5 * (1 + erfReference(Double(value) / 2.0.squareRoot()))
                    #expect(abs(Double(got[index]) - gelu) <= 1e-5 * max(1, abs(gelu)), "\(Kernel.name) \(shape) gelu at \(index)")
                }
            }
            // And the quantisation is faithful: close to the f32 product (per-row and per-channel scales,
            // half a step of error per side and term at most: max/254 for A, max/128 for W).
            if epilogue == .store {
                for row in 0..<m {
                    // Bounded with the row's largest value (each group's is smaller or equal).
                    let rowMax = (0..<k).map { abs(Double(a[row * k + $0])) }.max() ?? 0  // ≥ every group's
                    for column in 0..<n {
                        let weightMax = (0..<k).map { abs(Double(weight[column * k + $0])) }.max() ?? 0
                        var exact = Double(bias[column])
                        for i in 0..<k { exact += Double(a[row * k + i]) * Double(weight[column * k + i]) }
                        let bound = Double(k) * rowMax * weightMax * (1.0 / 128 + 1.0 / 254 + 1.0 / (128 * 254)) + 1e-5
                        #expect(abs(Double(got[row * n + column]) - exact) <= bound)
                    }
                }
            }
        }
    }

    /// C = Σ_g Float(Σ_{i∈g} qa·qw) · (sw[g] · sa[g]) + b with the integer sums exact, the groups added
    /// in order, quantised as the kernels document (A per row to [−127, 127]; W per column to the
    /// largest grid with |qw| ≤ 127 and even-aligned pairs |qw[2i]| + |qw[2i+1]| ≤ 128; both per 32 inputs).
    private func integerReference(m: Int, n: Int, k: Int, a: [Float], weight: [Float], bias: [Float]) -> [Float] {
        func quantize(_ values: ArraySlice<Float>) -> (values: [Int], scale: Float) {
            let largest = values.map { abs($0) }.max() ?? 0
            let inverse: Float = largest > 0 ? 127 / largest : 0
            return (values.map { Int(($0 * inverse).rounded(.toNearestOrEven)) }, largest / 127)
        }
        func quantizeWeights(_ values: ArraySlice<Float>) -> (values: [Int], scale: Float) {
            let magnitudes = values.map { abs($0) } + [0]   // a last odd value pairs with 0
            let largest = magnitudes.max() ?? 0
            let largestPair = stride(from: 0, to: values.count, by: 2).map { magnitudes[$0] + magnitudes[$0 + 1] }.max() ?? 0
            // The binding bound's scale, rounded up to a binary16 value (Int8GEMM.halfCeiling).
            let pairBinds = largestPair / 128 >= largest / 127
            let exact = pairBinds ? largestPair / 128 : largest / 127
            let scale = Int8GEMM.halfCeiling(exact)
            let inverse: Float = largest > 0 ? (scale == exact ? (pairBinds ? 128 / largestPair : 127 / largest) : 1 / scale) : 0
            var quantized = values.map { max(-127, min(127, Int(($0 * inverse).rounded(.toNearestOrEven)))) }
            for i in stride(from: 0, to: quantized.count - 1, by: 2) {
                while abs(quantized[i]) + abs(quantized[i + 1]) > 128 {
                    if abs(quantized[i]) >= abs(quantized[i + 1]) { quantized[i] -= quantized[i].signum() } else { quantized[i + 1] -= quantized[i + 1].signum() }
                }
            }
            return (quantized, scale)
        }
        let groups = (k + 31) / 32
        // rows[r][g]: group g of row r.
        let rows = (0..<m).map { r in (0..<groups).map { g in quantize(a[r * k + g * 32..<r * k + min(k, g * 32 + 32)]) } }
        let columns = (0..<n).map { j in (0..<groups).map { g in quantizeWeights(weight[j * k + g * 32..<j * k + min(k, g * 32 + 32)]) } }
        var c = [Float](repeating: 0, count: m * n)
        for row in 0..<m {
            for column in 0..<n {
                var scaled: Float = 0
                for g in 0..<groups {
                    var sum = 0
                    for (offset, value) in rows[row][g].values.enumerated() { sum += value * columns[column][g].values[offset] }
                    scaled = scaled + Float(sum) * (columns[column][g].scale * rows[row][g].scale)
                }
                c[row * n + column] = scaled + bias[column]
            }
        }
        return c
    }

    private func erfReference(_ x: Double) -> Double {
        // Abramowitz–Stegun 7.1.26 is too coarse; integrate the series instead (|x| small here) or use
        // the complementary continued fraction for large |x|.
        if abs(x) > 4 { return x > 0 ? 1 : -1 }
        var sum = 0.0, term = x, n = 0.0
        while abs(term) > 1e-17 * abs(sum) || n < 3 {
            sum += term / (2 * n + 1)
            n += 1
            term *= -x * x / n
            if n > 200 { break }
        }
        return 2 / Double.pi.squareRoot() * sum
    }
}

/// One int8 kernel behind closures: quantise A, pack W, multiply panel by panel (separate calls, so
/// any state carried between panels would show), with A and W as plain arrays.
struct AnyInt8Kernel {
    let name: String
    let run: (_ m: Int, _ n: Int, _ k: Int, _ a: [Float], _ weight: [Float], _ bias: [Float],
              _ epilogue: GEMMEpilogue, _ initialC: [Float]?) -> [Float]

    init<Kernel: Int8GEMMMicroKernel>(_ kernel: Kernel.Type) {
        name = Kernel.name
        run = { m, n, k, a, weight, bias, epilogue, initialC in
            let lda = Int8GEMM.quantizedRowLength(k: k) + 4  // strided rows catch lda/k mix-ups
            var quantized = [UInt8](repeating: 0x55, count: max(m * lda, 1))
            let ldScales = Int8GEMM.groupCount(k: k) + 1
            var scales = [Float](repeating: .nan, count: max(m * ldScales, 1))
            quantized.withUnsafeMutableBufferPointer { q in
                scales.withUnsafeMutableBufferPointer { s in
                    a.withUnsafeBufferPointer { x in
                        for row in 0..<m {
                            Kernel.quantizeRow(k: k, x: x.baseAddress! + row * k, out: q.baseAddress! + row * lda,
                                               scales: s.baseAddress! + row * ldScales)
                        }
                    }
                }
            }
            let packed = UnsafeMutableRawPointer.allocate(byteCount: max(Int8GEMM.packedByteCount(n: n, k: k), 1),
                                                          alignment: 64)
            defer { packed.deallocate() }
            Int8GEMM.pack(weight: weight, bias: bias, n: n, k: k, into: packed)
            var c = initialC ?? [Float](repeating: .nan, count: m * n)
            for panel in 0..<Int8GEMM.panelCount(n: n) {
                Int8GEMM.multiply(using: Kernel.self, m: m, n: n, k: k, a: quantized, lda: lda, aScales: scales, ldScales: ldScales,
                                  packed: packed, c: &c, ldc: n, epilogue: epilogue, panelRange: panel..<panel + 1)
            }
            return c
        }
    }
}
