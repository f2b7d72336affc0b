import DeiTKernelTable

/// The two matrix products of attention, on register tiles shaped for them (not the general GEMM's):
/// S = Q·(scale·K)ᵀ and out = diag(1/Σ)·E·V, with Kᵀ and V packed in 24-column panels.
///
/// A tile is `rows` × 8·`vectors` outputs, one `SIMD8<Float>` accumulator per 8 columns of a row; each
/// step broadcasts one element of A per row against `vectors` vectors of one B row. On AVX2 the 4×24
/// tile uses all 16 ymm registers (12 accumulators, 3 B vectors, 1 broadcast) and needs 4 broadcasts
/// per 12 FMAs, against 5 per 10 for the GEMM's 5×16 — measured ≈ 6 % faster with everything in L1.
/// T = 197 columns of S fit 8 panels of 24 and one of 8 (3 padded columns, against 11 with panels of 16).
enum AttentionTiles {
    /// Columns of a full panel: 8·vectors.
    static let panelWidth = 24

    #if DEIT_AVX512
    typealias Full3 = AttentionTile<8, 3>
    typealias Full2 = AttentionTile<8, 2>
    typealias Full1 = AttentionTile<8, 1>
    #elseif DEIT_AVX2 || arch(arm64)
    typealias Full3 = AttentionTile<4, 3>
    typealias Full2 = AttentionTile<4, 2>
    typealias Full1 = AttentionTile<8, 1>  // 4×8 needs a broadcast per FMA: ≈ half the speed
    #else
    typealias Full3 = AttentionTile<2, 3>
    typealias Full2 = AttentionTile<2, 2>
    typealias Full1 = AttentionTile<2, 1>
    #endif

    /// Width of panel `panel` of an `n`-column matrix: 24, or the last panel's columns rounded up to 8.
    @inline(__always)
    static func width(ofPanel panel: Int, n: Int) -> Int {
        let columns = min(panelWidth, n - panel * panelWidth)
        return (columns + 7) / 8 * 8
    }

    /// Floats of an `n × k` matrix packed by ``pack(matrix:n:k:nStride:kStride:scale:into:)``.
    static func packedCount(n: Int, k: Int) -> Int {
        SaturatingArithmetic.product(SaturatingArithmetic.product(SaturatingArithmetic.ceilingDivision(n, 8), 8), k)
    }

    /// Packs W (`n × k`, element (j, i) at `matrix[j·nStride + i·kStride]`) times `scale` into panels:
    /// panel p holds W's columns 24p ..< 24p + width as `k` rows of `width` floats (zero past n).
    ///
    /// For K (rows of W contiguous: `kStride` 1) this is a transpose, done 8×8 in registers; for V
    /// (read as Vᵀ: `nStride` 1) a copy of 8-float vectors.
    static func pack(
        matrix: UnsafePointer<Float>,  // [n, k] with the given strides
        n: Int, k: Int, nStride: Int, kStride: Int,
        scale: Float,
        into packed: UnsafeMutablePointer<Float>  // [packedCount(n, k)]
    ) {
        var destination = packed  // this panel: [k, width]
        var panel = 0
        while panel * panelWidth < n {
            let first = panel * panelWidth
            let width = width(ofPanel: panel, n: n)
            if nStride == 1 && n - first >= width {
                // Panel row i is W[first ..< first + width, i]: contiguous in the source.
                for i in 0..<k {
                    let source = matrix + first + i * kStride
                    var j = 0
                    while j < width {
                        storeSIMD8(loadSIMD8(source + j) * scale, to: destination + i * width + j)
                        j += 8
                    }
                }
                destination += width * k
                panel += 1
                continue
            }
            var group = 0  // 8 columns of the panel at a time
            while group < width {
                let columns = min(8, n - first - group)  // real columns of this group, 1...8
                let source = matrix + (first + group) * nStride  // [columns, k]
                var i = 0
                if columns == 8 && kStride == 1 {
                    while i + 8 <= k {
                        var block = InlineArray<8, SIMD8<Float>>(repeating: SIMD8())  // 8 columns × 8 of k
                        for j in 0..<8 { block[j] = loadSIMD8(source + j * nStride + i) * scale }
                        let transposed = transpose8x8(block)  // 8 of k × 8 columns
                        for r in 0..<8 { storeSIMD8(transposed[r], to: destination + (i + r) * width + group) }
                        i += 8
                    }
                }
                while i < k {
                    for j in 0..<8 {
                        destination[i * width + group + j] = j < columns ? source[j * nStride + i * kStride] * scale : 0
                    }
                    i += 1
                }
                group += 8
            }
            destination += width * k
            panel += 1
        }
    }

