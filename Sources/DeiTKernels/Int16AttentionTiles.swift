import DeiTKernelTable

#if DEIT_AVX2 || DEIT_AVX512
import _Builtin_intrinsics.intel
#endif

/// The register tiles of `Int16AttentionKernel`'s two products: C[m, n] = diag(aScales)·A·B·diag(bScales)
/// with A [m, pairs] and B's panels [pairs, width] in words of two 16-bit integers, the sums exact in
/// 32 bits. Panels as `AttentionTiles` cuts them (24 columns, the last rounded up to 8), each headed by
/// its columns' scales.
///
/// A tile is `rows` × 8·`vectors` outputs in `rows`·`vectors` ymm of 8 int32 sums; per word of A, each
/// row's word is broadcast against `vectors` words of B and `vpmaddwd` adds both products into 32 bits,
/// then `vpaddd` into the sums. Unlike an FMA, `vpmaddwd` needs a register for its result: 3×24 is
/// 9 sums, 3 B vectors, the broadcast and the product, 14 ymm (4×24 needs 17: the compiler rotated
/// the sums through the stack, and the tile ran no faster than the f32 one).
enum Int16AttentionTiles {
    #if DEIT_AVX512
    typealias Full3 = Int16AttentionTile<8, 3>  // 24 sums of 32 zmm-set registers
    #else
    typealias Full3 = Int16AttentionTile<3, 3>
    #endif

    /// C[m, n] (ldc) = diag(aScales)·A·B·diag(B's column scales), B in the panels of
    /// `Int16AttentionKernel.packKeys` (n = tokens) or `packValues` (n = head columns).
    static func multiply(
        m: Int, n: Int, pairs: Int,
        a: UnsafePointer<Int32>,  // [m, pairs]
        aScales: UnsafePointer<Float>,  // [m]
        packed: UnsafeRawPointer,  // ⌈n/8⌉·8 columns × (pairs + 1) words
        c: UnsafeMutablePointer<Float>, ldc: Int  // [m, n]
    ) {
        guard m > 0, n > 0 else { return }
        var panelStart = packed
        var first = 0
        while first < n {
            let width = AttentionTiles.width(ofPanel: first / AttentionTiles.panelWidth, n: n)
            let columns = min(width, n &- first)
            switch width {
            case 24:
                allRows(Full3.self, Int16AttentionTile<2, 3>.self, Int16AttentionTile<1, 3>.self, m: m, pairs: pairs,
                        a: a, aScales: aScales, panel: panelStart, c: c + first, ldc: ldc, columns: columns)
            case 16:
                allRows(Int16AttentionTile<4, 2>.self, Int16AttentionTile<2, 2>.self, Int16AttentionTile<1, 2>.self,
                        m: m, pairs: pairs, a: a, aScales: aScales, panel: panelStart, c: c + first, ldc: ldc,
                        columns: columns)
            default:
                allRows(Int16AttentionTile<8, 1>.self, Int16AttentionTile<2, 1>.self, Int16AttentionTile<1, 1>.self,
                        m: m, pairs: pairs, a: a, aScales: aScales, panel: panelStart, c: c + first, ldc: ldc,
                        columns: columns)
            }
            panelStart += 4 &* width &* (pairs &+ 1)
            first &+= width
        }
    }

    /// All m rows against one panel: full tiles, then 2- and 1-row tiles for what is left.
    @inline(__always)
    private static func allRows<
        Full: Int16AttentionTileProtocol, Two: Int16AttentionTileProtocol, One: Int16AttentionTileProtocol
    >(
        _ full: Full.Type, _ two: Two.Type, _ one: One.Type,
        m: Int, pairs: Int,
        a: UnsafePointer<Int32>, aScales: UnsafePointer<Float>,  // [m, pairs], [m]
        panel: UnsafeRawPointer,  // [width floats, pairs × width words]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [m, columns]
        columns: Int
    ) {
        var row = 0
        while m &- row >= Full.rowCount {
            Full.run(pairs: pairs, a: a + row &* pairs, aScales: aScales + row, panel: panel, c: c + row &* ldc,
                     ldc: ldc, columns: columns)
            row &+= Full.rowCount
        }
        while m &- row >= 2 {
            Two.run(pairs: pairs, a: a + row &* pairs, aScales: aScales + row, panel: panel, c: c + row &* ldc,
                    ldc: ldc, columns: columns)
            row &+= 2
        }
        if m &- row >= 1 {
            One.run(pairs: pairs, a: a + row &* pairs, aScales: aScales + row, panel: panel, c: c + row &* ldc,
                    ldc: ldc, columns: columns)
        }
    }
}

