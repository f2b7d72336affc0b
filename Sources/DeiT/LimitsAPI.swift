import CDeiTSupport
import DeiTRuntime

// deit_limits: the C view of LoadLimits and ImageLimits. Declared in include/deit.h.

@_cdecl("deit_limits_default")
public func deit_limits_default(_ outLimits: UnsafeMutablePointer<deit_limits>?) {
    guard let outLimits else { return }
    let load = LoadLimits.default, image = ImageLimits.default
    outLimits.pointee = deit_limits(
        struct_size: deit_api_limits_size(),
        max_model_bytes: UInt64(load.maxFileBytes), max_header_bytes: UInt64(load.maxHeaderBytes),
        max_image_bytes: UInt64(image.maxFileBytes),
        max_image_width: UInt32(clamping: image.maxWidth), max_image_height: UInt32(clamping: image.maxHeight),
        max_image_pixels: UInt64(image.maxPixels), max_config_bytes: UInt64(load.maxConfigBytes))
}

/// The caller's limits (nil: none given), checked by the struct_size rule.
private func callerLimits(_ limits: UnsafePointer<deit_limits>?, _ function: String) throws(DeiTError) -> deit_limits? {
    guard let limits else { return nil }
    var defaults = deit_limits()
    deit_limits_default(&defaults)
    return try versionedStruct(limits, size: deit_api_limits_size(), oldest: deit_api_limits_v0_size(), defaults: defaults,
                               "limits", defaultFunction: "deit_limits_default", function)
}

/// A caller's value, or `fallback` for 0; values beyond Int clamp (they cannot bind anyway).
private func limit<Value: BinaryInteger>(_ value: Value, or fallback: Int) -> Int {
    value == 0 ? fallback : Int(clamping: value)
}

/// LoadLimits from the caller's struct (nil: the defaults).
func loadLimits(_ limits: UnsafePointer<deit_limits>?, _ function: String) throws(DeiTError) -> LoadLimits {
    var result = LoadLimits.default
    guard let given = try callerLimits(limits, function) else { return result }
    result.maxFileBytes = limit(given.max_model_bytes, or: result.maxFileBytes)
    result.maxHeaderBytes = limit(given.max_header_bytes, or: result.maxHeaderBytes)
    result.maxConfigBytes = limit(given.max_config_bytes, or: result.maxConfigBytes)
    return result
}

/// ImageLimits from the caller's struct (nil: the defaults).
func imageLimits(_ limits: UnsafePointer<deit_limits>?, _ function: String) throws(DeiTError) -> ImageLimits {
    var result = ImageLimits.default
    guard let given = try callerLimits(limits, function) else { return result }
    result.maxFileBytes = limit(given.max_image_bytes, or: result.maxFileBytes)
    result.maxWidth = limit(given.max_image_width, or: result.maxWidth)
    result.maxHeight = limit(given.max_image_height, or: result.maxHeight)
    result.maxPixels = limit(given.max_image_pixels, or: result.maxPixels)
    return result
}
