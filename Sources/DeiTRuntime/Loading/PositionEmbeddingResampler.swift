/// Running a model at another image size than it was trained at: `pos_embed` resampled once at load,
/// exactly as timm 1.0.31's `timm.layers.pos_embed.resample_abs_pos_embed(posemb, new_size,
/// num_prefix_tokens=…, interpolation='bicubic', antialias=True)` (what timm's
/// `checkpoint_filter_fn` does when a model is created with another `img_size`).
///
/// timm keeps the prefix tokens (class, distillation) unchanged and hands the (1, D, G, G) patch grid
/// to `torch.nn.functional.interpolate(mode='bicubic', antialias=True, align_corners=False)` in
/// float32, which is PyTorch's `_upsample_bicubic2d_aa` (the CPU kernel in `UpSampleKernel.cpp`):
/// separable, the width axis first, then the height axis. Per axis (in → out), with scale = in/out:
///
///     support  = 2·scale when downscaling (scale ≥ 1), else 2; invscale = 1/scale, else 1
///     center_i = scale·(i + 0.5);  taps j in [xmin, xmin + xsize) with
///     xmin     = max(trunc(center − support + 0.5), 0),  xmax = min(trunc(center + support + 0.5), in)
///     w_j      = cubic((j − center + 0.5)·invscale), a = −0.5 (Keys, as Pillow); weights / Σ weights
///
/// This is not plain bicubic even when upsampling: plain `interpolate(mode='bicubic')` uses a = −0.75
/// and clamps at the border, while the antialiased kernel uses a = −0.5 and renormalises the taps
/// that fall inside the grid (on a random 14→18 grid the two differ by up to 0.26).
///
/// Every rounding step follows the float32 kernel of the PyTorch 2.x x86-64 wheels, whose compiler
/// fused some multiply-adds, so the result is bit-identical to torch 2.13's on the committed
/// fixtures (`Tests/Fixtures/resolution`): the filter is evaluated with fused multiply-adds; a
/// weighted sum starts from the first tap's rounded product, adds the following taps in blocks of
/// four as separately rounded products while at least four remain, and fuses the rest.
///
/// Non-square grids are handled here (height and width resample independently); `ModelConfig`
/// itself stays square.
struct PositionEmbeddingResampler {
    /// The schema slot whose region this fills.
    static let slot = SlotPosition(block: nil, slot: TopTensor.posEmbed.rawValue)

    /// Reads the checkpoint's `pos_embed` (validated: `trainedPosEmbedTokens` rows) and writes it
    /// resampled to `config`'s grid at `destination` (`posEmbedTokens` rows; the prefix rows, none
    /// when `noEmbedClass`, copied as timm keeps them).
    static func fill(from tensor: TensorInfo, source: TensorSource, config: ModelConfig,
                     into destination: UnsafeMutablePointer<Float>) throws(DeiTError) {
        let trained = config.trainedGridSize, grid = config.gridSize
        guard tensor.elementCount == config.trainedPosEmbedTokens * config.embedDim else {
            throw DeiTError(.invalidArgument, "pos_embed resampling: tensor \(quotedName(tensor.name)) does not fit its slot")
        }
        let staging = try AlignedBuffer(byteCount: try checkedProduct(tensor.elementCount, 4, "pos_embed"), purpose: "pos_embed resampling")
        try source.readFloats(tensor, into: staging.floats)
        try resample(staging.floats, prefixTokens: config.posEmbedPrefixTokens, dim: config.embedDim,
                     from: (trained, trained), to: (grid, grid), into: destination)
    }

