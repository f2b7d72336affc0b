import DeiTRuntime
import Foundation
import Testing

// F16 / BF16 / F32 → Float32 conversion (exact on every special value) and the NaN/Inf rejection
// in TensorInfo.readFloats.

/// Parses a one-tensor file and converts the tensor; the floats or the error.
private func convert(dtype: String, shape: [Int], data: [UInt8], leadingPad: Int = 0) -> Result<[Float], DeiTError> {
    let name = "w"
    // `leadingPad` extra spaces in the header shift the data to an odd address.
    let bytes = TestSafetensors.file([TestTensor(name: name, dtype: dtype, shape: shape, data: data)],
                                     editHeader: { $0 + String(repeating: " ", count: leadingPad) })
    return bytes.withUnsafeBytes { raw -> Result<[Float], DeiTError> in
        do throws(DeiTError) {
            let file = try SafetensorsFile.parse(raw, limits: .default)
            guard let tensor = file.tensor(named: name) else { return .failure(DeiTError(.format, "lost")) }
            var floats = [Float](repeating: -1, count: tensor.elementCount)
            try floats.withUnsafeMutableBufferPointer { (buffer) throws(DeiTError) in
                guard let base = buffer.baseAddress else { return }
                try tensor.readFloats(from: raw, into: base)
            }
            return .success(floats)
        } catch {
            return .failure(error)
        }
    }
}

private func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    var bytes: [UInt8] = []
    for value in values { appendLittleEndian(value, to: &bytes) }
    return bytes
}

@Suite struct SafetensorsConversionTests {
    @Test(arguments: [
        (UInt16(0x0000), UInt32(0x0000_0000)),  // +0
        (0x8000, 0x8000_0000),                  // −0
        (0x0001, 0x3380_0000),                  // smallest subnormal 2⁻²⁴
        (0x8001, 0xB380_0000),                  // −2⁻²⁴
        (0x03FF, 0x387F_C000),                  // largest subnormal 1023·2⁻²⁴
        (0x0400, 0x3880_0000),                  // smallest normal 2⁻¹⁴
        (0x3C00, 0x3F80_0000),                  // 1
        (0x3555, 0x3EAA_A000),                  // 0.333251953125
        (0x7BFF, 0x477F_E000),                  // max 65504
        (0xFBFF, 0xC77F_E000),                  // −65504
        (0x7C00, 0x7F80_0000),                  // +Inf
        (0xFC00, 0xFF80_0000),                  // −Inf
    ])
    func halfSpecialValuesConvertExactly(half: UInt16, expectedBits: UInt32) {
        #expect(HalfConversion.float(fromHalfBits: half).bitPattern == expectedBits)
    }

    @Test func halfNaNsStayNaNWithTheirPayload() {
        for bits: UInt16 in [0x7C01, 0x7E00, 0x7FFF, 0xFE00, 0xFC01] {
            let value = HalfConversion.float(fromHalfBits: bits)
            #expect(value.isNaN)
            #expect(value.bitPattern & 0x007F_E000 == UInt32(bits & 0x3FF) << 13)
        }
    }

    @Test func halfConversionIsExactForAllBitPatterns() {
        // Exact reference: sign · mantissa · 2^exponent evaluated in Double, then checked to fit Float.
        for bits in 0...UInt16.max where bits & 0x7C00 != 0x7C00 {
            let exponent = Int(bits >> 10 & 0x1F), mantissa = Double(bits & 0x3FF)
            let magnitude = exponent == 0 ? mantissa * 0x1p-24 : (1 + mantissa / 1024) * pow(2, Double(exponent - 15))
            let expected = bits & 0x8000 != 0 ? -magnitude : magnitude
            let converted = HalfConversion.float(fromHalfBits: bits)
            #expect(Double(converted) == expected && converted.sign == expected.sign, "bits 0x\(String(bits, radix: 16))")
        }
    }

