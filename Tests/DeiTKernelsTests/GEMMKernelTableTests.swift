@testable import DeiTKernels
import DeiTKernelTable
import Testing
import DeiTTestSupport

/// Every micro-kernel of the table (`GEMMKernelTable.swift`), not just the one this build uses, against
/// the double-precision reference: each is compiled for this machine's instruction set, so the tile
/// shapes, edges and panel widths of every ISA path are checked wherever the tests run. (These tests
/// run against the baseline module, DeiTKernels, and again against DeiTKernelsAVX2: the
/// DeiTKernelsAVX2Tests target compiles this directory with `import DeiTKernels` aliased to it.)
@Suite("GEMM kernel table")
struct GEMMKernelTableTests {
    /// Ragged and aligned shapes around every tile height (1, 2, 4, 5, 6, 8) and both panel widths;
    /// together they run every tile of every kernel (checked by `everyTileRuns`).
    static let shapes: [GEMMShape] = [
        GEMMShape(m: 1, n: 1, k: 1), GEMMShape(m: 3, n: 15, k: 7), GEMMShape(m: 4, n: 20, k: 9),
        GEMMShape(m: 5, n: 16, k: 13), GEMMShape(m: 9, n: 40, k: 3),
        GEMMShape(m: 6, n: 17, k: 13), GEMMShape(m: 7, n: 31, k: 7), GEMMShape(m: 8, n: 32, k: 16),
        GEMMShape(m: 11, n: 33, k: 5), GEMMShape(m: 13, n: 48, k: 64), GEMMShape(m: 40, n: 197, k: 64),
        GEMMShape(m: 37, n: 64, k: 197), GEMMShape(m: 197, n: 192, k: 192), GEMMShape(m: 198, n: 7, k: 0),
    ]

    @Test("f32_gemm_8x32__avx512f matches the reference", arguments: shapes)
    func avx512(shape: GEMMShape) { check(F32GEMM8x32AVX512.self, shape) }

    @Test("f32_gemm_5x16__avx2_fma matches the reference", arguments: shapes)
    func avx2(shape: GEMMShape) { check(F32GEMM5x16AVX2.self, shape) }

    @Test("f32_gemm_6x16__neon matches the reference", arguments: shapes)
    func neon(shape: GEMMShape) { check(F32GEMM6x16NEON.self, shape) }

    @Test("f32_gemm_2x16__portable matches the reference", arguments: shapes)
    func portable(shape: GEMMShape) { check(F32GEMM2x16Portable.self, shape) }

    @Test("the build uses one of the table's kernels, fused where the kernel set says so")
    func activeKernel() {
        let names = [F32GEMM8x32AVX512.name, F32GEMM5x16AVX2.name, F32GEMM6x16NEON.name, F32GEMM2x16Portable.name]
        #expect(names.contains(PackedGEMM.kernelName))
        #expect(PackedGEMM.panelWidth == ActiveGEMMKernel.panelWidth)
        #expect(CompiledKernels.fusedMultiplyAdd == (CompiledKernels.set != .portable))
        #expect(CompiledKernels.table.gemmKernelName == PackedGEMM.kernelName)
        #expect(CompiledKernels.table.gemmPanelWidth == PackedGEMM.panelWidth)
        #if arch(x86_64)
        print("kernel set \(CompiledKernels.set.name), GEMM \(PackedGEMM.kernelName)")
        #endif
    }

    /// The tiles `multiplyPanel` runs for m rows: full tiles, then the shorter ones tallest first
    /// (the same walk, written out as heights).
    static func tileHeights<Kernel: F32GEMMMicroKernel>(_ kernel: Kernel.Type, m: Int) -> [Int] {
        var heights = [Int](repeating: Kernel.rows, count: m / Kernel.rows)
        var left = m % Kernel.rows
        for height in Kernel.remainderTileRows where left >= height {
            heights.append(height)
            left -= height
        }
        return heights
    }

