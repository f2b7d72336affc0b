import CDeiTSupport
import DeiTRuntime

// Thin @_cdecl thunks: check every pointer and handle, call the runtime, turn errors into statuses.

@_cdecl("deit_model_load_file")
public func deit_model_load_file(_ path: UnsafePointer<CChar>?, _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    loadFile(path, nil, outModel, "deit_model_load_file")
}

@_cdecl("deit_model_load_file_with_limits")
public func deit_model_load_file_with_limits(_ path: UnsafePointer<CChar>?, _ limits: UnsafePointer<deit_limits>?,
                                             _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    loadFile(path, limits, outModel, "deit_model_load_file_with_limits")
}

@_cdecl("deit_model_load_memory")
public func deit_model_load_memory(_ data: UnsafeRawPointer?, _ size: Int, _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    loadMemory(data, size, nil, outModel, "deit_model_load_memory")
}

@_cdecl("deit_model_load_memory_with_limits")
public func deit_model_load_memory_with_limits(_ data: UnsafeRawPointer?, _ size: Int, _ limits: UnsafePointer<deit_limits>?,
                                               _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    loadMemory(data, size, limits, outModel, "deit_model_load_memory_with_limits")
}

private func loadFile(_ path: UnsafePointer<CChar>?, _ limits: UnsafePointer<deit_limits>?,
                      _ outModel: UnsafeMutablePointer<OpaquePointer?>?, _ function: String) -> deit_status {
    guard let outModel else { return fail(.invalidArgument, "\(function): out_model is NULL") }
    outModel.pointee = nil
    guard let path else { return fail(.invalidArgument, "\(function): path is NULL") }
    do {
        return publish(try Model.load(path: path, limits: loadLimits(limits, function)), to: outModel)
    } catch {
        return fail(error)
    }
}

private func loadMemory(_ data: UnsafeRawPointer?, _ size: Int, _ limits: UnsafePointer<deit_limits>?,
                        _ outModel: UnsafeMutablePointer<OpaquePointer?>?, _ function: String) -> deit_status {
    guard let outModel else { return fail(.invalidArgument, "\(function): out_model is NULL") }
    outModel.pointee = nil
    guard let data else { return fail(.invalidArgument, "\(function): data is NULL") }
    // size_t values above Int.max arrive negative here.
    guard size >= 0 else { return fail(.invalidArgument, "\(function): size \(UInt(bitPattern: size)) is too large") }
    do {
        let bytes = UnsafeRawBufferPointer(start: data, count: size)
        return publish(try Model(bytes: bytes, limits: loadLimits(limits, function)), to: outModel)
    } catch {
        return fail(error)
    }
}

private func publish(_ model: Model, to outModel: UnsafeMutablePointer<OpaquePointer?>) -> deit_status {
    guard let handle = Handles.make(model, magic: HandleMagic.model) else {
        return fail(.outOfMemory, "could not allocate a model handle")
    }
    outModel.pointee = handle
    return DEIT_OK
}

@_cdecl("deit_model_free")
public func deit_model_free(_ model: OpaquePointer?) {
    Handles.release(model, magic: HandleMagic.model, as: Model.self)
}

@_cdecl("deit_model_get_info")
public func deit_model_get_info(_ handle: OpaquePointer?, _ outInfo: UnsafeMutablePointer<deit_model_info>?) -> deit_status {
    guard let model = Handles.object(handle, magic: HandleMagic.model, as: Model.self) else {
        return fail(.invalidArgument, "deit_model_get_info: model is NULL or not a live model handle")
    }
    guard let outInfo else { return fail(.invalidArgument, "deit_model_get_info: out_info is NULL") }
    let config = model.config
    outInfo.pointee = deit_model_info(
        image_size: Int32(config.imageSize), patch_size: Int32(config.patchSize), embed_dim: Int32(config.embedDim),
        depth: Int32(config.depth), num_heads: Int32(config.numHeads), num_classes: Int32(config.numClasses),
        num_tokens: Int32(config.numTokens), distilled: config.distilled ? 1 : 0,
        num_params: UInt64(model.parameterCount), weight_bytes: UInt64(model.weightBytes))
    return DEIT_OK
}
