import DeiTKernels
import DeiTKernelTable
import Testing
import DeiTTestSupport

/// One GEMM problem: C[m×n] = A[m×k]·Wᵀ + b.
struct GEMMShape: Sendable, CustomStringConvertible {
    let m: Int, n: Int, k: Int
    var description: String { "\(m)×\(n)×\(k)" }
}

/// Every m and n of interest against two small ragged k, then the DeiT-Ti shapes and ragged ones at
/// the larger k.
private let gemmShapes: [GEMMShape] = {
    var shapes: [GEMMShape] = []
    for m in [1, 2, 7, 13, 197, 198] {
        for n in [1, 7, 13, 32, 64, 197, 198, 576] {
            for k in [7, 13] { shapes.append(GEMMShape(m: m, n: n, k: k)) }
        }
    }
    shapes += [
        GEMMShape(m: 197, n: 576, k: 192),  // qkv
        GEMMShape(m: 197, n: 192, k: 192),  // proj
        GEMMShape(m: 197, n: 768, k: 192),  // fc1
        GEMMShape(m: 197, n: 192, k: 768),  // fc2
        GEMMShape(m: 1, n: 1000, k: 192),  // classifier head
        GEMMShape(m: 198, n: 64, k: 64),
        GEMMShape(m: 13, n: 197, k: 64),
        GEMMShape(m: 7, n: 198, k: 768),
        GEMMShape(m: 2, n: 13, k: 768),
        GEMMShape(m: 198, n: 7, k: 192),
    ]
    return shapes
}()

/// The inputs of one GEMM test and the double-precision reference result.
private struct GEMMProblem {
    let shape: GEMMShape
    let lda: Int, ldc: Int
    let a: [Float]  // [m, lda]
    let weight: [Float]  // [n, k]
    let bias: [Float]  // [n]
    let initialC: [Float]  // [m, ldc], the accumulate epilogue's input
    let z: [Double]  // [m, n] = A·Wᵀ + b
    let absSum: [Double]  // [m, n], Σ|terms| for the error bound
    let packed: GuardedBuffer

    init(_ shape: GEMMShape, seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        self.shape = shape
        lda = shape.k + 3  // strided rows catch lda/k mix-ups
        ldc = shape.n + 5
        a = random.floats(shape.m * lda)
        weight = random.floats(shape.n * shape.k)
        bias = random.floats(shape.n)
        initialC = random.floats(shape.m * ldc, in: -2...2)
        (z, absSum) = Reference.linear(
            m: shape.m, n: shape.n, k: shape.k, a: a, lda: lda, weight: weight, bias: bias)
        packed = GuardedBuffer(count: PackedGEMM.packedCount(n: shape.n, k: shape.k))
        PackedGEMM.pack(weight: weight, bias: bias, n: shape.n, k: shape.k, into: packed.pointer)
    }

    /// Runs the kernel with A and C in guard-paged buffers of exactly the addressable size
    /// ((rows − 1)·stride + width), so reading past m rows of A or writing past n columns of the last row
    /// of C crashes. The gaps between C's rows hold a sentinel. C starts as NaN unless accumulating.
    func run(_ epilogue: GEMMEpilogue, panels: [Range<Int>]? = nil) -> GuardedBuffer {
        let (m, n, k) = (shape.m, shape.n, shape.k)
        let aBuffer = GuardedBuffer(Array(a[0..<((m - 1) * lda + k)]))
        let c = GuardedBuffer(count: (m - 1) * ldc + n)
        for index in 0..<c.count {
            let isInside = index % ldc < n
            c[index] = !isInside ? sentinel : (epilogue == .accumulate ? initialC[index] : .nan)
        }
        for range in panels ?? [0..<PackedGEMM.panelCount(n: n)] {
            PackedGEMM.multiply(
                m: m, n: n, k: k, a: aBuffer.pointer, lda: lda, packed: packed.pointer,
                c: c.pointer, ldc: ldc, epilogue: epilogue, panelRange: range)
        }
        return c
    }

    /// Expected value and rigorous-style bound for C[i, j]: recursive summation of k + 1 terms errs by at
    /// most (k + 2)·u·Σ|terms|; GELU's slope is below 1.13 and its own evaluation adds ≤ 1e-6·max(1, |z|).
    func expectation(row i: Int, column j: Int, _ epilogue: GEMMEpilogue) -> (value: Double, tolerance: Double) {
        let z = self.z[i * shape.n + j]
        let sumBound = Double(shape.k + 2) * floatRoundoff * absSum[i * shape.n + j] + 1e-30
        switch epilogue {
        case .store:
            return (z, sumBound)
        case .accumulate:
            let c = Double(initialC[i * ldc + j])
            return (c + z, sumBound + 2 * floatRoundoff * (abs(c) + abs(z)))
        case .gelu:
            return (Reference.gelu(z), 1.13 * sumBound + 1e-6 * max(1, abs(z)))
        }
    }
}

