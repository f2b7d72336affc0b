@testable import DeiTKernels
import DeiTKernelTable
import Testing
import DeiTTestSupport

/// Attention with 16-bit integer scores (`Int16AttentionKernel`): the row quantiser against the scalar
/// rule, the score tiles against exact integer sums (same bits), and whole heads against a
/// double-precision reference on the dequantised Q and K.
@Suite("Int16 attention")
struct Int16AttentionKernelTests {
    /// Ragged token counts (partial 24- and 16-column panels, 1) and head widths (odd, under 8 and 16).
    static let shapes: [AttentionShape] = [
        AttentionShape(tokens: 1, headDim: 64), AttentionShape(tokens: 7, headDim: 24),
        AttentionShape(tokens: 16, headDim: 48), AttentionShape(tokens: 17, headDim: 64),
        AttentionShape(tokens: 50, headDim: 80), AttentionShape(tokens: 197, headDim: 64),
        AttentionShape(tokens: 33, headDim: 3), AttentionShape(tokens: 5, headDim: 1),
        AttentionShape(tokens: 70, headDim: 37),
    ]

    /// The quantiser's rule, written out: scale max|x|/limit (NaN skipped), each x·(limit/max) clamped
    /// to ±limit (NaN to −limit) and rounded to nearest even.
    static func referenceQuantized(_ x: [Float]) -> (values: [Int16], scale: Float) {
        var largest: Float = 0
        for value in x where abs(value) > largest { largest = abs(value) }
        let limit = Float(Int16AttentionKernel.limit)
        let inverse = largest > 0 ? min(limit / largest, .greatestFiniteMagnitude) : 0
        let values = x.map { value -> Int16 in
            let v = value * inverse
            let clamped = v > -limit ? (v < limit ? v : limit) : -limit
            return Int16(clamped.rounded(.toNearestOrEven))
        }
        return (values, largest / limit)
    }

    @Test("rows quantise as the scalar rule, on every width and on edge values",
          arguments: [1, 2, 7, 8, 15, 16, 17, 33, 64, 80, 511])
    func quantizerFollowsTheRule(count: Int) {
        var random = SeededGenerator(seed: UInt64(count))
        var cases: [[Float]] = [random.floats(count, in: -3...3), [Float](repeating: 0, count: count)]
        var edges = random.floats(count, in: -1...1)
        edges[0] = .nan
        if count > 2 { edges[2] = -1.5 }  // the maximum, negative
        if count > 5 { edges[5] = 0.75 * 1.5 / 2047 }  // a product of exactly 0.75 (round to 1) after scaling
        cases.append(edges)
        cases.append((0..<count).map { Float(bitPattern: UInt32($0 % 9) * 777) * ($0 % 2 == 0 ? 1 : -1) })  // subnormals
        cases.append((0..<count).map { Float($0 % 5) - 2 + 0.5 })  // ties at ±0.5, ±1.5, ±2.5 of max 2.5
        for x in cases {
            let expected = Self.referenceQuantized(x)
            var got = [Int16](repeating: 0x5A5A, count: 2 * Int16AttentionKernel.pairCount(count))
            let scale = x.withUnsafeBufferPointer { Int16AttentionKernel.quantizeRow($0.baseAddress!, count: count, into: &got) }
            #expect(scale.bitPattern == expected.scale.bitPattern, "\(count): scale \(scale) vs \(expected.scale)")
            #expect(Array(got.prefix(count)) == expected.values, "\(count): values differ")
            #expect(count % 2 == 0 || got[count] == 0, "\(count): the odd element's partner is not 0")
            #expect(got.allSatisfy { abs(Int($0)) <= Int16AttentionKernel.limit })
        }
    }