/// A tile of ``Int16AttentionTiles``: used only as a generic constraint (no existentials).
protocol Int16AttentionTileProtocol {
    static var rowCount: Int { get }
    /// C[rowCount, columns] (ldc) = diag(aScales)·A[rowCount, pairs]·panel·diag(panel's scales), for
    /// columns ≤ 8·vectors (the panel's zero padding is computed, never stored).
    static func run(
        pairs: Int,
        a: UnsafePointer<Int32>,  // [rowCount, pairs]
        aScales: UnsafePointer<Float>,  // [rowCount]
        panel: UnsafeRawPointer,  // [8·vectors floats, pairs × 8·vectors words]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rowCount, columns]
        columns: Int
    )
}

struct Int16AttentionTile<let rows: Int, let vectors: Int>: Int16AttentionTileProtocol {
    static var rowCount: Int { rows }

    @inline(never)
    static func run(
        pairs: Int,
        a: UnsafePointer<Int32>,  // [rows, pairs]
        aScales: UnsafePointer<Float>,  // [rows]
        panel: UnsafeRawPointer,  // [8·vectors floats, pairs × 8·vectors words]
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rows, columns]
        columns: Int
    ) {
        let width = 8 &* vectors
        let bScales = panel.assumingMemoryBound(to: Float.self)  // [width]
        var b = (panel + 4 &* width).assumingMemoryBound(to: Int32.self)  // [pairs, width]
        var sums = InlineArray<rows, InlineArray<vectors, SIMD8<Int32>>>(repeating: InlineArray(repeating: SIMD8()))
        for p in 0..<pairs {
            var words = InlineArray<vectors, SIMD8<Int32>>(repeating: SIMD8())
            for v in 0..<vectors { words[v] = UnsafeRawPointer(b + v &* 8).loadUnaligned(as: SIMD8<Int32>.self) }
            for row in 0..<rows {
                let word = a[row &* pairs &+ p]
                for v in 0..<vectors { sums[row][v] = multiplyAddPairs(sums[row][v], word, words[v]) }
            }
            b += width
        }
        for row in 0..<rows {
            let rowScale = SIMD8<Float>(repeating: aScales[row])
            let destination = c + row &* ldc
            for v in 0..<vectors {
                let columnScales = rowScale * loadSIMD8(bScales + v &* 8)
                let value = SIMD8<Float>(sums[row][v]) * columnScales
                if (v &+ 1) &* 8 <= columns {
                    storeSIMD8(value, to: destination + v &* 8)
                } else {
                    for lane in 0..<max(0, columns &- v &* 8) { destination[v &* 8 &+ lane] = value[lane] }
                }
            }
        }
    }

    /// sums + (a.low·b.low + a.high·b.high) per lane, a's word the same in every lane: `vpmaddwd` +
    /// `vpaddd` on x86, the same integers from 32-bit arithmetic elsewhere (products ≤ 2047², exact).
    @inline(__always)
    private static func multiplyAddPairs(_ sums: SIMD8<Int32>, _ a: Int32, _ b: SIMD8<Int32>) -> SIMD8<Int32> {
        #if DEIT_AVX2 || DEIT_AVX512
        let products: SIMD4<Int64> = _mm256_madd_epi16(_mm256_set1_epi32(a), unsafeBitCast(b, to: SIMD4<Int64>.self))
        let total = _mm256_add_epi32(unsafeBitCast(sums, to: SIMD4<Int64>.self), products)
        return unsafeBitCast(total, to: SIMD8<Int32>.self)
        #else
        let aLow = SIMD8<Int32>(repeating: (a &<< 16) &>> 16), aHigh = SIMD8<Int32>(repeating: a &>> 16)
        let bLow = (b &<< 16) &>> 16, bHigh = b &>> 16
        return sums &+ aLow &* bLow &+ aHigh &* bHigh
        #endif
    }
}
