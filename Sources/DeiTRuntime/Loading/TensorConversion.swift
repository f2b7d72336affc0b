/// Converting checkpoint tensors (F32, F16, BF16, little-endian, any alignment) to Float32, and
/// rejecting non-finite weights: safetensors does not check NaN/Inf, and one NaN weight would
/// silently turn every output into NaN.

/// Exact scalar conversions from 16-bit float encodings.
package enum HalfConversion {
    /// IEEE 754 binary16 → Float32. Exact for every input: ±0, subnormals (m·2⁻²⁴), normals, ±Inf;
    /// NaN payloads are kept (shifted into the Float32 mantissa).
    @inline(__always)
    package static func float(fromHalfBits bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24  // exact: mantissa < 2¹⁰
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)  // rebias 15 → 127
    }

    /// True when `value` is exactly a finite binary16 value (F32 → F16 → F32 gives it back).
    package static func isHalfExact(_ value: Float) -> Bool {
        guard value.isFinite, abs(value) <= 65504 else { return false }
        if abs(value) >= 0x1p-14 { return value.bitPattern & 0x1FFF == 0 }
        let scaled = abs(value) * 0x1p24   // subnormals and 0: multiples of 2⁻²⁴
        return scaled == scaled.rounded(.towardZero)
    }

    /// The binary16 encoding of a Float32 that is exactly a finite binary16 value (`isHalfExact`).
    package static func halfBits(ofExact value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let magnitude = abs(value)
        if magnitude < 0x1p-14 {   // zero or subnormal: m · 2⁻²⁴
            return sign | UInt16(truncatingIfNeeded: Int(magnitude * 0x1p24))
        }
        let exponent = UInt16(truncatingIfNeeded: ((bits >> 23) & 0xFF) &- 112)   // rebias 127 → 15
        return sign | exponent << 10 | UInt16(truncatingIfNeeded: (bits >> 13) & 0x3FF)
    }

    /// The binary16 value nearest `value` (ties to even), as a Float32; nil for a value beyond
    /// binary16's finite range (or not finite).
    package static func nearestHalf(_ value: Float) -> Float? {
        guard value.isFinite else { return nil }
        let rounded = nearestHalfMagnitude(abs(value))
        guard rounded <= 65504 else { return nil }
        return value.sign == .minus ? -rounded : rounded
    }

    /// `nearestHalf` of a finite magnitude, past 65504 when binary16 would overflow.
    @inline(__always)
    private static func nearestHalfMagnitude(_ magnitude: Float) -> Float {
        if magnitude < 0x1p-14 {   // zero or subnormal: multiples of 2⁻²⁴ (the scalings are exact)
            return (magnitude * 0x1p24).rounded(.toNearestOrEven) * 0x1p-24
        }
        // 10 of Float32's 23 mantissa bits kept, ties to even.
        let bits = magnitude.bitPattern
        let low = bits & 0x1FFF
        var kept = bits & ~0x1FFF
        if low > 0x1000 || (low == 0x1000 && kept & 0x2000 != 0) { kept &+= 0x2000 }
        return Float(bitPattern: kept)
    }

    /// `count` finite values at `values` each replaced by its nearest binary16 value (`nearestHalf`)
    /// when every one of them has one; left as they are, returning false, when one lies beyond
    /// binary16's range.
    @discardableResult
    package static func roundToHalf(_ values: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        var largest: Float = 0
        for i in 0..<count { largest = max(largest, abs(values[i])) }
        guard nearestHalf(largest) != nil else { return false }
        for i in 0..<count {
            let rounded = nearestHalfMagnitude(abs(values[i]))
            values[i] = values[i].sign == .minus ? -rounded : rounded   // −0 and values that round to 0 keep their sign
        }
        return true
    }

    /// bfloat16 → Float32: the upper half of a Float32, so exact for every input.
    @inline(__always)
    package static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}

extension TensorInfo {
    /// Converts this tensor's data in `file` (the whole file's bytes) to Float32 into
    /// `destination`, which must have room for `elementCount` floats.
    /// `.invalidArgument` if `file` is too small to hold the tensor, `.unsupported` for a dtype other
    /// than F32/F16/BF16, `.format` (naming the tensor and element) for a NaN or ±Inf value.
    package func readFloats(from file: UnsafeRawBufferPointer,
                           into destination: UnsafeMutablePointer<Float>) throws(DeiTError) {
        guard byteRange.lowerBound >= 0, byteRange.upperBound <= file.count else {
            throw DeiTError(.invalidArgument, "tensor \(quotedName(name)): bytes \(byteRange.lowerBound)..<\(byteRange.upperBound) are not inside the \(file.count)-byte buffer given")
        }
        try readFloats(tensorBytes: UnsafeRawBufferPointer(rebasing: file[byteRange]), into: destination)
    }

    /// As `readFloats(from:into:)` from exactly this tensor's bytes (`byteRange.count` of them),
    /// wherever they were read to.
    package func readFloats(tensorBytes: UnsafeRawBufferPointer,
                           into destination: UnsafeMutablePointer<Float>) throws(DeiTError) {
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, tensorBytes.count == byteCount else {
            throw DeiTError(.invalidArgument, "tensor \(quotedName(name)): \(tensorBytes.count) bytes given for \(elementCount) \(dtype.name) elements")
        }
        guard elementCount > 0, let source = tensorBytes.baseAddress else { return }
        switch dtype {
        case .f32:
            for index in 0..<elementCount {
                let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
                destination[index] = Float(bitPattern: bits)
            }
        case .f16:
            for index in 0..<elementCount {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                destination[index] = HalfConversion.float(fromHalfBits: bits)
            }
        case .bf16:
            for index in 0..<elementCount {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                destination[index] = HalfConversion.float(fromBFloat16Bits: bits)
            }
        default:
            throw DeiTError(.unsupported, "tensor \(quotedName(name)) has dtype \(dtype.name); only F32, F16 and BF16 weights are supported")
        }
        try checkFinite(destination, count: elementCount)
    }

    /// `.format` naming the first NaN or ±Inf element. A separate integer pass (max of the exponent
    /// bits, which vectorises) keeps the conversion loops branch-free.
    private func checkFinite(_ values: UnsafeMutablePointer<Float>, count: Int) throws(DeiTError) {
        let exponentMask: UInt32 = 0x7F80_0000  // all ones ⇔ NaN or ±Inf
        var largestExponent: UInt32 = 0
        for index in 0..<count { largestExponent = max(largestExponent, values[index].bitPattern & exponentMask) }
        if largestExponent != exponentMask { return }
        for index in 0..<count where !values[index].isFinite {
            let kind = values[index].isNaN ? "NaN" : (values[index] < 0 ? "-Inf" : "+Inf")
            throw DeiTError(.format, "tensor \(quotedName(name)) contains \(kind) at element \(index) of \(describeShape(shape))")
        }
    }
}

extension Checkpoint {
    /// Converts one tensor (F32/F16/BF16) to Float32 into `destination` (`tensor.elementCount`
    /// floats); `bytes` is the same buffer the checkpoint was parsed from. Rejects NaN/Inf weights
    /// with `.format` naming the tensor.
    package func readFloats(_ tensor: TensorInfo, from bytes: UnsafeRawBufferPointer,
                           into destination: UnsafeMutablePointer<Float>) throws(DeiTError) {
        try tensor.readFloats(from: bytes, into: destination)
    }
}
