/// Pillow's bicubic (or bilinear) resampling weights along one axis, reproduced operation for operation from
/// `precompute_coeffs` and `normalize_coeffs_8bpc` in Pillow's `libImaging/Resample.c`: the filter
/// support widens with the downscale factor (antialiasing), weights are computed in double,
/// normalised to sum 1, then converted to fixed point with 22 fractional bits and rounded half away
/// from zero.
struct ResampleAxis {
    /// Fractional bits of the fixed-point weights: 32 − 8 (pixel) − 2 (headroom), as Pillow.
    static let precisionBits = 22
    /// The accumulator's start value, one half in fixed point: round to nearest on the final shift.
    static let roundingHalf = Int32(1) << Int32(precisionBits - 1)

    let inputSize: Int
    /// Input pixels per output pixel.
    let scale: Double
    /// max(scale, 1): the filter is stretched when downscaling only.
    let filterScale: Double
    /// Half-width of the filter in input pixels (2 for bicubic, times filterScale).
    let support: Double
    /// Most taps any output position can have (Pillow's `ksize`).
    let maxTaps: Int
    /// Bilinear (Pillow's triangle filter, support 1) instead of bicubic (support 2).
    let bilinear: Bool

    init(inputSize: Int, outputSize: Int, bilinear: Bool = false) {
        self.bilinear = bilinear
        self.inputSize = inputSize
        // Pillow: (double)(in1 - in0) / outSize, where in0 = 0 and in1 = inSize are floats.
        scale = Double(Float(inputSize)) / Double(outputSize)
        filterScale = scale < 1 ? 1 : scale
        support = (bilinear ? 1 : 2) * filterScale
        maxTaps = Int(support.rounded(.up)) * 2 + 1
    }

    /// Keys' cubic convolution kernel with a = −0.5 (Pillow's `bicubic_filter`).
    static func bicubic(_ value: Double) -> Double {
        let a = -0.5
        let x = value < 0 ? -value : value
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// Pillow's `bilinear_filter`: the triangle 1 − |x| on (−1, 1).
    static func triangle(_ value: Double) -> Double {
        let x = value < 0 ? -value : value
        return x < 1 ? 1 - x : 0
    }

    /// The filter of this axis at `value`.
    @inline(__always)
    func filter(_ value: Double) -> Double {
        bilinear ? ResampleAxis.triangle(value) : ResampleAxis.bicubic(value)
    }

    /// The taps of output position `index`: the first input index, the tap count (≤ maxTaps), and
    /// the fixed-point weights written to `weights[0..<count]`.
    func taps(at index: Int, weights: UnsafeMutablePointer<Int32>) -> (first: Int, count: Int) {
        let center = (Double(index) + 0.5) * scale
        let inverseScale = 1 / filterScale
        var first = Int(center - support + 0.5)   // C's (int) cast: truncation toward zero
        if first < 0 { first = 0 }
        var end = Int(center + support + 0.5)
        if end > inputSize { end = inputSize }
        let count = end > first ? end - first : 0
        var sum = 0.0
        for x in 0..<count {
            sum += filter((Double(x + first) - center + 0.5) * inverseScale)
        }
        let one = Double(1 << ResampleAxis.precisionBits)
        for x in 0..<count {
            var weight = filter((Double(x + first) - center + 0.5) * inverseScale)
            if sum != 0 { weight /= sum }
            weights[x] = weight < 0 ? Int32(-0.5 + weight * one) : Int32(0.5 + weight * one)
        }
        return (first, count)
    }

    /// Pillow's `clip8`: a fixed-point sum back to a pixel value, clamped to 0…255.
    @inline(__always)
    static func clip8(_ sum: Int32) -> Int32 {
        let value = sum >> Int32(precisionBits)
        return value < 0 ? 0 : (value > 255 ? 255 : value)
    }
}