private let sentinel: Float = 12345.5
private let epilogues: [GEMMEpilogue] = [.store, .accumulate, .gelu]

@Suite("PackedGEMM")
struct PackedGEMMTests {
    @Test("matches the double-precision reference for every epilogue", arguments: gemmShapes)
    func matchesReference(shape: GEMMShape) {
        let problem = GEMMProblem(shape, seed: UInt64(shape.m * 1_000_003 + shape.n * 1009 + shape.k))
        for epilogue in epilogues {
            let c = problem.run(epilogue)
            var tracker = ToleranceTracker()
            var sentinelsIntact = true
            for i in 0..<shape.m {
                for j in 0..<problem.ldc where i * problem.ldc + j < c.count {
                    let got = c[i * problem.ldc + j]
                    if j >= shape.n {
                        sentinelsIntact = sentinelsIntact && got == sentinel
                        continue
                    }
                    let (value, tolerance) = problem.expectation(row: i, column: j, epilogue)
                    tracker.check(got, value, tolerance: tolerance)
                }
            }
            #expect(tracker.failures == 0, "\(shape) \(epilogue): worst error/tolerance \(tracker.worstRatio)")
            #expect(sentinelsIntact, "\(shape) \(epilogue) wrote between rows of C")
        }
    }

    @Test("splitting the panels gives bit-identical results", arguments: [
        GEMMShape(m: 197, n: 198, k: 64), GEMMShape(m: 13, n: 576, k: 13), GEMMShape(m: 7, n: 33, k: 7),
    ])
    func panelRangesCompose(shape: GEMMShape) {
        let problem = GEMMProblem(shape, seed: 77)
        let panelCount = PackedGEMM.panelCount(n: shape.n)
        let middle = panelCount / 2
        for epilogue in epilogues {
            let whole = problem.run(epilogue)
            let split = problem.run(epilogue, panels: [middle..<panelCount, 0..<middle, panelCount..<panelCount + 3])
            #expect(whole.values.elementsEqual(split.values) { $0 == $1 || ($0.isNaN && $1.isNaN) })
        }
    }

    @Test("k = 0 yields the bias")
    func emptyInnerDimension() {
        let bias: [Float] = (0..<37).map { Float($0) * 0.5 - 3 }
        var packed = [Float](repeating: .nan, count: PackedGEMM.packedCount(n: 37, k: 0))
        var c = [Float](repeating: .nan, count: 3 * 37)
        PackedGEMM.pack(weight: bias, bias: bias, n: 37, k: 0, into: &packed)
        PackedGEMM.multiply(m: 3, n: 37, k: 0, a: bias, lda: 0, packed: packed, c: &c, ldc: 37, epilogue: .store)
        #expect(c == bias + bias + bias)
    }
}

@Suite("PackedGEMM packing")
struct PackedGEMMPackingTests {
    @Test("panel layout: bias row first, k rows of NR columns, zero padding past n")
    func layout() {
        let (n, k) = (PackedGEMM.panelWidth + 3, 2)
        let weight = (0..<(n * k)).map { Float($0) + 1 }  // W[j, p] = j·k + p + 1
        let bias = (0..<n).map { -Float($0) - 1 }
        var packed = [Float](repeating: .nan, count: PackedGEMM.packedCount(n: n, k: k))
        PackedGEMM.pack(weight: weight, bias: bias, n: n, k: k, into: &packed)

        let width = PackedGEMM.panelWidth
        #expect(packed.count == 2 * (1 + k) * width)
        for panel in 0..<2 {
            for j in 0..<width {
                let column = panel * width + j
                let base = panel * (1 + k) * width
                #expect(packed[base + j] == (column < n ? bias[column] : 0))
                for p in 0..<k {
                    #expect(packed[base + (1 + p) * width + j] == (column < n ? weight[column * k + p] : 0))
                }
            }
        }
    }

    @Test("sizes never overflow: they saturate, and negative sizes count as zero")
    func counts() {
        let width = PackedGEMM.panelWidth
        #expect(width == 16 || width == 32)
        #expect(PackedGEMM.packedCount(n: 197, k: 192) == (197 + width - 1) / width * 193 * width)
        #expect(PackedGEMM.packedCount(n: 32, k: 0) == 32)
        #expect(PackedGEMM.packedCount(n: 0, k: 10) == 0)
        #expect(PackedGEMM.packedCount(n: -5, k: 10) == 0)
        #expect(PackedGEMM.packedCount(n: Int.max, k: Int.max) == Int.max)
        #expect(PackedGEMM.packedCount(n: 1 << 40, k: 1 << 30) == Int.max)
        #expect(PackedGEMM.panelCount(n: 197) == (197 + width - 1) / width)
        #expect(AttentionKernel.scratchCount(tokens: Int.max, headDim: 64) == Int.max)
    }
}