    @Test("every kernel's remainder tiles are shorter than its full tile, and the shapes run them all")
    func everyTileRuns() {
        func check<Kernel: F32GEMMMicroKernel>(_ kernel: Kernel.Type) {
            // A 4- or 2-row tile that is not shorter than MR could never run: the table must leave it
            // out (the default, `FullTile`), as the portable 2×16 kernel does.
            for tile in [Kernel.FourRowTile.self, Kernel.TwoRowTile.self] as [any F32GEMMTile.Type] {
                #expect(tile.rowCount < Kernel.rows || ObjectIdentifier(tile) == ObjectIdentifier(Kernel.FullTile.self),
                        "\(Kernel.name) declares a \(tile.rowCount)-row remainder tile it can never run")
            }
            #expect(Kernel.OneRowTile.rowCount == 1)
            let used = Set(Self.shapes.flatMap { Self.tileHeights(Kernel.self, m: $0.m) })
            #expect(used == Set([Kernel.rows] + Kernel.remainderTileRows), "\(Kernel.name): tiles run \(used.sorted())")
            for m in 0..<(3 * Kernel.rows) {
                #expect(Self.tileHeights(Kernel.self, m: m).reduce(0, +) == m, "\(Kernel.name) m = \(m)")
            }
        }
        check(F32GEMM8x32AVX512.self)
        check(F32GEMM5x16AVX2.self)
        check(F32GEMM6x16NEON.self)
        check(F32GEMM2x16Portable.self)
        #expect(F32GEMM2x16Portable.remainderTileRows == [1])
        #expect(F32GEMM5x16AVX2.remainderTileRows == [4, 2, 1])
    }

    /// All three epilogues, C strided (ldc > n) with a sentinel between rows, the last panel ragged.
    private func check<Kernel: F32GEMMMicroKernel>(_ kernel: Kernel.Type, _ shape: GEMMShape) {
        let (m, n, k) = (shape.m, shape.n, shape.k)
        let lda = k + 3, ldc = n + 5
        var random = SeededGenerator(seed: UInt64(m * 7919 + n * 31 + k))
        let a = random.floats(m * lda)
        let weight = random.floats(n * k)
        let bias = random.floats(n)
        let initialC = random.floats(m * ldc, in: -2...2)
        let (z, absSum) = Reference.linear(m: m, n: n, k: k, a: a, lda: lda, weight: weight, bias: bias)
        var packed = [Float](repeating: .nan, count: PackedGEMM.packedCount(n: n, k: k, panelWidth: Kernel.panelWidth))
        packed.withUnsafeMutableBufferPointer { packed in
            weight.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    PackedGEMM.pack(weight: w.baseAddress!, bias: b.baseAddress!, n: n, k: k,
                                    into: packed.baseAddress!, panelWidth: Kernel.panelWidth)
                }
            }
        }
        let sentinel: Float = 4321.5
        for epilogue in [GEMMEpilogue.store, .accumulate, .gelu] {
            var c = (0..<(m * ldc)).map { i -> Float in
                i % ldc >= n ? sentinel : (epilogue == .accumulate ? initialC[i] : .nan)
            }
            a.withUnsafeBufferPointer { a in
                packed.withUnsafeBufferPointer { packed in
                    c.withUnsafeMutableBufferPointer { c in
                        PackedGEMM.multiply(using: Kernel.self, m: m, n: n, k: k, a: a.baseAddress!, lda: lda,
                                            packed: packed.baseAddress!, c: c.baseAddress!, ldc: ldc,
                                            epilogue: epilogue, panelRange: 0..<Int.max)
                    }
                }
            }
            var tracker = ToleranceTracker()
            var sentinelsIntact = true
            for i in 0..<m {
                for j in 0..<ldc {
                    let got = c[i * ldc + j]
                    guard j < n else {
                        sentinelsIntact = sentinelsIntact && got == sentinel
                        continue
                    }
                    let value = z[i * n + j]
                    let bound = Double(k + 2) * floatRoundoff * absSum[i * n + j] + 1e-30
                    switch epilogue {
                    case .store:
                        tracker.check(got, value, tolerance: bound)
                    case .accumulate:
                        let old = Double(initialC[i * ldc + j])
                        tracker.check(got, old + value, tolerance: bound + 2 * floatRoundoff * (abs(old) + abs(value)))
                    case .gelu:
                        tracker.check(got, Reference.gelu(value), tolerance: 1.13 * bound + 1e-6 * max(1, abs(value)))
                    }
                }
            }
            #expect(tracker.failures == 0, "\(Kernel.name) \(shape) \(epilogue): worst error/tolerance \(tracker.worstRatio)")
            #expect(sentinelsIntact, "\(Kernel.name) \(shape) \(epilogue) wrote between rows of C")
        }
    }
}

extension F32GEMMMicroKernel {
    /// The remainder tiles `multiplyPanel` can run, tallest first: the 4- and 2-row tiles if shorter
    /// than the full tile, then the 1-row tile.
    static var remainderTileRows: [Int] {
        [FourRowTile.rowCount, TwoRowTile.rowCount].filter { $0 < rows } + [OneRowTile.rowCount]
    }
}