    /// `nearestHalf` (the int8 precision's patch embedding) against Swift's own Float → Float16
    /// conversion: every Float32 around each binary16 value and halfway point (ties to even), across
    /// subnormals, normals and the top of the range; nil where Float16 overflows to ±∞.
    @Test func nearestHalfIsFloat16sRounding() {
        var values: [Float] = [0, -Float(0), -0x1p-30, 0x1p-25, 0x1p-24, 0x1p-14, Float(0x1p-14).nextDown, 65504, 65519, 65520, 70000, .infinity, .nan]
        for bits in stride(from: UInt16(0), to: 0x7C00, by: 7) {
            let value = HalfConversion.float(fromHalfBits: bits)
            let next = HalfConversion.float(fromHalfBits: bits + 1)
            let halfway = (value + next) / 2
            values += [value, value.nextUp, halfway.nextDown, halfway, halfway.nextUp, -halfway]
        }
        for value in values {
            let expected = Float16(value)
            let rounded = HalfConversion.nearestHalf(value)
            if expected.isFinite && value.isFinite {
                #expect(rounded.map { $0.bitPattern } == Float(expected).bitPattern, "\(value)")
                var single = value
                #expect(HalfConversion.roundToHalf(&single, count: 1) && single.bitPattern == Float(expected).bitPattern, "\(value)")
            } else {
                #expect(rounded == nil, "\(value)")
            }
        }
        // One value beyond binary16's range: nothing is rounded.
        var mixed: [Float] = [1.0001, 70000]
        #expect(!HalfConversion.roundToHalf(&mixed, count: 2) && mixed == [1.0001, 70000])
    }

    @Test func bfloat16IsTheUpperHalfOfFloat32() {
        #expect(HalfConversion.float(fromBFloat16Bits: 0x0000).bitPattern == 0)
        #expect(HalfConversion.float(fromBFloat16Bits: 0x8000).bitPattern == 0x8000_0000)   // −0
        #expect(HalfConversion.float(fromBFloat16Bits: 0x0001) == 0x1p-133)                 // smallest subnormal
        #expect(HalfConversion.float(fromBFloat16Bits: 0x007F) == Float(127) * 0x1p-133)    // largest subnormal
        #expect(HalfConversion.float(fromBFloat16Bits: 0x3F80) == 1)
        #expect(HalfConversion.float(fromBFloat16Bits: 0x7F7F) == Float(bitPattern: 0x7F7F_0000))  // max ≈ 3.39e38
        #expect(HalfConversion.float(fromBFloat16Bits: 0x7F80) == .infinity)
        #expect(HalfConversion.float(fromBFloat16Bits: 0xFF80) == -.infinity)
        #expect(HalfConversion.float(fromBFloat16Bits: 0x7FC0).isNaN)
        for bits in stride(from: 0, through: 0xFFFF, by: 97) {
            #expect(HalfConversion.float(fromBFloat16Bits: UInt16(bits)).bitPattern == UInt32(bits) << 16)
        }
    }