    /// Packs keys and quantises queries as the kernel does, then compares the tiles' scores with
    /// exact Int64 sums times the same two scales: bit for bit.
    @Test("score tiles give exact sums times the scales", arguments: shapes)
    func scoreTilesAreExact(shape: AttentionShape) {
        let (tokens, headDim) = (shape.tokens, shape.headDim)
        var random = SeededGenerator(seed: UInt64(tokens * 131 + headDim))
        let ldK = headDim + 3
        let k = random.floats(tokens * ldK, in: -2...2)  // [tokens, ldK]
        let m = min(tokens, 11)
        let q = random.floats(m * headDim, in: -5...5)  // [m, headDim]
        let pairs = Int16AttentionKernel.pairCount(headDim), scale: Float = 0.125
        var packed = [UInt8](repeating: 0xA5, count: Int16AttentionKernel.packedKeysByteCount(tokens: tokens, headDim: headDim))
        Int16AttentionKernel.packKeys(tokens: tokens, headDim: headDim, k: k, ldK: ldK, scale: scale, into: &packed)
        var words = [Int32](repeating: 0, count: m * pairs), rowScales = [Float](repeating: 0, count: m)
        words.withUnsafeMutableBufferPointer { w in
            for row in 0..<m {
                rowScales[row] = q.withUnsafeBufferPointer {
                    Int16AttentionKernel.quantizeRow($0.baseAddress! + row * headDim, count: headDim,
                                                     into: UnsafeMutableRawPointer(w.baseAddress! + row * pairs).assumingMemoryBound(to: Int16.self))
                }
            }
        }
        var scores = [Float](repeating: -777, count: m * (tokens + 2))  // ldc past n: columns n..<n+2 untouched
        Int16AttentionTiles.multiply(m: m, n: tokens, pairs: pairs, a: words, aScales: rowScales, packed: packed,
                                 c: &scores, ldc: tokens + 2)
        var mismatches = 0
        for row in 0..<m {
            let qq = Self.referenceQuantized(Array(q[(row * headDim)..<((row + 1) * headDim)]))
            for token in 0..<tokens {
                let kk = Self.referenceQuantized(Array(k[(token * ldK)..<(token * ldK + headDim)]))
                var sum: Int64 = 0
                for i in 0..<headDim { sum += Int64(qq.values[i]) * Int64(kk.values[i]) }
                let expected = Float(sum) * (qq.scale * (kk.scale * scale))
                if scores[row * (tokens + 2) + token].bitPattern != expected.bitPattern { mismatches += 1 }
            }
            #expect(scores[row * (tokens + 2) + tokens] == -777 && scores[row * (tokens + 2) + tokens + 1] == -777)
        }
        #expect(mismatches == 0, "\(shape): \(mismatches) scores differ from the exact sums")
    }

    /// V's panels: per head column its scale max|v|/limit over the tokens and the words
    /// (v[2r] | v[2r+1] << 16) quantised by the scalar rule; columns past headDim all zero.
    @Test("values pack per column by the scalar rule", arguments: shapes)
    func valuesPackPerColumn(shape: AttentionShape) {
        let (tokens, headDim) = (shape.tokens, shape.headDim)
        var random = SeededGenerator(seed: UInt64(tokens * 7 + headDim * 3))
        let ldV = headDim + 5
        var v = random.floats(tokens * ldV, in: -3...3)  // [tokens, ldV]
        if headDim > 2 { for t in 0..<tokens { v[t * ldV + 2] = 0 } }  // a zero column
        v[0] = .nan  // skipped by its column's maximum, quantised to −limit
        var packed = [UInt8](repeating: 0xA5, count: Int16AttentionKernel.packedValuesByteCount(tokens: tokens, headDim: headDim))
        Int16AttentionKernel.packValues(tokens: tokens, headDim: headDim, v: v, ldV: ldV, into: &packed)
        let pairs = Int16AttentionKernel.pairCount(tokens)
        var wrong = 0, offset = 0, first = 0
        while first < headDim {
            let width = AttentionTiles.width(ofPanel: first / AttentionTiles.panelWidth, n: headDim)
            for c in 0..<width {
                let d = first + c
                let column = d < headDim ? (0..<tokens).map { v[$0 * ldV + d] } : [Float](repeating: 0, count: tokens)
                let expected = Self.referenceQuantized(column)
                let scale = packed.withUnsafeBytes { $0.load(fromByteOffset: offset + 4 * c, as: Float.self) }
                if scale.bitPattern != expected.scale.bitPattern { wrong += 1 }
                for r in 0..<pairs {
                    let word = packed.withUnsafeBytes { $0.load(fromByteOffset: offset + 4 * width + 4 * (r * width + c), as: Int32.self) }
                    let odd = 2 * r + 1 < tokens ? Int32(expected.values[2 * r + 1]) : 0
                    if word != (odd << 16) | (Int32(expected.values[2 * r]) & 0xFFFF) { wrong += 1 }
                }
            }
            offset += 4 * width * (pairs + 1)
            first += width
        }
        #expect(offset == packed.count && wrong == 0, "\(shape): \(wrong) scales or words differ")
    }

    /// Every element at ±limit over the widest head: the int32 sums reach 512·2047², one below
    /// wrapping at 2³¹ by 2,097,151, and must stay exact.
    @Test("sums at the limit over the widest head stay exact")
    func widestHeadAtTheLimit() {
        let headDim = Int16AttentionKernel.maximumHeadDim, tokens = 9, m = 5
        let k = (0..<(tokens * headDim)).map { i in (i / headDim) % 2 == 0 ? Float(1) : -1 }  // rows of +1 or −1
        let q = [Float](repeating: 1, count: m * headDim)
        let pairs = Int16AttentionKernel.pairCount(headDim)
        var packed = [UInt8](repeating: 0, count: Int16AttentionKernel.packedKeysByteCount(tokens: tokens, headDim: headDim))
        Int16AttentionKernel.packKeys(tokens: tokens, headDim: headDim, k: k, ldK: headDim, scale: 1, into: &packed)
        var words = [Int32](repeating: 0, count: m * pairs), rowScales = [Float](repeating: 0, count: m)
        words.withUnsafeMutableBufferPointer { w in
            for row in 0..<m {
                rowScales[row] = Int16AttentionKernel.quantizeRow(
                    q, count: headDim, into: UnsafeMutableRawPointer(w.baseAddress! + row * pairs).assumingMemoryBound(to: Int16.self))
            }
        }
        var scores = [Float](repeating: 0, count: m * tokens)
        Int16AttentionTiles.multiply(m: m, n: tokens, pairs: pairs, a: words, aScales: rowScales, packed: packed,
                                 c: &scores, ldc: tokens)
        let limit = Float(Int16AttentionKernel.limit)
        let exact = Float(Int64(headDim) * Int64(Int16AttentionKernel.limit) * Int64(Int16AttentionKernel.limit))
        #expect(Int64(headDim) * 2047 * 2047 < Int64(Int32.max))
        for row in 0..<m {
            for token in 0..<tokens {
                let expected = (token % 2 == 0 ? exact : -exact) * ((1 / limit) * (1 / limit))
                #expect(scores[row * tokens + token] == expected, "row \(row) token \(token): \(scores[row * tokens + token])")
            }
        }
    }