    /// Resamples `source` (prefix + oldHeight·oldWidth tokens of `dim` floats, row-major grid) into
    /// `destination` (prefix + newHeight·newWidth tokens). Equal sizes copy. Allocates its scratch
    /// (oldHeight·newWidth·dim floats) once; load time only.
    static func resample(_ source: UnsafePointer<Float>, prefixTokens: Int, dim: Int,
                         from old: (height: Int, width: Int), to new: (height: Int, width: Int),
                         into destination: UnsafeMutablePointer<Float>) throws(DeiTError) {
        guard prefixTokens >= 0, dim >= 1, old.height >= 1, old.width >= 1, new.height >= 1, new.width >= 1 else {
            throw DeiTError(.invalidArgument, "pos_embed resampling: empty grid")
        }
        let prefixFloats = try checkedProduct(prefixTokens, dim, "pos_embed")
        destination.update(from: source, count: prefixFloats)
        let oldGrid = source + prefixFloats
        let newGrid = destination + prefixFloats
        if old == new {
            newGrid.update(from: oldGrid, count: try checkedProduct(try checkedProduct(old.height, old.width, "pos_embed"), dim, "pos_embed"))
            return
        }
        let columns = try AxisTaps(from: old.width, to: new.width)
        let rows = try AxisTaps(from: old.height, to: new.height)
        // Width pass: (oldHeight, oldWidth, D) → (oldHeight, newWidth, D).
        let scratch = try AlignedBuffer(
            byteCount: try checkedProduct(try checkedProduct(try checkedProduct(old.height, new.width, "pos_embed scratch"), dim,
                                                             "pos_embed scratch"), 4, "pos_embed scratch"),
            purpose: "pos_embed resampling")
        let middle = scratch.floats
        for y in 0..<old.height {
            columns.apply(oldGrid + y * old.width * dim, stride: dim, count: dim, into: middle + y * new.width * dim,
                          outputStride: dim)
        }
        // Height pass: (oldHeight, newWidth, D) → (newHeight, newWidth, D); a row is newWidth·D floats.
        let rowFloats = new.width * dim
        rows.apply(middle, stride: rowFloats, count: rowFloats, into: newGrid, outputStride: rowFloats)
    }
}

/// The taps of one axis: for output i, `size[i]` input positions from `start[i]`, with weights
/// `weights[i·maxTaps + j]`.
private struct AxisTaps {
    let outputs: Int
    let maxTaps: Int
    var start: [Int]
    var size: [Int]
    var weights: [Float]

    init(from input: Int, to output: Int) throws(DeiTError) {
        // torch: scale = (float)in / out; support = (interp_size/2)·scale when scale ≥ 1, else 2;
        // max_interp_size = ceil(support)·2 + 1. Grids are at most a few hundred wide.
        guard input <= 1 << 20, output <= 1 << 20 else {
            throw DeiTError(.outOfMemory, "pos_embed resampling: grid too large")
        }
        let scale = Float(input) / Float(output)
        let support: Float = scale >= 1 ? Float(2.0 * Double(scale)) : 2
        let invScale: Float = scale >= 1 ? Float(1.0 / Double(scale)) : 1
        let maxTaps = Int(support.rounded(.up)) * 2 + 1
        outputs = output
        self.maxTaps = maxTaps
        start = [Int](repeating: 0, count: output)
        size = [Int](repeating: 0, count: output)
        weights = [Float](repeating: 0, count: output * maxTaps)
        for i in 0..<output {
            // C++: float center = scale * (i + 0.5) (in double, rounded); center ± support in float,
            // + 0.5 in double, truncated.
            let center = Float(Double(scale) * (Double(i) + 0.5))
            let low = max(Int(Double(center - support) + 0.5), 0)
            let high = min(Int(Double(center + support) + 0.5), input)
            let count = min(max(high - low, 0), maxTaps)
            var total: Float = 0
            for j in 0..<count {
                // (j + xmin - center + 0.5) * invscale: the int - float difference in float, the rest
                // in double, the filter's argument in float.
                let offset = Float(j + low) - center
                let w = keysCubic(Float((Double(offset) + 0.5) * Double(invScale)))
                weights[i * maxTaps + j] = w
                total += w
            }
            if total != 0 {
                for j in 0..<count { weights[i * maxTaps + j] /= total }
            }
            start[i] = low
            size[i] = count
        }
    }