    @Test(arguments: [0, 1, 2, 3])
    func readFloatsConvertsEachDTypeAtAnyAlignment(pad: Int) throws {
        let f32: [UInt32] = [0x3F80_0000, 0x8000_0000, 0x0000_0001, 0x7F7F_FFFF, 0xC2F6_E979]
        #expect(try convert(dtype: "F32", shape: [5], data: littleEndianBytes(f32), leadingPad: pad).get()
            .map(\.bitPattern) == f32)
        let f16: [UInt16] = [0x3C00, 0x8000, 0x0001, 0x7BFF, 0xC000]
        #expect(try convert(dtype: "F16", shape: [5], data: littleEndianBytes(f16), leadingPad: pad).get()
            == [1, -0.0, 0x1p-24, 65504, -2])
        let bf16: [UInt16] = [0x3F80, 0x8000, 0x0001, 0x7F7F, 0xC040]
        #expect(try convert(dtype: "BF16", shape: [5], data: littleEndianBytes(bf16), leadingPad: pad).get()
            .map(\.bitPattern) == bf16.map { UInt32($0) << 16 })
    }

    @Test func readFloatsKeepsNegativeZeroAndHandlesEmptyTensors() throws {
        let values = try convert(dtype: "F16", shape: [1], data: littleEndianBytes([UInt16(0x8000)])).get()
        #expect(values[0] == 0 && values[0].sign == .minus)
        #expect(try convert(dtype: "F32", shape: [0, 4], data: []).get().isEmpty)
    }

    @Test(arguments: [
        ("F32", littleEndianBytes([UInt32(0x3F80_0000), 0x7FC0_0000, 0]), "contains NaN at element 1 of [3]"),
        ("F32", littleEndianBytes([UInt32(0), 0, 0x7F80_0000]), "contains +Inf at element 2 of [3]"),
        ("F32", littleEndianBytes([UInt32(0xFF80_0000), 0, 0]), "contains -Inf at element 0 of [3]"),
        ("F32", littleEndianBytes([UInt32(0), 0xFFFF_FFFF, 0]), "contains NaN at element 1 of [3]"),
        ("F16", littleEndianBytes([UInt16(0), 0, 0x7E00]), "contains NaN at element 2 of [3]"),
        ("F16", littleEndianBytes([UInt16(0xFC00), 0, 0]), "contains -Inf at element 0 of [3]"),
        ("BF16", littleEndianBytes([UInt16(0), 0x7F80, 0]), "contains +Inf at element 1 of [3]"),
        ("BF16", littleEndianBytes([UInt16(0), 0, 0xFFC1]), "contains NaN at element 2 of [3]"),
    ])
    func nonFiniteWeightsAreRejectedNamingTensorAndElement(dtype: String, data: [UInt8], message: String) {
        guard case .failure(let error) = convert(dtype: dtype, shape: [3], data: data) else {
            Issue.record("a non-finite \(dtype) weight was accepted")
            return
        }
        expectError(error, .format, "tensor 'w' " + message)
    }

    @Test func largestFiniteValuesAreAccepted() throws {
        #expect(try convert(dtype: "F32", shape: [2], data: littleEndianBytes([UInt32(0x7F7F_FFFF), 0xFF7F_FFFF])).get()
            == [.greatestFiniteMagnitude, -.greatestFiniteMagnitude])
        #expect(try convert(dtype: "F16", shape: [2], data: littleEndianBytes([UInt16(0x7BFF), 0xFBFF])).get() == [65504, -65504])
    }

    @Test func otherDTypesAreUnsupported() {
        guard case .failure(let error) = convert(dtype: "F64", shape: [1], data: Array(repeating: 0, count: 8)) else {
            Issue.record("F64 was converted")
            return
        }
        expectError(error, .unsupported, "tensor 'w' has dtype F64")
    }

    @Test func aBufferThatDoesNotHoldTheTensorIsAnInvalidArgument() throws {
        let bytes = TestSafetensors.file([TestTensor.f32("w", [4])])
        let tensor = try bytes.withUnsafeBytes { try SafetensorsFile.parse($0, limits: .default).tensor(named: "w") }
        let info = try #require(tensor)
        var floats = [Float](repeating: 0, count: 4)
        let shorter = Array(bytes.dropLast())
        let error = shorter.withUnsafeBytes { raw -> DeiTError? in
            floats.withUnsafeMutableBufferPointer { buffer -> DeiTError? in
                do throws(DeiTError) {
                    try info.readFloats(from: raw, into: buffer.baseAddress!)
                    return nil
                } catch {
                    return error
                }
            }
        }
        expectError(error, .invalidArgument, "tensor 'w'")
    }

    /// `isHalfExact` and `halfBits(ofExact:)` (int8 files' F16 scales): every finite binary16 value is
    /// exact and encodes back to its own bits; a Float32 between two of them is not exact.
    @Test func halfEncodingRoundTripsEveryFiniteHalf() {
        for pattern in 0...UInt16.max {
            let value = HalfConversion.float(fromHalfBits: pattern)
            guard value.isFinite else {
                #expect(!HalfConversion.isHalfExact(value))
                continue
            }
            #expect(HalfConversion.isHalfExact(value), "\(pattern)")
            #expect(HalfConversion.halfBits(ofExact: value) == pattern, "\(pattern)")
            if value > 0 && value < 65504 { #expect(!HalfConversion.isHalfExact(value.nextUp), "\(pattern)") }
        }
        #expect(!HalfConversion.isHalfExact(65520) && !HalfConversion.isHalfExact(0x1p-25))
    }
}
