import DeiTKernelTable

#if DEIT_AVX2 || DEIT_AVX512
import _Builtin_intrinsics.intel
#endif

/// Pairs of inputs per activation scale: `Int8GEMM.groupSize` / 2.
let pairsPerGroup = 16

/// The portable int8 tile: `rows`×16, a group's int32 sums in one `SIMD16<Int32>` per row, scaled
/// into one `SIMD16<Float>` per row. Plain Swift, for builds without an int8 kernel of their own (and
/// the reference the others must match bit for bit).
struct Int8GEMMTilePortable<let rows: Int>: Int8GEMMTile {
    static var rowCount: Int { rows }

    @inline(never)
    static func run(
        pairs: Int,
        a: UnsafePointer<Int16>, lda: Int,  // [rows, 2·pairs]
        aScales: UnsafePointer<Float>, ldScales: Int,  // [rows, ⌈pairs/16⌉]
        panel: UnsafeRawPointer,  // [Int8GEMM.panelBytes(k)] bytes
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rows, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    ) {
        var scaled = InlineArray<rows, SIMD16<Float>>(repeating: .zero)
        var groupStart = panel + Int8GEMM.headerBytes
        var firstPair = 0, group = 0
        while firstPair < pairs {
            let weightScales = loadSIMD16(groupStart.assumingMemoryBound(to: Float.self))
            var weights = (groupStart + 64).assumingMemoryBound(to: Int8.self)
            var sums = InlineArray<rows, SIMD16<Int32>>(repeating: .zero)
            for pair in firstPair..<min(pairs, firstPair &+ pairsPerGroup) {
                var even = SIMD16<Int32>.zero, odd = SIMD16<Int32>.zero
                for column in 0..<16 {
                    even[column] = Int32(weights[2 &* column])
                    odd[column] = Int32(weights[2 &* column &+ 1])
                }
                for row in 0..<rows {
                    let activations = a + row &* lda + 2 &* pair
                    sums[row] &+= even &* Int32(activations[0]) &+ odd &* Int32(activations[1])
                }
                weights += 32
            }
            for row in 0..<rows {
                var floats = SIMD16<Float>.zero
                for column in 0..<16 { floats[column] = Float(sums[row][column]) }
                let scale = weightScales * SIMD16<Float>(repeating: aScales[row &* ldScales &+ group])
                scaled[row] = scaled[row] + floats * scale
            }
            groupStart = UnsafeRawPointer(weights)
            firstPair &+= pairsPerGroup
            group &+= 1
        }
        for row in 0..<rows {
            storeInt8TileRow(sums: scaled[row], panel: panel, c: c + row &* ldc, columns: columns, epilogue: epilogue)
        }
    }
}

#if DEIT_AVX2 || DEIT_AVX512
/// The AVX2 int8 tile: `rows`×16 in 2·`rows` ymm int32 accumulators (8 columns each) per group of 32
/// inputs, then 2·`rows` ymm Float32 sums across the groups.
///
/// Per pair of inputs: the panel's 32 bytes are sign-extended to two ymm of 16-bit (column, pair)
/// values (`vpmovsxbw`), each row's two 16-bit activations are broadcast as one 32-bit value
/// (`vpbroadcastd`), and `vpmaddwd` multiplies and adds each pair into 32 bits: |a·w + a'·w'| ≤
/// 2·127·127 = 32258 before the 32-bit sum — no 16-bit sum exists to saturate — then `vpaddd`.
/// `vpmaddwd` does 16 multiply-adds where `vfmadd231ps` does 8, at the same rate on Zen 3. After 16
/// pairs: `vcvtdq2ps`, times the group's scales (weight per column × activation per row), added to
/// the Float32 sums.
struct Int8GEMMTileAVX2<let rows: Int>: Int8GEMMTile {
    static var rowCount: Int { rows }

