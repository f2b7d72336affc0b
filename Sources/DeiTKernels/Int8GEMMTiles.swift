import DeiTKernelTable

#if DEIT_AVX2 || DEIT_AVX512
import _Builtin_intrinsics.intel
#endif

/// Quads of inputs per scale: `Int8GEMM.groupSize` / 4.
let quadsPerGroup = 8

/// The portable int8 tile: `rows`×16, a group's int32 sums in one `SIMD16<Int32>` per row (starting
/// at the panel's corrections, as the unsigned activations need), scaled into one `SIMD16<Float>` per
/// row. Plain Swift, for builds without an int8 kernel of their own (and the reference the others
/// must match bit for bit).
struct Int8GEMMTilePortable<let rows: Int>: Int8GEMMTile {
    static var rowCount: Int { rows }

    @inline(never)
    static func run(
        quads: Int,
        a: UnsafePointer<UInt8>, lda: Int,  // [rows, 4·quads]
        aScales: UnsafePointer<Float>, ldScales: Int,  // [rows, ⌈quads/8⌉]
        panel: UnsafeRawPointer,  // [Int8GEMM.panelBytes(k)] bytes
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rows, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    ) {
        var scaled = InlineArray<rows, SIMD16<Float>>(repeating: .zero)
        var groupStart = panel + Int8GEMM.headerBytes
        var firstQuad = 0, group = 0
        while firstQuad < quads {
            let weightScales = loadSIMD16(groupStart.assumingMemoryBound(to: Float.self))
            let corrections = groupStart + 64
            var start = SIMD16<Int32>.zero
            for column in 0..<16 { start[column] = corrections.load(fromByteOffset: column &* 4, as: Int32.self) }
            var weights = (groupStart + Int8GEMM.groupHeaderBytes).assumingMemoryBound(to: Int8.self)
            var sums = InlineArray<rows, SIMD16<Int32>>(repeating: start)
            for quad in firstQuad..<min(quads, firstQuad &+ quadsPerGroup) {
                for lane in 0..<4 {
                    var column16 = SIMD16<Int32>.zero
                    for column in 0..<16 { column16[column] = Int32(weights[4 &* column &+ lane]) }
                    for row in 0..<rows {
                        sums[row] &+= column16 &* Int32(a[row &* lda &+ 4 &* quad &+ lane])
                    }
                }
                weights += 64
            }
            for row in 0..<rows {
                var floats = SIMD16<Float>.zero
                for column in 0..<16 { floats[column] = Float(sums[row][column]) }
                let scale = weightScales * SIMD16<Float>(repeating: aScales[row &* ldScales &+ group])
                scaled[row] = scaled[row] + floats * scale
            }
            groupStart = UnsafeRawPointer(weights)
            firstQuad &+= quadsPerGroup
            group &+= 1
        }
        for row in 0..<rows {
            storeInt8TileRow(sums: scaled[row], panel: panel, c: c + row &* ldc, columns: columns, epilogue: epilogue)
        }
    }
}

#if DEIT_AVX2 || DEIT_AVX512
/// One quad step of the ymm int8 tile: 8 int32 sums += the dot products of a row's broadcast
/// activation quad (4 unsigned bytes, `q + 128`) with 8 columns' signed weight quads.
protocol YMMQuadDot {
    static func accumulate(_ sums: SIMD4<Int64>, _ quad: SIMD4<Int64>, _ weights: SIMD4<Int64>) -> SIMD4<Int64>
}

/// AVX2: `vpmaddubsw` multiplies and adds byte pairs into 16 bits — at most 255·128 = 32640 (a pair's |w|
/// sum to ≤ 128), below
/// the 32767 where it would saturate — `vpmaddwd` with ones adds the two pairs of a quad into 32
/// bits, then `vpaddd` (the ones stay in a register: LLVM hoists the constant).
enum YMMQuadDotAVX2: YMMQuadDot {
    @inline(__always)
    static func accumulate(_ sums: SIMD4<Int64>, _ quad: SIMD4<Int64>, _ weights: SIMD4<Int64>) -> SIMD4<Int64> {
        _mm256_add_epi32(sums, _mm256_madd_epi16(_mm256_maddubs_epi16(quad, weights), _mm256_set1_epi16(1)))
    }
}

