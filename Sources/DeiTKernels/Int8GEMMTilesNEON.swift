import DeiTKernelTable

#if arch(arm64)
import _Builtin_intrinsics.arm.neon

// The aarch64 int8 tiles (Int8GEMMKernelTable.swift picks them). Both read the packed layout the
// other sets read (Int8GEMM.pack): per group of 32 inputs a 128-byte header (16 f32 weight scales,
// 16 int32 corrections), then 8 quads of 64 bytes, quad q holding for column c the four signed
// weights Wq[c, 4q..<4q+4] at byte 4c — so one 16-byte register is 4 columns × 4 inputs.
//
// NEON has no unsigned×signed byte multiply before i8mm (`usdot`), so the activations are made
// signed again: byte `q + 128` XOR 0x80 is the byte `q` as Int8 (q in [−127, 127], padding 0).
// The sums are then Σ Wq·q directly, the integer the portable kernel reaches by starting at the
// panel's corrections (−128·ΣWq) and adding Σ Wq·(q + 128): these tiles do not read the corrections.
// Per group, the int32 sums become Float(sum)·(sw·sa) added to the f32 sums — a multiply, a multiply
// and an add, never fused — so every tile gives the portable tile's bits.

/// Loads 16 bytes as a NEON register (the `vld1q_s8` macro does not import into Swift).
@inline(__always)
private func loadInt8x16(_ pointer: UnsafeRawPointer) -> int8x16_t {
    pointer.loadUnaligned(as: int8x16_t.self)
}

/// One row's 4 activation bytes (one quad), signed (XOR 0x80), in all four 32-bit lanes (`ld1r`).
@inline(__always)
private func broadcastSignedQuad(_ pointer: UnsafeRawPointer) -> int8x16_t {
    let quad = pointer.loadUnaligned(as: UInt32.self) ^ 0x8080_8080
    return unsafeBitCast(SIMD4<UInt32>(repeating: quad), to: int8x16_t.self)
}

/// Four f32 sums += Float(int32 sums)·(weight scales·activation scale), unfused, as the portable tile.
@inline(__always)
private func scaleAndAdd(_ scaled: float32x4_t, _ sums: int32x4_t, _ weightScales: float32x4_t,
                         _ activationScale: float32x4_t) -> float32x4_t {
    vaddq_f32(scaled, vmulq_f32(vcvtq_f32_s32(sums), vmulq_f32(weightScales, activationScale)))
}

/// `body(0)` … `body(rows − 1)` written out (rows ≤ 4): LLVM does not unroll a row loop this large by
/// itself, and a rolled loop keeps the `InlineArray` sums in memory instead of registers.
@inline(__always)
private func unrolledRows(_ rows: Int, _ body: (Int) -> Void) {
    if rows > 0 { body(0) }
    if rows > 1 { body(1) }
    if rows > 2 { body(2) }
    if rows > 3 { body(3) }
}

/// A group's int32 sums for `rows` rows × 16 columns: four blocks of 4 columns.
struct Int8GroupSums<let rows: Int> {
    var sums0 = InlineArray<rows, int32x4_t>(repeating: .zero)  // columns 0..<4
    var sums1 = InlineArray<rows, int32x4_t>(repeating: .zero)  // columns 4..<8
    var sums2 = InlineArray<rows, int32x4_t>(repeating: .zero)  // columns 8..<12
    var sums3 = InlineArray<rows, int32x4_t>(repeating: .zero)  // columns 12..<16
}

