import CDeiTSupport
import DeiTRuntime

// Thin @_cdecl thunks: check every pointer and handle, call the runtime, turn errors into statuses.

@_cdecl("deit_load_options_default")
public func deit_load_options_default(_ outOptions: UnsafeMutablePointer<deit_load_options>?) {
    guard let outOptions else { return }
    outOptions.pointee = defaultLoadOptions()
}

/// The documented defaults, with struct_size set.
private func defaultLoadOptions() -> deit_load_options {
    deit_load_options(struct_size: deit_api_load_options_size(), limits: nil, image_size: 0,
                      precision: Int32(bitPattern: DEIT_PRECISION_FILE.rawValue), config_json: nil, config_json_size: 0)
}

@_cdecl("deit_model_load_file_with_options")
public func deit_model_load_file_with_options(_ path: UnsafePointer<CChar>?, _ options: UnsafePointer<deit_load_options>?,
                                              _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    loadFile(path, options, outModel, "deit_model_load_file_with_options")
}

@_cdecl("deit_model_load_memory_with_options")
public func deit_model_load_memory_with_options(_ data: UnsafeRawPointer?, _ size: Int, _ options: UnsafePointer<deit_load_options>?,
                                                _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    loadMemory(data, size, options, outModel, "deit_model_load_memory_with_options")
}

// The older entry points: the *_with_options functions with default options (and the caller's limits).

@_cdecl("deit_model_load_file")
public func deit_model_load_file(_ path: UnsafePointer<CChar>?, _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    var options = defaultLoadOptions()
    return loadFile(path, &options, outModel, "deit_model_load_file")
}

@_cdecl("deit_model_load_file_with_limits")
public func deit_model_load_file_with_limits(_ path: UnsafePointer<CChar>?, _ limits: UnsafePointer<deit_limits>?,
                                             _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    var options = defaultLoadOptions()
    options.limits = limits
    return loadFile(path, &options, outModel, "deit_model_load_file_with_limits")
}

@_cdecl("deit_model_load_memory")
public func deit_model_load_memory(_ data: UnsafeRawPointer?, _ size: Int, _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    var options = defaultLoadOptions()
    return loadMemory(data, size, &options, outModel, "deit_model_load_memory")
}

@_cdecl("deit_model_load_memory_with_limits")
public func deit_model_load_memory_with_limits(_ data: UnsafeRawPointer?, _ size: Int, _ limits: UnsafePointer<deit_limits>?,
                                               _ outModel: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    var options = defaultLoadOptions()
    options.limits = limits
    return loadMemory(data, size, &options, outModel, "deit_model_load_memory_with_limits")
}

/// What deit_load_options asks for, checked before anything is read.
private struct LoadRequest {
    var limits: LoadLimits
    var imageSize: Int  // 0: as trained
    var precision: Precision?   // nil: the file's
    /// The caller's config.json text (nil: none given), valid during the call.
    var configJSON: UnsafeRawBufferPointer?

    init(_ options: UnsafePointer<deit_load_options>?, _ function: String) throws(DeiTError) {
        guard let options else {
            throw DeiTError(.invalidArgument, "\(function): options is NULL; fill a deit_load_options with deit_load_options_default()")
        }
        let given = try versionedStruct(options, size: deit_api_load_options_size(), oldest: deit_api_load_options_v0_size(),
                                        defaults: defaultLoadOptions(), "options",
                                        defaultFunction: "deit_load_options_default", function)
        switch UInt32(bitPattern: given.precision) {
        case DEIT_PRECISION_F32.rawValue: precision = .f32
        case DEIT_PRECISION_INT8.rawValue: precision = .int8
        case DEIT_PRECISION_FILE.rawValue: precision = nil
        default:
            throw DeiTError(.invalidArgument,
                            "\(function): options->precision is \(given.precision); use DEIT_PRECISION_F32 (0), DEIT_PRECISION_INT8 (1) or DEIT_PRECISION_FILE (2)")
        }
        guard given.image_size >= 0 else {
            throw DeiTError(.invalidArgument, "\(function): options->image_size is \(given.image_size); use 0 (as trained) or a multiple of the patch size in pixels")
        }
        limits = try loadLimits(given.limits, function)
        imageSize = Int(given.image_size)
        // size_t values above Int.max arrive negative here.
        let configSize = Int(bitPattern: UInt(given.config_json_size))
        if let text = given.config_json {
            guard configSize >= 0, configSize <= limits.maxConfigBytes else {
                throw DeiTError(.outOfMemory, "\(function): options->config_json_size is \(given.config_json_size), above the max_config_bytes limit (\(limits.maxConfigBytes))")
            }
            configJSON = UnsafeRawBufferPointer(start: UnsafeRawPointer(text), count: configSize)
        } else if given.config_json_size != 0 {
            throw DeiTError(.invalidArgument, "\(function): options->config_json is NULL but config_json_size is \(given.config_json_size)")
        }
    }
}