/// The ymm int8 tile: `rows`×16 in 2·`rows` ymm int32 accumulators (8 columns each) per group of 32
/// inputs, then 2·`rows` ymm Float32 sums across the groups.
///
/// Per quad of inputs: the panel's 64 bytes are two ymm of 8 columns' quads (signed, |w| ≤ 64), each
/// row's four unsigned activation bytes (`q + 128` ≤ 255) are broadcast as one 32-bit value
/// (`vpbroadcastd`) and `Dot` adds their products into the row's sums: AVX2's three instructions
/// (`YMMQuadDotAVX2`) or AVX-VNNI's `vpdpbusd` (`YMMQuadDotVNNI`). Each group's sums start at the
/// panel's corrections (−128·ΣWq). After 8 quads: `vcvtdq2ps`, times the group's scales (weight per
/// column × activation per row), added to the Float32 sums. 6 rows: 12 accumulators + 2 weights +
/// the broadcast (+ AVX2's ones): all 16 ymm.
struct Int8GEMMTileYMM<let rows: Int, Dot: YMMQuadDot>: Int8GEMMTile {
    static var rowCount: Int { rows }

    @inline(never)
    static func run(
        quads: Int,
        a: UnsafePointer<UInt8>, lda: Int,  // [rows, 4·quads]
        aScales: UnsafePointer<Float>, ldScales: Int,  // [rows, ⌈quads/8⌉]
        panel: UnsafeRawPointer,  // [Int8GEMM.panelBytes(k)] bytes
        c: UnsafeMutablePointer<Float>, ldc: Int,  // [rows, columns]
        columns: Int,
        epilogue: GEMMEpilogue
    ) {
        var scaledLow = InlineArray<rows, SIMD8<Float>>(repeating: .zero)  // columns 0..<8
        var scaledHigh = InlineArray<rows, SIMD8<Float>>(repeating: .zero)  // columns 8..<16
        var weights = panel + Int8GEMM.headerBytes
        var activations = UnsafeRawPointer(a)
        var remaining = quads, group = 0
        while remaining > 0 {
            let weightScales = weights.assumingMemoryBound(to: Float.self)
            let weightScalesLow = loadSIMD8(weightScales), weightScalesHigh = loadSIMD8(weightScales + 8)
            let correctionLow = (weights + 64).loadUnaligned(as: SIMD4<Int64>.self)
            let correctionHigh = (weights + 96).loadUnaligned(as: SIMD4<Int64>.self)
            weights += Int8GEMM.groupHeaderBytes
            var low = InlineArray<rows, SIMD4<Int64>>(repeating: correctionLow)
            var high = InlineArray<rows, SIMD4<Int64>>(repeating: correctionHigh)
            for _ in 0..<min(remaining, quadsPerGroup) {
                let weightsLow = weights.loadUnaligned(as: SIMD4<Int64>.self)
                let weightsHigh = (weights + 32).loadUnaligned(as: SIMD4<Int64>.self)
                for row in 0..<rows {
                    let quad = _mm256_set1_epi32((activations + row &* lda).loadUnaligned(as: Int32.self))
                    low[row] = Dot.accumulate(low[row], quad, weightsLow)
                    high[row] = Dot.accumulate(high[row], quad, weightsHigh)
                }
                weights += 64
                activations += 4
            }
            for row in 0..<rows {
                let scale = SIMD8<Float>(repeating: aScales[row &* ldScales &+ group])
                let scaleLow = _mm256_mul_ps(weightScalesLow, scale), scaleHigh = _mm256_mul_ps(weightScalesHigh, scale)
                scaledLow[row] = _mm256_add_ps(scaledLow[row], _mm256_mul_ps(_mm256_cvtepi32_ps(low[row]), scaleLow))
                scaledHigh[row] = _mm256_add_ps(scaledHigh[row], _mm256_mul_ps(_mm256_cvtepi32_ps(high[row]), scaleHigh))
            }
            remaining &-= quadsPerGroup
            group &+= 1
        }
        for row in 0..<rows {
            storeInt8TileRow(sums: SIMD16<Float>(lowHalf: scaledLow[row], highHalf: scaledHigh[row]), panel: panel,
                             c: c + row &* ldc, columns: columns, epilogue: epilogue)
        }
    }
}

