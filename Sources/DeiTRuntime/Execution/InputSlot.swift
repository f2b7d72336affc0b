/// What the session lends the image path (Vision/): the arena's input slot, the preprocessing scratch
/// and the logits slot, and a forward pass from one to the other. The vision code uses only these,
/// never `buffers` or `forward`.
///
/// Lifetime contract (the slots share arena bytes with the forward pass's buffers; see
/// `ActivationSlot.lifetime`):
/// - `preprocessScratch` is live at step `.preprocess` only. It shares no bytes with `inputSlot`, but
///   every later step's buffers may overlap it: use it while writing the input slot, and keep nothing
///   in it across a forward pass.
/// - `inputSlot` holds what was written to it until the forward pass starts (patch extraction is its
///   last use); after a pass its contents are undefined.
/// - `logitsSlot` holds the logits of the last `runFromInputSlot()` until the next forward pass.
///
/// None of these allocate; like the rest of a session, use them from one thread at a time.
extension Session {
    /// The model input, (3, S, S) floats, CHW, 64-byte aligned: the image `runFromInputSlot()` classifies.
    var inputSlot: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: buffers.input, count: model.config.inputCount)
    }

    /// `EvalTransform.scratchBytes` bytes, 64-byte aligned, for preprocessing into `inputSlot`; valid
    /// only before the forward pass starts (it overlaps later steps' buffers).
    var preprocessScratch: UnsafeMutableRawBufferPointer {
        buffers.preprocessScratch
    }

    /// The logits, (C) floats, written by `runFromInputSlot()`; valid until the next forward pass.
    var logitsSlot: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: buffers.logits, count: model.config.numClasses)
    }

    /// Runs the forward pass on `inputSlot` into `logitsSlot`, which it returns (empty for a headless
    /// model, whose head is skipped: use `featuresFromInputSlot`).
    func runFromInputSlot() -> UnsafeBufferPointer<Float> {
        forward(input: buffers.input, logits: model.config.hasHead ? buffers.logits : nil, taps: ForwardTaps())
        return logitsSlot
    }

    /// Runs the forward pass on `inputSlot` up to the pooled features, written to `features`
    /// (`featureDim` floats, caller memory); the head is skipped.
    func featuresFromInputSlot(into features: UnsafeMutablePointer<Float>) {
        forward(input: buffers.input, logits: nil, taps: ForwardTaps(features: features))
    }
}