/// The NEON tiles' common frame: per group, the tile's `groupSums` (a call of its own, so the 16
/// f32 sums of 4 rows are not live in the integer loop: 16 int32 + 16 f32 sums alone would fill the
/// 32 q registers), then the f32 sums += Float(sum)·(sw·sa); finally bias and epilogue.
@inline(__always)
private func runNEONTile<let rows: Int>(
    quads: Int,
    a: UnsafePointer<UInt8>, lda: Int,  // [rows, 4·quads]
    aScales: UnsafePointer<Float>, ldScales: Int,  // [rows, ⌈quads/8⌉]
    panel: UnsafeRawPointer,  // [Int8GEMM.panelBytes(k)] bytes
    c: UnsafeMutablePointer<Float>, ldc: Int,  // [rows, columns]
    columns: Int,
    epilogue: GEMMEpilogue,
    groupSums: (_ groupQuads: Int, _ activations: UnsafeRawPointer, _ lda: Int, _ weights: UnsafeRawPointer) -> Int8GroupSums<rows>
) {
    // f32 sums, columns 0..<4, 4..<8, 8..<12, 12..<16 of each row.
    var scaled0 = InlineArray<rows, float32x4_t>(repeating: .zero)
    var scaled1 = InlineArray<rows, float32x4_t>(repeating: .zero)
    var scaled2 = InlineArray<rows, float32x4_t>(repeating: .zero)
    var scaled3 = InlineArray<rows, float32x4_t>(repeating: .zero)
    var weights = panel + Int8GEMM.headerBytes
    var activations = UnsafeRawPointer(a)
    var remaining = quads, group = 0
    while remaining > 0 {
        let groupQuads = min(remaining, quadsPerGroup)
        let sums = groupSums(groupQuads, activations, lda, weights + Int8GEMM.groupHeaderBytes)
        let weightScales0 = weights.loadUnaligned(as: float32x4_t.self)
        let weightScales1 = (weights + 16).loadUnaligned(as: float32x4_t.self)
        let weightScales2 = (weights + 32).loadUnaligned(as: float32x4_t.self)
        let weightScales3 = (weights + 48).loadUnaligned(as: float32x4_t.self)
        unrolledRows(rows) { row in
            let scale = vdupq_n_f32(aScales[row &* ldScales &+ group])
            scaled0[row] = scaleAndAdd(scaled0[row], sums.sums0[row], weightScales0, scale)
            scaled1[row] = scaleAndAdd(scaled1[row], sums.sums1[row], weightScales1, scale)
            scaled2[row] = scaleAndAdd(scaled2[row], sums.sums2[row], weightScales2, scale)
            scaled3[row] = scaleAndAdd(scaled3[row], sums.sums3[row], weightScales3, scale)
        }
        weights += Int8GEMM.groupHeaderBytes &+ 64 &* groupQuads
        activations += 4 &* groupQuads
        remaining &-= quadsPerGroup
        group &+= 1
    }
    for row in 0..<rows {
        let sums = SIMD16<Float>(lowHalf: SIMD8(lowHalf: scaled0[row], highHalf: scaled1[row]),
                                 highHalf: SIMD8(lowHalf: scaled2[row], highHalf: scaled3[row]))
        storeInt8TileRow(sums: sums, panel: panel, c: c + row &* ldc, columns: columns, epilogue: epilogue)
    }
}

