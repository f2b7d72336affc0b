extension Session {
    /// Classifies 8-bit RGB pixels: timm's eval transform (`EvalTransform` with the model's
    /// `preprocessing`: mean, std, interpolation, crop mode, and crop_pct unless `cropPct` is given) into the session's input slot (Execution/InputSlot.swift), the forward pass,
    /// then the `top.count` best classes, best first, with softmax probabilities. No heap allocation.
    public func classify(_ pixels: RGBPixels, cropPct: Double? = nil,
                         top: UnsafeMutableBufferPointer<Prediction>) throws(DeiTError) {
        let count = try TopKCount(top.count, classes: model.config.numClasses)   // before any work
        try prepareInput(pixels, cropPct: cropPct)
        classifyPreparedInput(count: count) { rank, prediction in top[rank] = prediction }
    }

    /// The first half of `classify`: preprocesses `pixels` into the session's input slot.
    public func prepareInput(_ pixels: RGBPixels, cropPct: Double? = nil) throws(DeiTError) {
        let transform = try model.preprocessing.transform(cropPct: cropPct)
        try transform.apply(to: pixels, output: inputSlot, scratch: preprocessScratch)
    }

    /// After `prepareInput`: the pooled features of the prepared input into `features` (exactly
    /// `featureDim` floats). No heap allocation.
    public func embedPreparedInput(into features: UnsafeMutableBufferPointer<Float>) throws(DeiTError) {
        guard let base = features.baseAddress, features.count == model.config.featureDim else {
            throw DeiTError(.invalidArgument, "features has room for \(features.count) floats; this model gives \(model.config.featureDim)")
        }
        featuresFromInputSlot(into: base)
    }

    /// The second half of `classify`: runs the prepared input, then calls `emit(rank, prediction)`
    /// for the `count` best classes, best first (see `TopK`).
    /// (`count` was checked when the request came in, so a bad k never costs a pass.)
    public func classifyPreparedInput(count: TopKCount, emit: (Int, Prediction) -> Void) {
        TopK.select(logits: runFromInputSlot(), count: count, emit: emit)
    }

    /// The preprocessed input of the last `prepareInput` (3·S·S floats, CHW), valid until the next
    /// forward pass (which reuses that part of the arena).
    public var preparedInput: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(inputSlot)
    }

    /// The logits of the last `classify` (numClasses floats), valid until the next forward pass.
    public var lastLogits: UnsafeBufferPointer<Float> {
        logitsSlot
    }
}
