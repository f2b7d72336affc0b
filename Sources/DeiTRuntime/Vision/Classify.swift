extension Session {
    /// Classifies 8-bit RGB pixels: timm's eval transform (`EvalTransform`, crop_pct `cropPct` or the
    /// model's default) into the session's input slot (Execution/InputSlot.swift), the forward pass,
    /// then the `top.count` best classes, best first, with softmax probabilities. No heap allocation.
    public func classify(_ pixels: RGBPixels, cropPct: Double? = nil,
                         top: UnsafeMutableBufferPointer<Prediction>) throws(DeiTError) {
        try prepareInput(pixels, cropPct: cropPct)
        try classifyPreparedInput(count: top.count) { rank, prediction in top[rank] = prediction }
    }

    /// The first half of `classify`: preprocesses `pixels` into the session's input slot.
    public func prepareInput(_ pixels: RGBPixels, cropPct: Double? = nil) throws(DeiTError) {
        let transform = try EvalTransform(imageSize: model.config.imageSize, cropPct: cropPct)
        try transform.apply(to: pixels, output: inputSlot, scratch: preprocessScratch)
    }

    /// The second half of `classify`: runs the prepared input, then calls `emit(rank, prediction)`
    /// for the `count` best classes, best first (see `TopK`).
    public func classifyPreparedInput(count: Int, emit: (Int, Prediction) -> Void) throws(DeiTError) {
        // k is checked before the forward pass, so a bad k costs no pass (and leaves `lastLogits` alone).
        let k = try TopK.checkedCount(count, classes: model.config.numClasses)
        TopK.select(logits: runFromInputSlot(), checkedCount: k, emit: emit)
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
