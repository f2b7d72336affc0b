extension Session {
    /// Classifies 8-bit RGB pixels: timm's eval transform (`EvalTransform`, crop_pct `cropPct` or the
    /// model's default) into the session's planned input buffer, the forward pass, then the
    /// `top.count` best classes, best first, with softmax probabilities. No heap allocation.
    public func classify(_ pixels: RGBPixels, cropPct: Double? = nil,
                         top: UnsafeMutableBufferPointer<Prediction>) throws(DeiTError) {
        try prepareInput(pixels, cropPct: cropPct)
        try classifyPreparedInput(count: top.count) { rank, prediction in top[rank] = prediction }
    }

    /// The first half of `classify`: preprocesses `pixels` into the session's input buffer.
    public func prepareInput(_ pixels: RGBPixels, cropPct: Double? = nil) throws(DeiTError) {
        let transform = try EvalTransform(imageSize: model.config.imageSize, cropPct: cropPct)
        try transform.apply(to: pixels, output: buffers.input, scratch: buffers.preprocessScratch)
    }

    /// The second half of `classify`: runs the prepared input, then calls `emit(rank, prediction)`
    /// for the `count` best classes, best first (see `TopK`).
    public func classifyPreparedInput(count: Int, emit: (Int, Prediction) -> Void) throws(DeiTError) {
        let classes = model.config.numClasses
        guard count >= 1, count <= classes else {
            throw DeiTError(.invalidArgument, "k is \(count); it must be between 1 and the number of classes, \(classes)")
        }
        forward(input: buffers.input, logits: buffers.logits, capture: nil)
        try TopK.select(logits: UnsafeBufferPointer(start: buffers.logits, count: classes), count: count, emit: emit)
    }

    /// The preprocessed input of the last `prepareInput` (3·S·S floats, CHW), valid until the next
    /// forward pass (which reuses that part of the arena).
    public var preparedInput: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: buffers.input, count: model.config.inputCount)
    }

    /// The logits of the last `classify` (numClasses floats), valid until the next forward pass.
    public var lastLogits: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: buffers.logits, count: model.config.numClasses)
    }
}
