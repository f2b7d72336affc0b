import DeiTRuntime
import Foundation
import Testing

// A tiny in-memory safetensors writer for the loader tests (plus tests that it writes what the
// parser reads back). Valid files are built here rather than committed, so each test states the
// exact bytes it feeds the parser.

/// One tensor to write; `data` must already be in the tensor's dtype.
struct TestTensor {
    var name: String
    var dtype: String = "F32"
    var shape: [Int]
    var data: [UInt8]

    /// An F32 tensor whose values follow `value(index)` (default: small k/64 steps, exact in
    /// every float format).
    static func f32(_ name: String, _ shape: [Int], value: (Int) -> Float = { Float($0 % 29 - 14) / 64 }) -> TestTensor {
        let count = shape.reduce(1, *)
        var data: [UInt8] = []
        data.reserveCapacity(4 * count)
        for index in 0..<count { appendLittleEndian(value(index).bitPattern, to: &data) }
        return TestTensor(name: name, shape: shape, data: data)
    }
}

func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}

enum TestSafetensors {
    /// The JSON text of a header: `__metadata__` first (if any), then the tensors in order with
    /// consecutive data_offsets.
    static func header(_ tensors: [TestTensor], metadata: [(String, String)]? = nil) -> String {
        var parts: [String] = []
        if let metadata {
            let fields = metadata.map { "\(jsonString($0.0)):\(jsonString($0.1))" }
            parts.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in tensors {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(tensor.name)):{\"dtype\":\"\(tensor.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + tensor.data.count)]}")
            offset += tensor.data.count
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// A whole file; `editHeader` may rewrite the JSON text before it is framed.
    static func file(_ tensors: [TestTensor], metadata: [(String, String)]? = nil,
                     editHeader: (String) -> String = { $0 }) -> [UInt8] {
        frame(header: Array(editHeader(header(tensors, metadata: metadata)).utf8),
              data: tensors.flatMap(\.data))
    }

    /// Length prefix (declared as `declaredLength` when given) + header + data.
    static func frame(header: [UInt8], data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        appendLittleEndian(declaredLength ?? UInt64(header.count), to: &bytes)
        return bytes + header + data
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A DeiT/ViT in timm's names: D `dim`, patch `patch`, `grid`×`grid` patches, `depth`
    /// blocks, MLP `hidden`, `classes` outputs; `dtype` F32 / F16 / BF16 for every tensor. The names,
    /// shapes and order come from the runtime's schema table (`CheckpointSchema.tensors(of:)`).
    static func deit(dim: Int = 8, patch: Int = 2, grid: Int = 2, depth: Int = 2, hidden: Int = 16,
                     classes: Int = 3, distilled: Bool = false, dtype: String = "F32") -> [TestTensor] {
        let config = ModelConfig(imageSize: grid * patch, patchSize: patch, embedDim: dim, depth: depth, numHeads: 1,
                                 mlpHiddenDim: hidden, numClasses: classes, distilled: distilled)
        return CheckpointSchema.deit.tensors(of: config).map { converted(TestTensor.f32($0.name, $0.shape), to: dtype) }
    }

    /// The tensor re-encoded as F16 or BF16 (values must be exact in the target; the defaults are);
    /// any other dtype gets zero bytes of the right size.
    static func converted(_ tensor: TestTensor, to dtype: String) -> TestTensor {
        var result = tensor
        result.dtype = dtype
        result.data = []
        for offset in stride(from: 0, to: tensor.data.count, by: 4) {
            let bits = UInt32(tensor.data[offset]) | UInt32(tensor.data[offset + 1]) << 8
                | UInt32(tensor.data[offset + 2]) << 16 | UInt32(tensor.data[offset + 3]) << 24
            switch dtype {
            case "F32": appendLittleEndian(bits, to: &result.data)
            case "BF16": appendLittleEndian(UInt16(bits >> 16), to: &result.data)
            case "F16": appendLittleEndian(halfBits(Float(bitPattern: bits)), to: &result.data)
            default: result.data += Array(repeating: 0, count: byteSize(dtype))
            }
        }
        return result
    }

    static func byteSize(_ dtype: String) -> Int {
        switch dtype {
        case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3": return 1
        case "I16", "U16", "F16", "BF16": return 2
        case "I32", "U32", "F32": return 4
        default: return 8
        }
    }

    /// binary16 bits of a value that is exact in binary16 (normal range or zero), for test data.
    static func halfBits(_ value: Float) -> UInt16 {
        if value == 0 { return value.sign == .minus ? 0x8000 : 0 }
        let bits = value.bitPattern
        let sign = UInt16(bits >> 16) & 0x8000
        let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
        precondition(exponent > 0 && exponent < 31 && bits & 0x1FFF == 0, "test value not exact in binary16")
        return sign | UInt16(exponent) << 10 | UInt16((bits >> 13) & 0x3FF)
    }
}

/// Parses `bytes` as a checkpoint; the error, or nil when it loads.
func checkpointError(_ bytes: [UInt8], limits: LoadLimits = .default) -> DeiTError? {
    bytes.withUnsafeBytes { raw -> DeiTError? in
        do throws(DeiTError) {
            _ = try Checkpoint(bytes: raw, limits: limits)
            return nil
        } catch {
            return error
        }
    }
}

/// Parses `bytes` as a plain safetensors file; the error, or nil when it parses.
func containerError(_ bytes: [UInt8], limits: LoadLimits = .default) -> DeiTError? {
    bytes.withUnsafeBytes { raw -> DeiTError? in
        do throws(DeiTError) {
            _ = try SafetensorsFile.parse(raw, limits: limits)
            return nil
        } catch {
            return error
        }
    }
}

/// Records a failure unless `error` has `status` and its message contains `substring`.
func expectError(_ error: DeiTError?, _ status: DeiTStatus, _ substring: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard let error else {
        Issue.record("expected \(status.name) containing \"\(substring)\", but it loaded", sourceLocation: sourceLocation)
        return
    }
    #expect(error.status == status, "message: \(error.message)", sourceLocation: sourceLocation)
    #expect(error.message.contains(substring), "message: \(error.message)", sourceLocation: sourceLocation)
}

@Suite struct SafetensorsWriterTests {
    @Test func writtenModelParsesBackWithItsOffsetsAndMetadata() throws {
        let tensors = TestSafetensors.deit()
        let metadata = [("format", "pt"), ("num_heads", "2")]
        let bytes = TestSafetensors.file(tensors, metadata: metadata)
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        try bytes.withUnsafeBytes { raw in
            let file = try SafetensorsFile.parse(raw, limits: .default)
            #expect(file.tensors.count == tensors.count)
            #expect(file.headerByteCount == headerLength)
            #expect(file.metadata.map(\.key) == ["format", "num_heads"])
            #expect(file.metadataValue(forKey: "num_heads") == "2")
            var expectedStart = 8 + headerLength
            for tensor in tensors {  // written in this order, back to back
                let info = try #require(file.tensor(named: tensor.name))
                #expect(info.shape == tensor.shape)
                #expect(info.byteRange == expectedStart..<(expectedStart + tensor.data.count))
                #expect(Array(raw[info.byteRange]) == tensor.data)
                expectedStart += tensor.data.count
            }
            #expect(expectedStart == bytes.count)
        }
    }

    @Test func tableIsSortedByNameBytes() throws {
        let bytes = TestSafetensors.file(TestSafetensors.deit(depth: 11))
        try bytes.withUnsafeBytes { raw in
            let names = try SafetensorsFile.parse(raw, limits: .default).tensors.map { Array($0.name.utf8) }
            #expect(names == names.sorted { $0.lexicographicallyPrecedes($1) })
            #expect(names.first == Array("blocks.0.attn.proj.bias".utf8))
        }
    }
}