    @inline(never)
    static func run(
        pairs: Int,
        a: UnsafePointer<Int16>, lda: Int,  // [rows, 2·pairs]
        aScales: UnsafePointer<Float>, ldScales: Int,  // [rows, ⌈pairs/16⌉]
        panel: UnsafeRawPointer,  // [Int8GEMM.panelBytes(k)] bytes
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rows, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    ) {
        var scaledLow = InlineArray<rows, SIMD8<Float>>(repeating: .zero)  // columns 0..<8
        var scaledHigh = InlineArray<rows, SIMD8<Float>>(repeating: .zero)  // columns 8..<16
        var weights = panel + Int8GEMM.headerBytes
        var activations = UnsafeRawPointer(a)
        let rowBytes = lda &* 2
        var remaining = pairs, group = 0
        while remaining > 0 {
            let weightScales = weights.assumingMemoryBound(to: Float.self)
            let weightScalesLow = loadSIMD8(weightScales), weightScalesHigh = loadSIMD8(weightScales + 8)
            weights += 64
            var low = InlineArray<rows, SIMD4<Int64>>(repeating: _mm256_setzero_si256())
            var high = InlineArray<rows, SIMD4<Int64>>(repeating: _mm256_setzero_si256())
            for _ in 0..<min(remaining, pairsPerGroup) {
                let weightsLow = _mm256_cvtepi8_epi16(weights.loadUnaligned(as: SIMD2<Int64>.self))
                let weightsHigh = _mm256_cvtepi8_epi16((weights + 16).loadUnaligned(as: SIMD2<Int64>.self))
                for row in 0..<rows {
                    let pair = _mm256_set1_epi32((activations + row &* rowBytes).loadUnaligned(as: Int32.self))
                    low[row] = _mm256_add_epi32(low[row], _mm256_madd_epi16(pair, weightsLow))
                    high[row] = _mm256_add_epi32(high[row], _mm256_madd_epi16(pair, weightsHigh))
                }
                weights += 32
                activations += 4
            }
            for row in 0..<rows {
                let scale = SIMD8<Float>(repeating: aScales[row &* ldScales &+ group])
                let scaleLow = _mm256_mul_ps(weightScalesLow, scale), scaleHigh = _mm256_mul_ps(weightScalesHigh, scale)
                scaledLow[row] = _mm256_add_ps(scaledLow[row], _mm256_mul_ps(_mm256_cvtepi32_ps(low[row]), scaleLow))
                scaledHigh[row] = _mm256_add_ps(scaledHigh[row], _mm256_mul_ps(_mm256_cvtepi32_ps(high[row]), scaleHigh))
            }
            remaining &-= pairsPerGroup
            group &+= 1
        }
        for row in 0..<rows {
            storeInt8TileRow(sums: SIMD16<Float>(lowHalf: scaledLow[row], highHalf: scaledHigh[row]), panel: panel,
                             c: c + row &* ldc, columns: columns, epilogue: epilogue)
        }
    }
}

/// The AVX2 activation quantiser, one group of 32 at a time: |x| maximum over four ymm, then the 32
/// values multiplied by 127/max, rounded to nearest even (`vcvtps2dq`), clamped to [−127, 127] in 32
/// bits and packed to 16 bits. A last partial group goes through the scalar quantiser, which gives
/// the same bits.
func quantizeRowAVX2(k: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Int16>,
                     scales: UnsafeMutablePointer<Float>) {
    let magnitudeMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff))
    let upper = _mm256_set1_epi32(127), lower = _mm256_set1_epi32(-127)
    let order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7)  // undoes vpackssdw's lane interleave
    var start = 0, group = 0
    while start &+ 32 <= k {
        let source = x + start
        let v0 = loadSIMD8(source), v1 = loadSIMD8(source + 8), v2 = loadSIMD8(source + 16), v3 = loadSIMD8(source + 24)
        let maxima = _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(v0, magnitudeMask), _mm256_and_ps(v1, magnitudeMask)),
                                   _mm256_max_ps(_mm256_and_ps(v2, magnitudeMask), _mm256_and_ps(v3, magnitudeMask)))
        // The eight lanes' maximum in three shuffles; NaN lanes count as 0, as the scalar loop
        // `max(largest, lane)` this replaced skipped them (the values are magnitudes, so 0 is neutral).
        let ordered = maxima.replacing(with: 0, where: maxima .!= maxima)
        var four = _mm_max_ps(ordered.lowHalf, ordered.highHalf)
        four = _mm_max_ps(four, _mm_movehl_ps(four, four))
        four = _mm_max_ss(four, _mm_movehdup_ps(four))
        let largest = _mm_cvtss_f32(four)
        let inverse: Float = largest > 0 ? 127 / largest : 0
        let factor = SIMD8<Float>(repeating: inverse)
        func quantized(_ v: SIMD8<Float>) -> SIMD4<Int64> {
            _mm256_max_epi32(_mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(v, factor)), upper), lower)
        }
        let destination = UnsafeMutableRawPointer(out + start)
        destination.storeBytes(of: _mm256_permutevar8x32_epi32(_mm256_packs_epi32(quantized(v0), quantized(v1)), order),
                               as: SIMD4<Int64>.self)
        (destination + 32).storeBytes(of: _mm256_permutevar8x32_epi32(_mm256_packs_epi32(quantized(v2), quantized(v3)), order),
                                      as: SIMD4<Int64>.self)
        scales[group] = largest / 127
        start &+= 32
        group &+= 1
    }
    if start < k {
        scales[group] = Int8GEMM.quantizeGroupScalar(count: k &- start, x: x + start, out: out + start)
    }
    if k % 2 == 1 { out[k] = 0 }
}
#endif
