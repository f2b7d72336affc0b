import DeiTKernels
import Testing
import DeiTTestSupport

/// The split form of attention the worker pool uses: `packHead` once, then `rows` over blocks of query
/// rows in any order must give exactly the bits of one whole-head call.
@Suite("AttentionKernel row blocks")
struct AttentionRowBlockTests {
    @Test("blocks of query rows, in any order, reproduce the whole head bit for bit", arguments: [
        (197, 64, 40), (198, 64, 7), (13, 24, 5), (50, 64, 50), (1, 64, 40),
    ])
    func blocksComposeExactly(tokens: Int, headDim: Int, block: Int) {
        let width = 2 * headDim, ldQKV = 3 * width  // two heads; use head 1
        var random = SeededGenerator(seed: UInt64(tokens * 31 + block))
        let qkv = random.floats(tokens * ldQKV, in: -2...2)
        let scale = 1 / Float(headDim).squareRoot()
        var whole = [Float](repeating: .nan, count: tokens * width)
        var split = [Float](repeating: .nan, count: tokens * width)
        var scratch = [Float](repeating: .nan, count: AttentionKernel.scratchCount(tokens: tokens, headDim: headDim))
        var keys = [Float](repeating: .nan, count: AttentionKernel.packedKeysCount(tokens: tokens, headDim: headDim))
        var values = [Float](repeating: .nan, count: AttentionKernel.packedValuesCount(tokens: tokens, headDim: headDim))
        var scores = [Float](repeating: .nan, count: AttentionKernel.scoresCount(rows: block, tokens: tokens))
        qkv.withUnsafeBufferPointer { base in
            let q = base.baseAddress! + headDim, k = q + width, v = q + 2 * width
            whole.withUnsafeMutableBufferPointer { out in
                AttentionKernel.head(tokens: tokens, headDim: headDim, q: q, k: k, v: v, ldQKV: ldQKV, scale: scale,
                                     scratch: &scratch, out: out.baseAddress! + headDim, ldOut: width)
            }
            AttentionKernel.packHead(tokens: tokens, headDim: headDim, k: k, v: v, ldQKV: ldQKV, scale: scale,
                                     packedKeys: &keys, packedValues: &values)
            let blocks = (tokens + block - 1) / block
            for index in (0..<blocks).reversed() {  // last block first: order must not matter
                let first = index * block
                split.withUnsafeMutableBufferPointer { out in
                    AttentionKernel.rows(first..<min(tokens, first + block), tokens: tokens, headDim: headDim,
                                         q: q, ldQKV: ldQKV, packedKeys: keys, packedValues: values,
                                         scores: &scores, out: out.baseAddress! + headDim, ldOut: width)
                }
            }
        }
        #expect(whole.elementsEqual(split) { $0 == $1 || ($0.isNaN && $1.isNaN) })
        #expect(!whole[headDim..<(headDim + headDim)].contains { $0.isNaN })
    }
}