    /// For each of `count` interleaved lanes (lane l at `source + l`), resamples the `input`-long
    /// sequence at `stride` into `outputs` values at `outputStride` apart.
    func apply(_ source: UnsafePointer<Float>, stride: Int, count: Int,
               into destination: UnsafeMutablePointer<Float>, outputStride: Int) {
        weights.withUnsafeBufferPointer { weights in
            for i in 0..<outputs {
                let taps = size[i]
                let w = weights.baseAddress.map { $0 + i * maxTaps }
                guard let w, taps >= 1 else {
                    (destination + i * outputStride).update(repeating: 0, count: count)
                    continue
                }
                let first = source + start[i] * stride
                let output = destination + i * outputStride
                for lane in 0..<count {
                    let values = first + lane
                    var sum = values[0] * w[0]
                    var j = 1
                    // Blocks of four separately rounded products, then fused multiply-adds (the
                    // order and rounding of torch's compiled loop).
                    while taps - j >= 4 {
                        sum += values[j * stride] * w[j]
                        sum += values[(j + 1) * stride] * w[j + 1]
                        sum += values[(j + 2) * stride] * w[j + 2]
                        sum += values[(j + 3) * stride] * w[j + 3]
                        j += 4
                    }
                    while j < taps {
                        sum.addProduct(values[j * stride], w[j])
                        j += 1
                    }
                    output[lane] = sum
                }
            }
        }
    }
}

/// Keys' cubic convolution kernel with a = −0.5, as PyTorch's `aa_filter` for bicubic evaluates it
/// (its multiply-adds fused): |x| < 1: ((a+2)|x| − (a+3))·x² + 1; |x| < 2: ((a|x| − 5a)|x| + 8a)|x| − 4a.
private func keysCubic(_ value: Float) -> Float {
    let x = abs(value)
    let a: Float = -0.5
    if x < 1 {
        let t = (-(a + 3)).addingProduct(a + 2, x) * x
        return Float(1).addingProduct(t, x)
    }
    if x < 2 {
        let t = (-5 * a).addingProduct(a, x)
        let u = (8 * a).addingProduct(t, x)
        return (-4 * a).addingProduct(u, x)
    }
    return 0
}

extension ModelConfig {
    /// This configuration run at `imageSize` pixels (0: as trained): the patch grid, token count and
    /// preprocessing follow; the checkpoint's grid stays `trainedGridSize`. `.invalidArgument` unless
    /// the size is a positive multiple of the patch size; `.outOfMemory` above `limits.maxTokens`.
    package func running(atImageSize imageSize: Int, limits: LoadLimits = .default) throws(DeiTError) -> ModelConfig {
        if imageSize == 0 { return self }
        guard imageSize > 0, imageSize % patchSize == 0 else {
            throw DeiTError(.invalidArgument,
                            "image size \(imageSize) is not a positive multiple of the model's patch size \(patchSize)")
        }
        let grid = imageSize / patchSize
        // grid ≤ maxTokens first, so grid² cannot overflow.
        guard grid <= limits.maxTokens, numPrefixTokens + grid * grid <= limits.maxTokens else {
            throw DeiTError(.outOfMemory,
                            "image size \(imageSize) needs \(grid)×\(grid) patches + \(numPrefixTokens) prefix token(s), above the maxTokens limit (\(limits.maxTokens))")
        }
        var config = self
        config.imageSize = imageSize
        return config
    }
}

extension Checkpoint {
    /// The same checkpoint, its configuration run at `imageSize` (0: as trained); see
    /// `ModelConfig.running(atImageSize:limits:)`.
    package func running(atImageSize imageSize: Int, limits: LoadLimits = .default) throws(DeiTError) -> Checkpoint {
        var checkpoint = self
        checkpoint.config = try config.running(atImageSize: imageSize, limits: limits)
        return checkpoint
    }
}