    /// Rows become columns: the unpack / shuffle / 128-bit-swap sequence, written as lane selections
    /// (the compiler turns them into AVX shuffles).
    @inline(__always)
    private static func transpose8x8(_ rows: InlineArray<8, SIMD8<Float>>) -> InlineArray<8, SIMD8<Float>> {
        @inline(__always) func interleaveLow(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
            SIMD8(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5])
        }
        @inline(__always) func interleaveHigh(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
            SIMD8(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7])
        }
        @inline(__always) func pairsLow(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
            SIMD8(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5])
        }
        @inline(__always) func pairsHigh(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
            SIMD8(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7])
        }
        let t0 = interleaveLow(rows[0], rows[1]), t1 = interleaveHigh(rows[0], rows[1])
        let t2 = interleaveLow(rows[2], rows[3]), t3 = interleaveHigh(rows[2], rows[3])
        let t4 = interleaveLow(rows[4], rows[5]), t5 = interleaveHigh(rows[4], rows[5])
        let t6 = interleaveLow(rows[6], rows[7]), t7 = interleaveHigh(rows[6], rows[7])
        let s0 = pairsLow(t0, t2), s1 = pairsHigh(t0, t2), s2 = pairsLow(t1, t3), s3 = pairsHigh(t1, t3)
        let s4 = pairsLow(t4, t6), s5 = pairsHigh(t4, t6), s6 = pairsLow(t5, t7), s7 = pairsHigh(t5, t7)
        var out = rows
        out[0] = SIMD8(lowHalf: s0.lowHalf, highHalf: s4.lowHalf)
        out[1] = SIMD8(lowHalf: s1.lowHalf, highHalf: s5.lowHalf)
        out[2] = SIMD8(lowHalf: s2.lowHalf, highHalf: s6.lowHalf)
        out[3] = SIMD8(lowHalf: s3.lowHalf, highHalf: s7.lowHalf)
        out[4] = SIMD8(lowHalf: s0.highHalf, highHalf: s4.highHalf)
        out[5] = SIMD8(lowHalf: s1.highHalf, highHalf: s5.highHalf)
        out[6] = SIMD8(lowHalf: s2.highHalf, highHalf: s6.highHalf)
        out[7] = SIMD8(lowHalf: s3.highHalf, highHalf: s7.highHalf)
        return out
    }

    /// C[m, n] (ldc) = diag(rowScales)·A[m, k]·B[k, n], B packed by
    /// ``pack(matrix:n:k:nStride:kStride:scale:into:)``. `rowScales` nil means 1.
    static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [m, k]
        packed: UnsafePointer<Float>,  // [packedCount(n, k)]
        rowScales: UnsafePointer<Float>?,  // [m] or nil
        c: UnsafeMutablePointer<Float>, ldc: Int  // [m, n]
    ) {
        guard m > 0, n > 0, k > 0 else { return }
        var panel = 0
        var panelStart = packed  // [k, width]
        while panel * panelWidth < n {
            let first = panel * panelWidth
            let width = width(ofPanel: panel, n: n)
            let columns = min(width, n - first)
            switch width {
            case 24:
                allRows(Full3.self, AttentionTile<4, 3>.self, AttentionTile<2, 3>.self, AttentionTile<1, 3>.self,
                        m: m, k: k, a: a, lda: lda, panel: panelStart, rowScales: rowScales,
                        c: c + first, ldc: ldc, columns: columns)
            case 16:
                allRows(Full2.self, AttentionTile<4, 2>.self, AttentionTile<2, 2>.self, AttentionTile<1, 2>.self,
                        m: m, k: k, a: a, lda: lda, panel: panelStart, rowScales: rowScales,
                        c: c + first, ldc: ldc, columns: columns)
            default:
                allRows(Full1.self, AttentionTile<4, 1>.self, AttentionTile<2, 1>.self, AttentionTile<1, 1>.self,
                        m: m, k: k, a: a, lda: lda, panel: panelStart, rowScales: rowScales,
                        c: c + first, ldc: ldc, columns: columns)
            }
            panelStart += width * k
            panel += 1
        }
    }

    /// All m rows against one panel: full tiles, then 4-, 2- and 1-row tiles for what is left.
    @inline(__always)
    private static func allRows<
        Full: AttentionTileProtocol, Four: AttentionTileProtocol, Two: AttentionTileProtocol,
        One: AttentionTileProtocol
    >(
        _ full: Full.Type, _ four: Four.Type, _ two: Two.Type, _ one: One.Type,
        m: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [m, k]
        panel: UnsafePointer<Float>,  // [k, 8·vectors]
        rowScales: UnsafePointer<Float>?,  // [m] or nil
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, columns]
        columns: Int
    ) {
        var row = 0
        while m - row >= Full.rowCount {
            Full.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, rowScales: rowScales.map { $0 + row },
                c: c + row * ldc, ldc: ldc, columns: columns)
            row += Full.rowCount
        }
        while m - row >= 4 {
            Four.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, rowScales: rowScales.map { $0 + row },
                c: c + row * ldc, ldc: ldc, columns: columns)
            row += 4
        }
        if m - row >= 2 {
            Two.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, rowScales: rowScales.map { $0 + row },
                c: c + row * ldc, ldc: ldc, columns: columns)
            row += 2
        }
        if m - row >= 1 {
            One.run(
                k: k, a: a + row * lda, lda: lda, panel: panel, rowScales: rowScales.map { $0 + row },
                c: c + row * ldc, ldc: ldc, columns: columns)
        }
    }
}

