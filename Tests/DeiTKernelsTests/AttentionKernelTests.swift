import DeiTKernels
import Testing
import DeiTTestSupport

struct AttentionShape: Sendable, CustomStringConvertible {
    let tokens: Int, headDim: Int
    var description: String { "T=\(tokens) hd=\(headDim)" }
}

@Suite("AttentionKernel")
struct AttentionKernelTests {
    @Test("one head inside a 3-head qkv buffer matches the reference", arguments: [
        AttentionShape(tokens: 7, headDim: 64), AttentionShape(tokens: 13, headDim: 64),
        AttentionShape(tokens: 197, headDim: 64), AttentionShape(tokens: 198, headDim: 64),
        AttentionShape(tokens: 7, headDim: 24), AttentionShape(tokens: 13, headDim: 24),
        AttentionShape(tokens: 197, headDim: 24), AttentionShape(tokens: 198, headDim: 24),
        AttentionShape(tokens: 50, headDim: 64), AttentionShape(tokens: 577, headDim: 64),
        AttentionShape(tokens: 1, headDim: 64),
    ])
    func matchesReference(shape: AttentionShape) {
        let (tokens, headDim) = (shape.tokens, shape.headDim)
        let heads = 3, head = 1
        let width = heads * headDim  // D
        let ldQKV = 3 * width
        var random = SeededGenerator(seed: UInt64(tokens * 100 + headDim))
        // Larger spread than N(0, 1) activations so the softmax is far from uniform.
        let qkv = GuardedBuffer(random.floats(tokens * ldQKV, in: -2...2))
        let scale = 1 / Float(headDim).squareRoot()
        let scratch = GuardedBuffer(count: AttentionKernel.scratchCount(tokens: tokens, headDim: headDim))
        let sentinel: Float = -777
        let out = GuardedBuffer([Float](repeating: sentinel, count: tokens * width))

        AttentionKernel.head(
            tokens: tokens, headDim: headDim,
            q: qkv.pointer + head * headDim, k: qkv.pointer + width + head * headDim,
            v: qkv.pointer + 2 * width + head * headDim, ldQKV: ldQKV, scale: scale,
            scratch: scratch.pointer, out: out.pointer + head * headDim, ldOut: width)

        let expected = Reference.attentionHead(
            tokens: tokens, headDim: headDim, qkv: qkv.values, ldQKV: ldQKV,
            qColumn: head * headDim, kColumn: width + head * headDim, vColumn: 2 * width + head * headDim,
            scale: scale)
        // Scores err by ≈ hd·u·Σ|q·k|·scale (≤ ~1e-5 here); that relative error carries into the
        // probabilities, and out is a convex combination of values in [-2, 2].
        var tracker = ToleranceTracker()
        var othersUntouched = true
        for t in 0..<tokens {
            for column in 0..<width {
                let got = out[t * width + column]
                let d = column - head * headDim
                if d < 0 || d >= headDim {
                    othersUntouched = othersUntouched && got == sentinel
                } else {
                    tracker.check(got, expected[t * headDim + d], tolerance: 2e-5)
                }
            }
        }
        print("attention \(shape): max abs error \(tracker.worstError)")
        #expect(tracker.failures == 0, "\(shape): worst error \(tracker.worstError)")
        #expect(othersUntouched, "\(shape): wrote outside the head's columns")
    }

    @Test("the last head of the buffer, head dims not a multiple of 8 or 24: nothing read past it",
          arguments: [20, 40, 64])
    func lastHead(headDim: Int) {
        let (tokens, heads) = (29, 2)
        let width = heads * headDim, ldQKV = 3 * width, head = heads - 1
        var random = SeededGenerator(seed: UInt64(headDim))
        // V of the last head ends the buffer, right before a guard page.
        let qkv = GuardedBuffer(random.floats(tokens * ldQKV, in: -2...2))
        let scratch = GuardedBuffer(count: AttentionKernel.scratchCount(tokens: tokens, headDim: headDim))
        let out = GuardedBuffer(count: tokens * width)
        AttentionKernel.head(
            tokens: tokens, headDim: headDim,
            q: qkv.pointer + head * headDim, k: qkv.pointer + width + head * headDim,
            v: qkv.pointer + 2 * width + head * headDim, ldQKV: ldQKV, scale: 1 / Float(headDim).squareRoot(),
            scratch: scratch.pointer, out: out.pointer + head * headDim, ldOut: width)
        let expected = Reference.attentionHead(
            tokens: tokens, headDim: headDim, qkv: qkv.values, ldQKV: ldQKV,
            qColumn: head * headDim, kColumn: width + head * headDim, vColumn: 2 * width + head * headDim,
            scale: 1 / Float(headDim).squareRoot())
        var tracker = ToleranceTracker()
        for t in 0..<tokens {
            for d in 0..<headDim { tracker.check(out[t * width + head * headDim + d], expected[t * headDim + d], tolerance: 2e-5) }
        }
        #expect(tracker.failures == 0, "hd \(headDim): worst error \(tracker.worstError)")
    }

    @Test("identical keys give a uniform average of the values")
    func uniformAttention() {
        let (tokens, headDim) = (5, 24)
        let ldQKV = 3 * headDim
        var random = SeededGenerator(seed: 5)
        var qkv = random.floats(tokens * ldQKV)
        for t in 0..<tokens {  // every key equal to the first
            for d in 0..<headDim { qkv[t * ldQKV + headDim + d] = qkv[headDim + d] }
        }
        var scratch = [Float](repeating: .nan, count: AttentionKernel.scratchCount(tokens: tokens, headDim: headDim))
        var out = [Float](repeating: .nan, count: tokens * headDim)
        qkv.withUnsafeBufferPointer { base in
            let p = base.baseAddress!
            AttentionKernel.head(
                tokens: tokens, headDim: headDim, q: p, k: p + headDim, v: p + 2 * headDim, ldQKV: ldQKV,
                scale: 0.125, scratch: &scratch, out: &out, ldOut: headDim)
        }
        for d in 0..<headDim {
            let mean = (0..<tokens).reduce(0.0) { $0 + Double(qkv[$1 * ldQKV + 2 * headDim + d]) } / Double(tokens)
            for t in 0..<tokens { #expect(abs(Double(out[t * headDim + d]) - mean) < 1e-6) }
        }
    }
}