private func loadFile(_ path: UnsafePointer<CChar>?, _ options: UnsafePointer<deit_load_options>?,
                      _ outModel: UnsafeMutablePointer<OpaquePointer?>?, _ function: String) -> deit_status {
    guard let outModel else { return fail(.invalidArgument, "\(function): out_model is NULL") }
    outModel.pointee = nil
    guard let path else { return fail(.invalidArgument, "\(function): path is NULL") }
    do {
        let request = try LoadRequest(options, function)
        return publish(try Model.load(path: path, limits: request.limits, imageSize: request.imageSize,
                                      configJSON: request.configJSON, precision: request.precision), to: outModel)
    } catch {
        return fail(error)
    }
}

private func loadMemory(_ data: UnsafeRawPointer?, _ size: Int, _ options: UnsafePointer<deit_load_options>?,
                        _ outModel: UnsafeMutablePointer<OpaquePointer?>?, _ function: String) -> deit_status {
    guard let outModel else { return fail(.invalidArgument, "\(function): out_model is NULL") }
    outModel.pointee = nil
    guard let data else { return fail(.invalidArgument, "\(function): data is NULL") }
    // size_t values above Int.max arrive negative here.
    guard size >= 0 else { return fail(.invalidArgument, "\(function): size \(UInt(bitPattern: size)) is too large") }
    do {
        let request = try LoadRequest(options, function)
        let bytes = UnsafeRawBufferPointer(start: data, count: size)
        return publish(try Model(bytes: bytes, limits: request.limits, imageSize: request.imageSize,
                                 configJSON: request.configJSON, precision: request.precision), to: outModel)
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

@_cdecl("deit_model_get_precision")
public func deit_model_get_precision(_ handle: OpaquePointer?, _ outPrecision: UnsafeMutablePointer<Int32>?) -> deit_status {
    guard let model = Handles.object(handle, magic: HandleMagic.model, as: Model.self) else {
        return fail(.invalidArgument, "deit_model_get_precision: model is NULL or not a live model handle")
    }
    guard let outPrecision else { return fail(.invalidArgument, "deit_model_get_precision: out_precision is NULL") }
    switch model.precision {
    case .f32: outPrecision.pointee = Int32(DEIT_PRECISION_F32.rawValue)
    case .int8: outPrecision.pointee = Int32(DEIT_PRECISION_INT8.rawValue)
    }
    return DEIT_OK
}

@_cdecl("deit_model_get_info")
public func deit_model_get_info(_ handle: OpaquePointer?, _ outInfo: UnsafeMutablePointer<deit_model_info>?) -> deit_status {
    guard let model = Handles.object(handle, magic: HandleMagic.model, as: Model.self) else {
        return fail(.invalidArgument, "deit_model_get_info: model is NULL or not a live model handle")
    }
    guard let outInfo else { return fail(.invalidArgument, "deit_model_get_info: out_info is NULL") }
    // An output struct: the caller's struct_size says how many bytes we may write.
    let full = deit_api_model_info_size(), oldest = deit_api_model_info_v0_size()
    let given = UnsafeRawPointer(outInfo).load(as: UInt.self)
    guard given >= UInt(oldest) else {
        return fail(.invalidArgument,
                    "deit_model_get_info: out_info->struct_size is \(given); set it to sizeof(deit_model_info) (\(full)) first")
    }
    // Whole fields only: the largest layout that fits — 0.1.0's (without feature_dim/output_dim),
    // the next (without num_prefix_tokens), or all of ours.
    let withDims = deit_api_model_info_v1_size()
    let ours = given >= UInt(full) ? full : given >= UInt(withDims) ? withDims : oldest
    let config = model.config
    var info = deit_model_info(
        struct_size: ours,
        image_size: Int32(config.imageSize), patch_size: Int32(config.patchSize), embed_dim: Int32(config.embedDim),
        depth: Int32(config.depth), num_heads: Int32(config.numHeads), num_classes: Int32(config.numClasses),
        num_tokens: Int32(config.numTokens), distilled: config.distilled ? 1 : 0,
        num_params: UInt64(model.parameterCount), weight_bytes: UInt64(model.weightBytes),
        feature_dim: Int32(config.featureDim), output_dim: Int32(config.outputDim),
        num_prefix_tokens: Int32(config.numPrefixTokens))
    // The fields that fit (all of ours today; a later, larger struct keeps this prefix), and not
    // a byte past them: a newer caller's extra fields stay as it set them.
    withUnsafeBytes(of: &info) { bytes in
        let count = min(bytes.count, ours)
        UnsafeMutableRawBufferPointer(start: outInfo, count: count).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
    }
    return DEIT_OK
}
