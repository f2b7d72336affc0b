@testable import DeiTKernels
import Testing
import DeiTTestSupport

/// `Int8GEMM.quantizeWeight` + `Int8GEMM.pack(quantized:…)` (int8 model files) against
/// `Int8GEMM.pack(weight:…)` (load-time quantisation): the same panel bytes, so a quantised file runs
/// bit-identically. Fails if either side's rounding, scale or layout changes without the other.
@Suite("Int8 stored weights")
struct Int8GEMMStoredWeightsTests {
    /// Partial panels, odd k, k below/at/above a group, zero groups and rows.
    static let shapes: [(n: Int, k: Int)] = [(1, 1), (3, 7), (15, 31), (16, 32), (17, 33), (20, 9), (33, 64),
                                            (48, 65), (7, 197), (192, 192), (40, 768)]

    @Test("quantizeWeight then pack(quantized:) gives pack(weight:)'s bytes", arguments: 0..<shapes.count)
    func samePanels(index: Int) {
        let (n, k) = Int8GEMMStoredWeightsTests.shapes[index]
        var random = SeededGenerator(seed: UInt64(1000 + index))
        var weight = random.floats(n * k, in: -0.5...0.5)        // [n, k]
        let bias = random.floats(n, in: -1...1)                    // [n]
        if k > 32 { for i in 0..<32 { weight[i] = 0 } }            // row 0's first group: all zero
        if n > 2 { for i in 0..<k { weight[2 * k + i] = 0 } }      // row 2: all zero
        if n > 1 && k > 32 {
            // Row 1's first group: largest 127·2⁻⁸ alone in its pair (the single bound binds: scale 2⁻⁸
            // exactly) and a tie, 2.5·2⁻⁸, rounded to even (2).
            for i in 0..<32 { weight[k + i] = 0 }
            weight[k + 5] = 127 * 0x1p-8; weight[k + 2] = 2.5 * 0x1p-8
        }
        let groups = Int8GEMM.groupCount(k: k)
        var quantized = [Int8](repeating: 99, count: n * k)        // [n, k]
        var scales = [Float](repeating: .nan, count: n * groups)   // [n, ⌈k/32⌉]
        Int8GEMM.quantizeWeight(weight: weight, n: n, k: k, quantized: &quantized, scales: &scales)
        #expect(Int8GEMMStoredWeightsTests.keepsTheKernelsBounds(quantized, n: n, k: k))
        #expect(scales.allSatisfy { $0 >= 0 && $0.isFinite })
        if k > 32 { #expect(scales[0] == 0 && quantized[0..<32].allSatisfy { $0 == 0 }) }
        if n > 1 && k > 32 { #expect(scales[groups] == 0x1p-8 && quantized[k + 5] == 127 && quantized[k + 2] == 2) }

        let byteCount = Int8GEMM.packedByteCount(n: n, k: k)
        var direct = [UInt8](repeating: 0xAA, count: byteCount)
        var stored = [UInt8](repeating: 0x55, count: byteCount)
        direct.withUnsafeMutableBytes { Int8GEMM.pack(weight: weight, bias: bias, n: n, k: k, into: $0.baseAddress!) }
        stored.withUnsafeMutableBytes {
            Int8GEMM.pack(quantized: quantized, scales: scales, bias: bias, n: n, k: k, into: $0.baseAddress!)
        }
        #expect(direct == stored, "n \(n) k \(k)")
    }

    /// The scales are rounded up to binary16 values in binary16's normal range (so an int8 file stores
    /// them as F16 exactly), by at most 2⁻¹⁰ relative, and left exact outside it (tiny LayerScale-folded
    /// weights would lose bits); every |W| / scale stays ≤ 64 either way.
    /// A group whose largest |W| is subnormal: 64/max overflows Float unless saturated (inverseStep);
    /// unsaturated, 0·∞ made its zeros NaN, quantised to −64.
    @Test("a group of subnormal weights keeps its zeros (and never flips a sign)")
    func subnormalGroup() {
        let k = 32
        var weight = [Float](repeating: 0, count: k)  // [1, k]
        for i in stride(from: 0, to: k, by: 3) { weight[i] = Float(bitPattern: UInt32(1000 + i)) * (i % 2 == 0 ? 1 : -1) }
        var quantized = [Int8](repeating: 99, count: k), scales: [Float] = [.nan]
        Int8GEMM.quantizeWeight(weight: weight, n: 1, k: k, quantized: &quantized, scales: &scales)
        for i in 0..<k {
            #expect(abs(Int(quantized[i])) <= Int8GEMM.weightLimit)
            // Zeros stay 0; the subnormals round to 0 or keep their sign (|W|·(max finite) < 1).
            #expect(weight[i] == 0 ? quantized[i] == 0 : quantized[i] == 0 || (quantized[i] > 0) == (weight[i] > 0),
                    "input \(i): \(quantized[i])")
        }
        #expect(scales[0] > 0 && scales[0].isFinite)
    }

    @Test("quantizeWeight's scales are binary16 values where binary16 is normal, exact elsewhere",
          arguments: [Float(1), 1e-2, 1e-4, 1e-6, 3000])
    func halfScales(magnitude: Float) {
        let (n, k) = (24, 100)
        var random = SeededGenerator(seed: 77)
        let weight = random.floats(n * k, in: -1...1).map { $0 * magnitude }
        let groups = Int8GEMM.groupCount(k: k)
        var quantized = [Int8](repeating: 99, count: n * k)
        var scales = [Float](repeating: .nan, count: n * groups)
        Int8GEMM.quantizeWeight(weight: weight, n: n, k: k, quantized: &quantized, scales: &scales)
        #expect(Int8GEMMStoredWeightsTests.keepsTheKernelsBounds(quantized, n: n, k: k))
        var roundedCount = 0
        for row in 0..<n {
            for group in 0..<groups {
                let values = weight[(row * k + group * 32)..<(row * k + min(k, group * 32 + 32))]
                let magnitudes = values.map { abs($0) } + [0]   // (a last odd value's pair: itself and 0)
                let largestPair = stride(from: 0, to: values.count, by: 2).map { magnitudes[$0] + magnitudes[$0 + 1] }.max()!
                let exact = max(largestPair / 128, magnitudes.max()! / 127)
                let scale = scales[row * groups + group]
                #expect(scale >= exact && scale <= exact * (1 + 0x1p-10), "\(scale) for \(exact)")
                if exact >= 0x1p-14 && exact <= 65504 {
                    #expect(Float(Float16(scale)) == scale, "\(scale) is not a binary16 value")
                    if scale != exact { roundedCount += 1 }
                } else {
                    #expect(scale == exact)
                }
                // Dequantised, every weight is within half a step of its value.
                for (offset, w) in values.enumerated() {
                    let q = Float(quantized[row * k + group * 32 + offset])
                    #expect(abs(q * scale - w) <= scale * 0.5001, "\(w) as \(q) × \(scale)")
                }
            }
        }
        if magnitude >= 1e-2 && magnitude <= 1 { #expect(roundedCount > 0) }
        #expect(Int8GEMM.halfCeiling(0) == 0 && Int8GEMM.halfCeiling(0x1p-15) == 0x1p-15)
        #expect(Int8GEMM.halfCeiling(65504) == 65504 && Int8GEMM.halfCeiling(65505) == 65505)
        #expect(Int8GEMM.halfCeiling(Float(1).nextUp) == 1 + 0x1p-10)
        #expect(Int8GEMM.halfCeiling(Float(2).nextDown) == 2)
    }

    /// Every value in [−127, 127] and every even-aligned pair along a row at most 128 in magnitude.
    static func keepsTheKernelsBounds(_ quantized: [Int8], n: Int, k: Int) -> Bool {
        for row in 0..<n {
            for i in stride(from: 0, to: k, by: 2) {
                let first = Int(quantized[row * k + i]), second = i + 1 < k ? Int(quantized[row * k + i + 1]) : 0
                if first < -127 || second < -127 || abs(first) + abs(second) > 128 { return false }
            }
        }
        return true
    }

    /// Pairs at and just past the bound in float arithmetic: equal halves (64.5 each would round to
    /// 64 + 64, or 65 + 64 after a float error), a large value beside a small one, random values with
    /// one large pair per group. The bound holds, and each value stays within a step of W / scale.
    @Test("quantizeWeight keeps every pair within 128 and every value within 127", arguments: 0..<4)
    func pairBound(variant: Int) {
        let (n, k) = (16, 67)
        var random = SeededGenerator(seed: UInt64(500 + variant))
        var weight = random.floats(n * k, in: -1...1)   // [n, k]
        for row in 0..<n {
            for pair in stride(from: 0, to: k - 1, by: 2) where (pair / 2 + row + variant) % 5 == 0 {
                let big = Float(1 + row) * 0.37
                switch variant {
                case 0: weight[row * k + pair] = big; weight[row * k + pair + 1] = -big
                case 1: weight[row * k + pair] = big; weight[row * k + pair + 1] = big / 127
                case 2: weight[row * k + pair] = big * 0.999; weight[row * k + pair + 1] = big * 1.001
                default: weight[row * k + pair] = -big; weight[row * k + pair + 1] = -big.nextUp
                }
            }
        }
        let groups = Int8GEMM.groupCount(k: k)
        var quantized = [Int8](repeating: 99, count: n * k), scales = [Float](repeating: .nan, count: n * groups)
        Int8GEMM.quantizeWeight(weight: weight, n: n, k: k, quantized: &quantized, scales: &scales)
        #expect(Int8GEMMStoredWeightsTests.keepsTheKernelsBounds(quantized, n: n, k: k))
        for row in 0..<n {
            for i in 0..<k {
                let scale = scales[row * groups + i / 32]
                #expect(abs(Float(quantized[row * k + i]) * scale - weight[row * k + i]) <= scale * 1.0001)
            }
        }
        // The grid is as fine as the bounds allow: some pair of every row sits at 127 or 128.
        for row in 0..<n {
            let largest = stride(from: 0, to: k - 1, by: 2).map { abs(Int(quantized[row * k + $0])) + abs(Int(quantized[row * k + $0 + 1])) }.max()!
            #expect(largest >= 127, "row \(row): largest pair \(largest)")
        }
    }
}