/// The AVX2 activation quantiser, one group of 32 at a time: |x| maximum over four ymm, then the 32
/// values multiplied by 127/max and rounded to nearest even (`vcvtps2dq`), packed with signed
/// saturation to 16 bits and then to bytes, clamped below at −127 and offset by 128 as `xor 0x80`.
/// The same bits as the scalar clamp: products lie in [−127, 127] (|x| ≤ max, `inverseStep`), and a
/// NaN product converts to 0x80000000, which saturates to −128 and is clamped to −127 as the scalar
/// quantiser's NaN. 10 instructions per 32 values from the products to the bytes, where clamping and
/// offsetting in 32 bits took 20. A last partial group goes through the scalar quantiser.
func quantizeRowAVX2(k: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<UInt8>,
                     scales: UnsafeMutablePointer<Float>) {
    let magnitudeMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff))
    let lower = _mm256_set1_epi8(Int8(-Int8GEMM.activationLimit))
    let offset = _mm256_set1_epi8(Int8(bitPattern: UInt8(Int8GEMM.activationOffset)))
    // vpackssdw then vpacksswb leave the 32 bytes' quads in the order 0, 2, 4, 6, 1, 3, 5, 7.
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)
    var start = 0, group = 0
    while start &+ 32 <= k {
        let source = x + start
        let v0 = loadSIMD8(source), v1 = loadSIMD8(source + 8), v2 = loadSIMD8(source + 16), v3 = loadSIMD8(source + 24)
        let maxima = _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(v0, magnitudeMask), _mm256_and_ps(v1, magnitudeMask)),
                                   _mm256_max_ps(_mm256_and_ps(v2, magnitudeMask), _mm256_and_ps(v3, magnitudeMask)))
        // The eight lanes' maximum in three shuffles; NaN lanes count as 0, as the scalar loop
        // `max(largest, lane)` skips them (the values are magnitudes, so 0 is neutral).
        let ordered = maxima.replacing(with: 0, where: maxima .!= maxima)
        var four = _mm_max_ps(ordered.lowHalf, ordered.highHalf)
        four = _mm_max_ps(four, _mm_movehl_ps(four, four))
        four = _mm_max_ss(four, _mm_movehdup_ps(four))
        let largest = _mm_cvtss_f32(four)
        let inverse = Int8GEMM.inverseStep(largest, limit: Int8GEMM.activationLimit)
        let factor = SIMD8<Float>(repeating: inverse)
        func rounded(_ v: SIMD8<Float>) -> SIMD4<Int64> { _mm256_cvtps_epi32(_mm256_mul_ps(v, factor)) }
        let signed = _mm256_packs_epi16(_mm256_packs_epi32(rounded(v0), rounded(v1)),
                                        _mm256_packs_epi32(rounded(v2), rounded(v3)))
        let bytes = _mm256_xor_si256(_mm256_max_epi8(signed, lower), offset)
        UnsafeMutableRawPointer(out + start).storeBytes(of: _mm256_permutevar8x32_epi32(bytes, order), as: SIMD4<Int64>.self)
        scales[group] = largest / Float(Int8GEMM.activationLimit)
        start &+= 32
        group &+= 1
    }
    if start < k {
        scales[group] = Int8GEMM.quantizeGroupScalar(count: k &- start, x: x + start, out: out + start)
    }
    for padding in k..<Int8GEMM.quantizedRowLength(k: k) { out[padding] = UInt8(Int8GEMM.activationOffset) }
}
#endif
