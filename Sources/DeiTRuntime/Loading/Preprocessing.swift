/// The eval transform's parameters for a model: its description's pretrained_cfg values, else
/// deit's defaults (ImageNet mean/std, bicubic, centre crop, crop_pct 0.9 or 1.0 from 384 px up).
/// Resolved once at load; `transform(cropPct:)` builds the `EvalTransform` for each image without
/// allocating.
public struct Preprocessing: Sendable {
    public var imageSize: Int
    public var cropPct: Described<Double>
    public var interpolation: Described<Interpolation>
    public var cropMode: Described<CropMode>
    public var mean: Described<SIMD3<Float>>
    public var std: Described<SIMD3<Float>>

    /// The preprocessing of a model whose tensors run at `imageSize`, described by `description`.
    public init(description: ModelDescription, imageSize: Int) {
        self.imageSize = imageSize
        cropPct = description.cropPct ?? Described(EvalTransform.defaultCropPct(imageSize: imageSize), .defaults)
        interpolation = description.interpolation ?? Described(.bicubic, .defaults)
        cropMode = description.cropMode ?? Described(.center, .defaults)
        mean = description.mean ?? Described(EvalTransform.imageNetMean, .defaults)
        std = description.std ?? Described(EvalTransform.imageNetStd, .defaults)
    }

    /// The transform, with `cropPct` overriding the model's when given. An interpolation or crop
    /// mode deit does not implement is `.unsupported`, naming where the model's value came from.
    public func transform(cropPct override: Double? = nil) throws(DeiTError) -> EvalTransform {
        do {
            return try EvalTransform(imageSize: imageSize, cropPct: override ?? cropPct.value, mean: mean.value,
                                     std: std.value, interpolation: interpolation.value, cropMode: cropMode.value)
        } catch where error.status == .unsupported {
            let source = interpolation.value == .bicubic || interpolation.value == .bilinear ? cropMode.source : interpolation.source
            throw DeiTError(.unsupported, "\(error.message) (the model's, from \(source.name))")
        }
    }
}
