import Foundation

/// Deliberately simple reference implementations, the oracle for the optimised kernels: plain loops,
/// double accumulation, straight from the definitions. Never optimise these.
enum Reference {
    /// z[i, j] = bias[j] + Σ_p a[i, p]·w[j, p] (a: [m, k] with row stride lda, w: PyTorch [n, k]),
    /// with absSum[i, j] = |bias[j]| + Σ_p |a[i, p]·w[j, p]| for error bounds.
    static func linear(m: Int, n: Int, k: Int, a: [Float], lda: Int, weight: [Float], bias: [Float])
        -> (z: [Double], absSum: [Double])
    {
        var z = [Double](repeating: 0, count: m * n)
        var absSum = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = Double(bias[j])
                var magnitude = abs(Double(bias[j]))
                for p in 0..<k {
                    let product = Double(a[i * lda + p]) * Double(weight[j * k + p])
                    sum += product
                    magnitude += abs(product)
                }
                z[i * n + j] = sum
                absSum[i * n + j] = magnitude
            }
        }
        return (z, absSum)
    }

    /// GELU with the exact erf, in double.
    static func gelu(_ x: Double) -> Double {
        0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
    }

    /// LayerNorm of one row with the biased variance, in double.
    static func layerNorm(_ x: [Float], gamma: [Float], beta: [Float], epsilon: Float) -> [Double] {
        let count = Double(x.count)
        let mean = x.reduce(0.0) { $0 + Double($1) } / count
        let variance = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / count
        let inverseStd = 1 / (variance + Double(epsilon)).squareRoot()
        return x.indices.map { (Double(x[$0]) - mean) * inverseStd * Double(gamma[$0]) + Double(beta[$0]) }
    }

    /// Softmax of one row, in double.
    static func softmax(_ row: [Double]) -> [Double] {
        let maximum = row.max() ?? 0
        let exponentials = row.map { Foundation.exp($0 - maximum) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { $0 / total }
    }

    /// One attention head over a qkv buffer ([tokens, ldQKV]; q, k, v start at the given columns).
    static func attentionHead(
        tokens: Int, headDim: Int, qkv: [Float], ldQKV: Int,
        qColumn: Int, kColumn: Int, vColumn: Int, scale: Float
    ) -> [Double] {
        var out = [Double](repeating: 0, count: tokens * headDim)
        for t in 0..<tokens {
            var scores = [Double](repeating: 0, count: tokens)
            for s in 0..<tokens {
                var dot = 0.0
                for d in 0..<headDim {
                    dot += Double(qkv[t * ldQKV + qColumn + d]) * Double(qkv[s * ldQKV + kColumn + d])
                }
                scores[s] = Double(scale) * dot
            }
            let probabilities = softmax(scores)
            for d in 0..<headDim {
                var sum = 0.0
                for s in 0..<tokens {
                    sum += probabilities[s] * Double(qkv[s * ldQKV + vColumn + d])
                }
                out[t * headDim + d] = sum
            }
        }
        return out
    }

    /// Direct stride-P, P×P convolution without padding or bias: image [C, S, S], weight [D, C, P, P]
    /// → output [(S/P)², D] (patches in row-major grid order).
    static func patchConvolution(
        image: [Float], channels: Int, imageSize: Int, patchSize: Int, weight: [Float], outChannels: Int
    ) -> [Double] {
        let grid = imageSize / patchSize
        var out = [Double](repeating: 0, count: grid * grid * outChannels)
        for y in 0..<grid {
            for x in 0..<grid {
                for d in 0..<outChannels {
                    var sum = 0.0
                    for c in 0..<channels {
                        for kh in 0..<patchSize {
                            for kw in 0..<patchSize {
                                let pixel = image[(c * imageSize + y * patchSize + kh) * imageSize + x * patchSize + kw]
                                let w = weight[((d * channels + c) * patchSize + kh) * patchSize + kw]
                                sum += Double(pixel) * Double(w)
                            }
                        }
                    }
                    out[(y * grid + x) * outChannels + d] = sum
                }
            }
        }
        return out
    }
}
