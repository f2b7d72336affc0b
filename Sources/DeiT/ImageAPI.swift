import CDeiTSupport
import DeiTRuntime

// Thin @_cdecl thunks for images: check every pointer, size and handle, call the runtime, turn
// errors into statuses. Declared in include/deit.h.

@_cdecl("deit_preprocess_rgb8")
public func deit_preprocess_rgb8(_ handle: OpaquePointer?, _ rgb: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32,
                                 _ strideBytes: Int32, _ outCHW: UnsafeMutablePointer<Float>?, _ outCount: Int) -> deit_status {
    guard let model = Handles.object(handle, magic: HandleMagic.model, as: Model.self) else {
        return fail(.invalidArgument, "deit_preprocess_rgb8: model is NULL or not a live model handle")
    }
    guard let rgb else { return fail(.invalidArgument, "deit_preprocess_rgb8: rgb is NULL") }
    guard let outCHW else { return fail(.invalidArgument, "deit_preprocess_rgb8: out_chw is NULL") }
    let size = model.config.imageSize
    guard outCount == model.config.inputCount else {
        return fail(.invalidArgument,
                    "deit_preprocess_rgb8: out_count is \(UInt(bitPattern: outCount)); this model takes 3×\(size)×\(size) = \(model.config.inputCount)")
    }
    do {
        let pixels = try RGBPixels(base: rgb, width: Int(width), height: Int(height), strideBytes: Int(strideBytes))
        let transform = try EvalTransform(imageSize: size)
        try transform.apply(to: pixels, output: outCHW)
        return DEIT_OK
    } catch {
        return fail(.init(error.status, "deit_preprocess_rgb8: \(error.message)"))
    }
}

@_cdecl("deit_classify_rgb8")
public func deit_classify_rgb8(_ handle: OpaquePointer?, _ rgb: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32,
                               _ strideBytes: Int32, _ k: Int32, _ top: UnsafeMutablePointer<deit_prediction>?) -> deit_status {
    guard let session = Handles.object(handle, magic: HandleMagic.session, as: Session.self) else {
        return fail(.invalidArgument, "deit_classify_rgb8: session is NULL or not a live session handle")
    }
    guard let rgb else { return fail(.invalidArgument, "deit_classify_rgb8: rgb is NULL") }
    guard let top else { return fail(.invalidArgument, "deit_classify_rgb8: top is NULL") }
    guard let count = validCount(k, session) else {
        return fail(.invalidArgument, "deit_classify_rgb8: k is \(k); it must be between 1 and \(session.model.config.numClasses)")
    }
    do {
        let pixels = try RGBPixels(base: rgb, width: Int(width), height: Int(height), strideBytes: Int(strideBytes))
        try session.prepareInput(pixels)
        try classifyPrepared(session, count: count, top: top)
        return DEIT_OK
    } catch {
        return fail(.init(error.status, "deit_classify_rgb8: \(error.message)"))
    }
}

@_cdecl("deit_classify_file")
public func deit_classify_file(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ k: Int32,
                               _ top: UnsafeMutablePointer<deit_prediction>?) -> deit_status {
    guard let session = Handles.object(handle, magic: HandleMagic.session, as: Session.self) else {
        return fail(.invalidArgument, "deit_classify_file: session is NULL or not a live session handle")
    }
    guard let path else { return fail(.invalidArgument, "deit_classify_file: path is NULL") }
    guard let top else { return fail(.invalidArgument, "deit_classify_file: top is NULL") }
    guard let count = validCount(k, session) else {
        return fail(.invalidArgument, "deit_classify_file: k is \(k); it must be between 1 and \(session.model.config.numClasses)")
    }
    do {
        let image = try RGBImage.load(path: path)
        try session.prepareInput(image.view)
        try classifyPrepared(session, count: count, top: top)
        return DEIT_OK
    } catch {
        return fail(error)
    }
}

@_cdecl("deit_class_label")
public func deit_class_label(_ handle: OpaquePointer?, _ classIndex: Int32) -> UnsafePointer<CChar>? {
    guard let model = Handles.object(handle, magic: HandleMagic.model, as: Model.self),
          model.config.numClasses == ImageNetLabels.count else { return nil }
    return ImageNetLabels.name(Int(classIndex))
}

/// k as a count when 1 ≤ k ≤ the session's class count.
private func validCount(_ k: Int32, _ session: Session) -> Int? {
    k >= 1 && Int(k) <= session.model.config.numClasses ? Int(k) : nil
}

/// Runs the session's prepared input and writes the top `count` classes to the caller's array.
private func classifyPrepared(_ session: Session, count: Int, top: UnsafeMutablePointer<deit_prediction>) throws(DeiTError) {
    try session.classifyPreparedInput(count: count) { index, prediction in
        top[index] = deit_prediction(class_index: Int32(truncatingIfNeeded: prediction.classIndex),
                                     logit: prediction.logit, probability: prediction.probability)
    }
}
