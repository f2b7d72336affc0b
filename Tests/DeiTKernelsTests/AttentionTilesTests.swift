@testable import DeiTKernels
import Testing
import DeiTTestSupport

/// The attention products' tiles and packing (`AttentionTiles.swift`) against a double reference:
/// every tile shape of every instruction set's table (compiled for this machine), ragged rows and
/// columns, both packing paths (transpose and copy), and row scales.
@Suite("AttentionTiles")
struct AttentionTilesTests {
    /// C = diag(scales)·A·B in double.
    private static func reference(
        m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], ldb: Int, scales: [Float]?
    ) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k { sum += Double(a[i * lda + p]) * Double(b[p * ldb + j]) }
                c[i * n + j] = sum * Double(scales?[i] ?? 1)
            }
        }
        return c
    }

    /// One tile on a [rows, k] A and a panel [k, 8·vectors] that ends at a guard page (a read past it
    /// would crash); C columns past `columns` must stay untouched.
    private static func checkTile<Tile: AttentionTileProtocol>(
        _ tile: Tile.Type, vectors: Int, columns: Int, k: Int
    ) -> Bool {
        let rows = Tile.rowCount, width = 8 * vectors
        var random = SeededGenerator(seed: UInt64(rows * 100 + columns * 7 + k))
        let a = random.floats(rows * k), scales = random.floats(rows, in: 0.5...2)
        let panelValues = random.floats(k * width)
        let panel = GuardedBuffer(panelValues)
        let ldc = 40
        var c = [Float](repeating: -777, count: rows * ldc)
        a.withUnsafeBufferPointer { a in
            scales.withUnsafeBufferPointer { s in
                Tile.run(k: k, a: a.baseAddress!, lda: k, panel: panel.pointer, rowScales: s.baseAddress!,
                         c: &c, ldc: ldc, columns: columns)
            }
        }
        let expected = reference(m: rows, n: width, k: k, a: a, lda: k, b: panelValues, ldb: width, scales: scales)
        var ok = true
        for i in 0..<rows {
            for j in 0..<ldc {
                if j < columns {
                    ok = ok && abs(Double(c[i * ldc + j]) - expected[i * width + j]) <= 1e-5 * Double(k)
                } else {
                    ok = ok && c[i * ldc + j] == -777
                }
            }
        }
        return ok
    }

    @Test("every tile shape, full and ragged columns, matches the reference")
    func everyTile() {
        for k in [1, 7, 64, 197] {
            for columns in [24, 21, 17, 16, 8, 5, 1] {
                if columns <= 24 {
                    #expect(Self.checkTile(AttentionTile<8, 3>.self, vectors: 3, columns: columns, k: k), "8×3 c\(columns) k\(k)")
                    #expect(Self.checkTile(AttentionTile<4, 3>.self, vectors: 3, columns: columns, k: k), "4×3 c\(columns) k\(k)")
                    #expect(Self.checkTile(AttentionTile<2, 3>.self, vectors: 3, columns: columns, k: k), "2×3 c\(columns) k\(k)")
                    #expect(Self.checkTile(AttentionTile<1, 3>.self, vectors: 3, columns: columns, k: k), "1×3 c\(columns) k\(k)")
                }
                if columns <= 16 {
                    #expect(Self.checkTile(AttentionTile<8, 2>.self, vectors: 2, columns: columns, k: k), "8×2 c\(columns) k\(k)")
                    #expect(Self.checkTile(AttentionTile<4, 2>.self, vectors: 2, columns: columns, k: k), "4×2 c\(columns) k\(k)")
                    #expect(Self.checkTile(AttentionTile<2, 2>.self, vectors: 2, columns: columns, k: k), "2×2 c\(columns) k\(k)")
                    #expect(Self.checkTile(AttentionTile<1, 2>.self, vectors: 2, columns: columns, k: k), "1×2 c\(columns) k\(k)")
                }
                if columns <= 8 {
                    #expect(Self.checkTile(AttentionTile<8, 1>.self, vectors: 1, columns: columns, k: k), "8×1 c\(columns) k\(k)")
                    #expect(Self.checkTile(AttentionTile<4, 1>.self, vectors: 1, columns: columns, k: k), "4×1 c\(columns) k\(k)")
                    #expect(Self.checkTile(AttentionTile<2, 1>.self, vectors: 1, columns: columns, k: k), "2×1 c\(columns) k\(k)")
                    #expect(Self.checkTile(AttentionTile<1, 1>.self, vectors: 1, columns: columns, k: k), "1×1 c\(columns) k\(k)")
                }
            }
        }
    }

    @Test("packing: 24-wide panels, the last one rounded up to 8, zero padding, scale applied", arguments: [
        (197, 64), (5, 64), (24, 8), (25, 13), (200, 3), (1, 1),
    ])
    func packing(n: Int, k: Int) {
        var random = SeededGenerator(seed: UInt64(n * 31 + k))
        let ld = k + 5
        let matrix = random.floats(n * ld)
        var packed = [Float](repeating: .nan, count: AttentionTiles.packedCount(n: n, k: k))
        AttentionTiles.pack(matrix: matrix, n: n, k: k, nStride: ld, kStride: 1, scale: 0.5, into: &packed)
        // Same matrix read transposed (nStride 1): the scalar path must give the same layout.
        var transposedSource = [Float](repeating: 0, count: k * n)
        for j in 0..<n { for i in 0..<k { transposedSource[i * n + j] = matrix[j * ld + i] } }
        var packedScalar = [Float](repeating: .nan, count: packed.count)
        AttentionTiles.pack(matrix: transposedSource, n: n, k: k, nStride: 1, kStride: n, scale: 0.5, into: &packedScalar)

        var offset = 0, panel = 0, layoutOK = true
        while panel * 24 < n {
            let width = AttentionTiles.width(ofPanel: panel, n: n)
            for i in 0..<k {
                for j in 0..<width {
                    let column = panel * 24 + j
                    let expected: Float = column < n ? matrix[column * ld + i] * 0.5 : 0
                    layoutOK = layoutOK && packed[offset + i * width + j] == expected
                }
            }
            offset += width * k
            panel += 1
        }
        #expect(offset == packed.count)
        #expect(layoutOK)
        #expect(packed == packedScalar)
    }

    @Test("multiply: ragged m and n, with and without row scales", arguments: [
        (40, 197, 64), (37, 197, 64), (197, 64, 197), (3, 20, 11), (9, 8, 5), (1, 1, 1), (13, 24, 197),
    ])
    func multiply(m: Int, n: Int, k: Int) {
        var random = SeededGenerator(seed: UInt64(m * 1000 + n * 10 + k))
        let lda = k + 2, ldb = n + 4, ldc = n + 1
        let a = random.floats(m * lda), b = random.floats(k * ldb), scales = random.floats(m, in: 0.5...2)
        var packed = [Float](repeating: .nan, count: AttentionTiles.packedCount(n: n, k: k))
        AttentionTiles.pack(matrix: b, n: n, k: k, nStride: 1, kStride: ldb, scale: 1, into: &packed)
        var plainOut = [Float](repeating: -777, count: m * ldc)
        var scaledOut = [Float](repeating: -777, count: m * ldc)
        AttentionTiles.multiply(m: m, n: n, k: k, a: a, lda: lda, packed: packed, rowScales: nil, c: &plainOut, ldc: ldc)
        scales.withUnsafeBufferPointer { s in
            AttentionTiles.multiply(m: m, n: n, k: k, a: a, lda: lda, packed: packed, rowScales: s.baseAddress!,
                                    c: &scaledOut, ldc: ldc)
        }
        let plain = Self.reference(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, scales: nil)
        let scaled = Self.reference(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, scales: scales)
        var ok = true
        for i in 0..<m {
            for j in 0..<n {
                ok = ok && abs(Double(plainOut[i * ldc + j]) - plain[i * n + j]) <= 1e-5 * Double(k)
                ok = ok && abs(Double(scaledOut[i * ldc + j]) - scaled[i * n + j]) <= 2e-5 * Double(k)
            }
            ok = ok && plainOut[i * ldc + n] == -777 && scaledOut[i * ldc + n] == -777
        }
        #expect(ok)
    }
}