    @Test("a head matches unquantised attention within the steps, and row blocks give the same bits", arguments: shapes)
    func headMatchesTheDequantisedReference(shape: AttentionShape) {
        let (tokens, headDim) = (shape.tokens, shape.headDim)
        let heads = 3, head = 1, width = heads * headDim, ldQKV = 3 * width
        var random = SeededGenerator(seed: UInt64(tokens * 100 + headDim))
        let qkv = GuardedBuffer(random.floats(tokens * ldQKV, in: -2...2))  // [tokens, 3D]
        let scale = 1 / Float(headDim).squareRoot()
        let qColumn = head * headDim, kColumn = width + head * headDim, vColumn = 2 * width + head * headDim
        let keys = GuardedBuffer(count: max(1, (Int16AttentionKernel.packedKeysByteCount(tokens: tokens, headDim: headDim) + 3) / 4))
        let values = GuardedBuffer(count: max(1, (Int16AttentionKernel.packedValuesByteCount(tokens: tokens, headDim: headDim) + 3) / 4))
        let pieceRows = min(tokens, 64)
        let scratch = GuardedBuffer(count: Int16AttentionKernel.scratchCount(rows: pieceRows, tokens: tokens, headDim: headDim))
        let out = GuardedBuffer([Float](repeating: -777, count: tokens * width))
        let blocks = GuardedBuffer([Float](repeating: -777, count: tokens * width))
        Int16AttentionKernel.packHead(tokens: tokens, headDim: headDim, k: qkv.pointer + kColumn, v: qkv.pointer + vColumn,
                                      ldQKV: ldQKV, scale: scale, packedKeys: UnsafeMutableRawPointer(keys.pointer),
                                      packedValues: UnsafeMutableRawPointer(values.pointer))
        Int16AttentionKernel.rows(0..<tokens, tokens: tokens, headDim: headDim, q: qkv.pointer + qColumn, ldQKV: ldQKV,
                                  packedKeys: UnsafeRawPointer(keys.pointer), packedValues: UnsafeRawPointer(values.pointer),
                                  scratch: scratch.pointer, out: out.pointer + qColumn, ldOut: width)
        var first = 0
        while first < tokens {  // blocks of 13 rows, the last one first: any order, same bits
            let block = (tokens - 1) / 13 * 13 - first
            Int16AttentionKernel.rows(block..<min(tokens, block + 13), tokens: tokens, headDim: headDim,
                                      q: qkv.pointer + qColumn, ldQKV: ldQKV, packedKeys: UnsafeRawPointer(keys.pointer),
                                      packedValues: UnsafeRawPointer(values.pointer), scratch: scratch.pointer,
                                      out: blocks.pointer + qColumn, ldOut: width)
            first += 13
        }

        // Against attention in double precision on the unquantised Q, K and V: each of Q, K, V and E
        // is quantised with a step of 2⁻¹¹ of its maximum (|q|, |k|, |v| ≤ 2, E ≤ 1), which moves
        // the scores by ≈ 2⁻¹¹·scale·|q||k|·√hd and the outputs by a few steps of V at most.
        let exact = Reference.attentionHead(tokens: tokens, headDim: headDim, qkv: qkv.values, ldQKV: ldQKV,
                                            qColumn: qColumn, kColumn: kColumn, vColumn: vColumn, scale: scale)
        var tracker = ToleranceTracker()
        var othersUntouched = true, blocksAgree = true
        for t in 0..<tokens {
            for column in 0..<width {
                let got = out[t * width + column]
                blocksAgree = blocksAgree && got.bitPattern == blocks[t * width + column].bitPattern
                let d = column - qColumn
                if d < 0 || d >= headDim {
                    othersUntouched = othersUntouched && got == -777
                } else {
                    tracker.check(got, exact[t * headDim + d], tolerance: 4e-3)
                }
            }
        }
        #expect(tracker.failures == 0, "\(shape): worst error \(tracker.worstError)")
        #expect(othersUntouched, "\(shape): wrote outside the head's columns")
        #expect(blocksAgree, "\(shape): row blocks changed the bits")
    }
}