/// The baseline NEON int8 tile (ARMv8.0: Cortex-A53/A72, Raspberry Pi 3/4): `rows`×16 with
/// `smull`/`smlal` into 16 bits, `addp` and `sadalp` into 32.
///
/// Per pair of quads and 4 columns (one 16-byte weight register per quad), for each row: `smull` and
/// `smlal` on the low halves (columns 0–1 of the four: 8 lanes, each the product of quad q plus the
/// product of quad q+1 for one input), `smull2`/`smlal2` on the high halves (columns 2–3), `addp`
/// on the two (each 16-bit lane then holds 4 products: one column, inputs j and j+1 of both quads),
/// `sadalp` adds lane pairs into the column's 32-bit sum. 16-bit range: before `addp` a lane holds
/// two products, |q·w| ≤ 127·127 each (32258); after it, inputs j and j+1 of both quads (j even):
/// two even-aligned weight pairs of |w| sum ≤ 128, so at most 127·256 = 32512 ≤ 32767 — no
/// saturation, no wrap. (Hence 2 quads per `addp`; a group's last odd quad goes alone.) The int32
/// sums of a group reach at most 127·16·128. Rows: 2 (Int8GEMMKernelTable.swift says why not 4).
struct Int8GEMMTileNEONMull<let rows: Int>: Int8GEMMTile {  // rows ≤ 4 (unrolledRows)
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
        runNEONTile(quads: quads, a: a, lda: lda, aScales: aScales, ldScales: ldScales, panel: panel, c: c, ldc: ldc,
                    columns: columns, epilogue: epilogue, groupSums: groupSums)
    }

    /// One group's int32 sums: `groupQuads` (1...8) quads of activations and weights (after the header).
    @inline(never)
    static func groupSums(_ groupQuads: Int, _ activations: UnsafeRawPointer, _ lda: Int,
                          _ weights: UnsafeRawPointer) -> Int8GroupSums<rows> {
        var result = Int8GroupSums<rows>()
        var weights = weights, activations = activations
        var quad = 0
        while quad &+ 2 <= groupQuads {
            // Each row's two quads, signed, broadcast, then one block of 4 columns at a time: its two
            // weight registers serve every row.
            var first = InlineArray<rows, int8x16_t>(repeating: .zero)
            var second = InlineArray<rows, int8x16_t>(repeating: .zero)
            unrolledRows(rows) { row in
                first[row] = broadcastSignedQuad(activations + row &* lda)
                second[row] = broadcastSignedQuad(activations + (row &* lda &+ 4))
            }
            @inline(__always)
            func twoQuads(_ sums: int32x4_t, _ w0: int8x16_t, _ w1: int8x16_t, _ row: Int) -> int32x4_t {
                let a0 = first[row], a1 = second[row]
                let low = vmlal_s8(vmull_s8(vget_low_s8(w0), vget_low_s8(a0)), vget_low_s8(w1), vget_low_s8(a1))
                let high = vmlal_high_s8(vmull_high_s8(w0, a0), w1, a1)
                return vpadalq_s16(sums, vpaddq_s16(low, high))
            }
            do {
                let w0 = loadInt8x16(weights), w1 = loadInt8x16(weights + 64)
                unrolledRows(rows) { row in result.sums0[row] = twoQuads(result.sums0[row], w0, w1, row) }
            }
            do {
                let w0 = loadInt8x16(weights + 16), w1 = loadInt8x16(weights + 80)
                unrolledRows(rows) { row in result.sums1[row] = twoQuads(result.sums1[row], w0, w1, row) }
            }
            do {
                let w0 = loadInt8x16(weights + 32), w1 = loadInt8x16(weights + 96)
                unrolledRows(rows) { row in result.sums2[row] = twoQuads(result.sums2[row], w0, w1, row) }
            }
            do {
                let w0 = loadInt8x16(weights + 48), w1 = loadInt8x16(weights + 112)
                unrolledRows(rows) { row in result.sums3[row] = twoQuads(result.sums3[row], w0, w1, row) }
            }
            weights += 128
            activations += 8
            quad &+= 2
        }
        if quad < groupQuads {  // the group's last quad when it has an odd count
            let w0 = loadInt8x16(weights), w1 = loadInt8x16(weights + 16)
            let w2 = loadInt8x16(weights + 32), w3 = loadInt8x16(weights + 48)
            unrolledRows(rows) { row in
                let a0 = broadcastSignedQuad(activations + row &* lda)
                let a0Low = vget_low_s8(a0)
                @inline(__always)
                func oneQuad(_ sums: int32x4_t, _ first: int8x16_t) -> int32x4_t {
                    vpadalq_s16(sums, vpaddq_s16(vmull_s8(vget_low_s8(first), a0Low), vmull_high_s8(first, a0)))
                }
                result.sums0[row] = oneQuad(result.sums0[row], w0)
                result.sums1[row] = oneQuad(result.sums1[row], w1)
                result.sums2[row] = oneQuad(result.sums2[row], w2)
                result.sums3[row] = oneQuad(result.sums3[row], w3)
            }
            weights += 64
            activations += 4
        }
        return result
    }
}

