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
        let transform = try model.preprocessing.transform()
        try transform.apply(to: pixels, output: outCHW)
        return DEIT_OK
    } catch {
        return fail(.init(error.status, "deit_preprocess_rgb8: \(error.message)"))
    }
}

@_cdecl("deit_classify_rgb8")
public func deit_classify_rgb8(_ handle: OpaquePointer?, _ rgb: UnsafePointer<UInt8>?, _ width: Int32, _ height: Int32,
                               _ strideBytes: Int32, _ k: Int32, _ top: UnsafeMutablePointer<deit_prediction>?) -> deit_status {
    let function = "deit_classify_rgb8"
    do {
        return try Handles.withSession(handle, function) { session throws(DeiTError) in
            guard let rgb else { throw DeiTError(.invalidArgument, "\(function): rgb is NULL") }
            let (top, count) = try checkedOutput(top, k, session, function)
            do throws(DeiTError) {
                let pixels = try RGBPixels(base: rgb, width: Int(width), height: Int(height), strideBytes: Int(strideBytes))
                try session.prepareInput(pixels)
            } catch {
                throw DeiTError(error.status, "\(function): \(error.message)")
            }
            classifyPrepared(session, count: count, top: top)
            return DEIT_OK
        }
    } catch {
        return fail(error)
    }
}

@_cdecl("deit_classify_file")
public func deit_classify_file(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ k: Int32,
                               _ top: UnsafeMutablePointer<deit_prediction>?) -> deit_status {
    classifyFile(handle, path, nil, k, top, "deit_classify_file")
}

@_cdecl("deit_classify_file_with_limits")
public func deit_classify_file_with_limits(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?,
                                           _ limits: UnsafePointer<deit_limits>?, _ k: Int32,
                                           _ top: UnsafeMutablePointer<deit_prediction>?) -> deit_status {
    classifyFile(handle, path, limits, k, top, "deit_classify_file_with_limits")
}

private func classifyFile(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ limits: UnsafePointer<deit_limits>?,
                          _ k: Int32, _ top: UnsafeMutablePointer<deit_prediction>?, _ function: String) -> deit_status {
    do {
        return try Handles.withSession(handle, function) { session throws(DeiTError) in
            guard let path else { throw DeiTError(.invalidArgument, "\(function): path is NULL") }
            let (top, count) = try checkedOutput(top, k, session, function)
            let image = try RGBImage.load(path: path, limits: imageLimits(limits, function))
            try session.prepareInput(image.view)
            classifyPrepared(session, count: count, top: top)
            return DEIT_OK
        }
    } catch {
        return fail(error)
    }
}

@_cdecl("deit_class_label")
public func deit_class_label(_ handle: OpaquePointer?, _ classIndex: Int32) -> UnsafePointer<CChar>? {
    guard let model = Handles.object(handle, magic: HandleMagic.model, as: Model.self) else { return nil }
    return model.classLabels.name(Int(classIndex))
}

/// The caller's result array and k as a count, when `top` is not NULL and 1 ≤ k ≤ the class count.
private func checkedOutput(_ top: UnsafeMutablePointer<deit_prediction>?, _ k: Int32, _ session: Session,
                           _ function: String) throws(DeiTError) -> (UnsafeMutablePointer<deit_prediction>, TopKCount) {
    guard let top else { throw DeiTError(.invalidArgument, "\(function): top is NULL") }
    do throws(DeiTError) {   // before any work, so a bad k fails before the file is read
        return (top, try TopKCount(Int(k), classes: session.model.config.numClasses))
    } catch {
        throw DeiTError(error.status, "\(function): \(error.message)")
    }
}

/// Runs the session's prepared input and writes the top `count` classes to the caller's array.
private func classifyPrepared(_ session: Session, count: TopKCount, top: UnsafeMutablePointer<deit_prediction>) {
    session.classifyPreparedInput(count: count) { index, prediction in
        top[index] = deit_prediction(class_index: Int32(truncatingIfNeeded: prediction.classIndex),
                                     logit: prediction.logit, probability: prediction.probability)
    }
}