/// A tile of ``AttentionTiles``: used only as a generic constraint (no existentials).
protocol AttentionTileProtocol {
    static var rowCount: Int { get }
    /// C[rowCount, columns] (ldc) = diag(rowScales)·A[rowCount, k]·panel[k, 8·vectors], for
    /// columns ≤ 8·vectors (the panel's zero padding is computed, never stored).
    static func run(
        k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [rowCount, k]
        panel: UnsafePointer<Float>,  // [k, 8·vectors]
        rowScales: UnsafePointer<Float>?,  // [rowCount] or nil
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rowCount, columns]
        columns: Int
    )
}

/// `rows` × 8·`vectors` outputs in `rows`·`vectors` `SIMD8<Float>` registers.
struct AttentionTile<let rows: Int, let vectors: Int>: AttentionTileProtocol {
    static var rowCount: Int { rows }

    /// Not inlined: one self-contained function per shape, like the GEMM tiles.
    @inline(never)
    static func run(
        k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [rows, k]
        panel: UnsafePointer<Float>,  // [k, 8·vectors]
        rowScales: UnsafePointer<Float>?,  // [rows] or nil
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rows, columns]
        columns: Int
    ) {
        var accumulators = InlineArray<rows, InlineArray<vectors, SIMD8<Float>>>(
            repeating: InlineArray(repeating: SIMD8()))
        accumulate(k: k, a: a, lda: lda, panel: panel, into: &accumulators)
        if columns == 8 &* vectors {
            // Whole vectors only: the accumulators never leave the registers (with k = 64 a round
            // trip through the stack would cost ≈ 10 % of the tile).
            for row in 0..<rows {
                let factor = rowScales.map { $0[row] } ?? 1
                for v in 0..<vectors { storeSIMD8(accumulators[row][v] * factor, to: c + row &* ldc + v &* 8) }
            }
            return
        }
        // The last panel of a ragged n: lane by lane, never past `columns`.
        for row in 0..<rows {
            let factor = rowScales.map { $0[row] } ?? 1
            let destination = c + row &* ldc
            for v in 0..<vectors {
                let value = accumulators[row][v] * factor
                if (v &+ 1) &* 8 <= columns {
                    storeSIMD8(value, to: destination + v &* 8)
                } else {
                    for lane in 0..<max(0, columns &- v &* 8) { destination[v &* 8 &+ lane] = value[lane] }
                }
            }
        }
    }

    /// accumulators += A[rows, k]·panel[k, 8·vectors].
    @inline(__always)
    private static func accumulate(
        k: Int,
        a: UnsafePointer<Float>, lda: Int,  // [rows, k]
        panel: UnsafePointer<Float>,  // [k, 8·vectors]
        into accumulators: inout InlineArray<rows, InlineArray<vectors, SIMD8<Float>>>
    ) {
        var panelRow = panel
        var aColumn = a
        for _ in 0..<k {
            var b = InlineArray<vectors, SIMD8<Float>>(repeating: SIMD8())
            for v in 0..<vectors { b[v] = loadSIMD8(panelRow + v &* 8) }
            for row in 0..<rows {
                let broadcast = SIMD8<Float>(repeating: aColumn[row &* lda])
                for v in 0..<vectors {
                    accumulators[row][v] = multiplyAdd(broadcast, b[v], accumulators[row][v])
                }
            }
            panelRow += 8 &* vectors
            aColumn += 1
        }
    }
}