#if DEIT_DOTPROD
/// The ARMv8.2 dot-product tile (`sdot`, FEAT_DotProd: Cortex-A55/A76 and later, Neoverse, Apple):
/// `rows`×16, one `sdot` per 4 columns × 4 inputs × row: each 32-bit lane of the sum gains the dot
/// product of one column's 4 weights with the row's 4 (signed) activations, broadcast from one
/// 32-bit lane of a register holding 4 quads of the row (`sdot v.4s, w.16b, a.4b[lane]`). A group's
/// int32 sums reach at most 127·16·128. 4 rows: 16 accumulators + 4 weights + 4 activation registers
/// (as XNNPACK's 4x16c4 neondot).
struct Int8GEMMTileNEONDot<let rows: Int>: Int8GEMMTile {  // rows ≤ 4 (unrolledRows)
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
        runNEONTile(quads: quads, a: a, lda: lda, aScales: aScales, ldScales: ldScales, panel: panel, c: c, ldc: ldc,
                    columns: columns, epilogue: epilogue, groupSums: groupSums)
    }

    /// One group's int32 sums: `groupQuads` (1...8) quads of activations and weights (after the header).
    @inline(never)
    static func groupSums(_ groupQuads: Int, _ activations: UnsafeRawPointer, _ lda: Int,
                          _ weights: UnsafeRawPointer) -> Int8GroupSums<rows> {
        var result = Int8GroupSums<rows>()
        var weights = weights, activations = activations
        let signFlip = int8x16_t(repeating: -128)  // XOR 0x80 in every byte
        @inline(__always)
        func accumulate(_ row: Int, _ quadsOfRow: int8x16_t, lane: Int) {
            // One quad of the row in every lane; LLVM folds the splat into sdot's by-element form.
            let quad = unsafeBitCast(SIMD4<Int32>(repeating: unsafeBitCast(quadsOfRow, to: SIMD4<Int32>.self)[lane]),
                                     to: int8x16_t.self)
            let w = weights + 64 &* lane
            result.sums0[row] = vdotq_s32(result.sums0[row], loadInt8x16(w), quad)
            result.sums1[row] = vdotq_s32(result.sums1[row], loadInt8x16(w + 16), quad)
            result.sums2[row] = vdotq_s32(result.sums2[row], loadInt8x16(w + 32), quad)
            result.sums3[row] = vdotq_s32(result.sums3[row], loadInt8x16(w + 48), quad)
        }
        var quad = 0
        while quad &+ 4 <= groupQuads {  // 4 quads: 16 activation bytes per row
            var quadsOfRows = InlineArray<rows, int8x16_t>(repeating: .zero)
            unrolledRows(rows) { row in
                quadsOfRows[row] = veorq_s8(loadInt8x16(activations + row &* lda), signFlip)
            }
            unrolledRows(rows) { row in accumulate(row, quadsOfRows[row], lane: 0) }
            unrolledRows(rows) { row in accumulate(row, quadsOfRows[row], lane: 1) }
            unrolledRows(rows) { row in accumulate(row, quadsOfRows[row], lane: 2) }
            unrolledRows(rows) { row in accumulate(row, quadsOfRows[row], lane: 3) }
            weights += 256
            activations += 16
            quad &+= 4
        }
        while quad < groupQuads {  // the group's last 1–3 quads, one at a time
            unrolledRows(rows) { row in accumulate(row, broadcastSignedQuad(activations + row &* lda), lane: 0) }
            weights += 64
            activations += 4
            quad &+= 1
        }
        return result
    }
}
#endif
#endif
