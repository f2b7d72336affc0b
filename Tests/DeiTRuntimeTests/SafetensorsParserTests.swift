import DeiTRuntime
import DeiTTestSupport
import Foundation
import Testing

// The container layer (SafetensorsFile.parse) on in-memory files: what it accepts, the limits, the
// JSON corner cases, and robustness against truncation and random corruption. One-file-per-rule
// rejections live in the malformed corpus (MalformedCorpusTests).

/// A header + data made of raw JSON text.
private func raw(_ json: String, data: [UInt8] = []) -> [UInt8] {
    TestSafetensors.frame(header: Array(json.utf8), data: data)
}

private func parsed(_ bytes: [UInt8], limits: LoadLimits = .default) throws -> SafetensorsFile {
    try bytes.withUnsafeBytes { try SafetensorsFile.parse($0, limits: limits) }
}

@Suite struct SafetensorsParserTests {
    // MARK: Accepted forms

    @Test func everyDTypeParsesWithItsByteSize() throws {
        let spellings = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
                         "I32", "U32", "F32", "F64", "I64", "U64"]
        let sizes = [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8]
        let tensors = zip(spellings, sizes).map { spelling, size in
            TestTensor(name: "t_" + spelling, dtype: spelling, shape: [3], data: Array(repeating: 0, count: 3 * size))
        }
        let file = try parsed(TestSafetensors.file(tensors))
        #expect(TensorDType.all.count == spellings.count)
        for (spelling, size) in zip(spellings, sizes) {
            let info = try #require(file.tensor(named: "t_" + spelling))
            #expect("\(info.dtype.name)" == spelling)
            #expect(info.dtype.byteSize == size)
            #expect(info.byteRange.count == 3 * size)
        }
    }

    @Test func scalarsAndZeroSizeTensorsOnBoundariesAreAccepted() throws {
        let tensors = [
            TestTensor(name: "a_empty_first", shape: [0, 5], data: []),
            TestTensor(name: "b_scalar", shape: [], data: [0, 0, 128, 63]),
            TestTensor(name: "c_empty_middle", shape: [2, 0], data: []),
            TestTensor.f32("d_vector", [2]),
            TestTensor(name: "e_empty_last", shape: [0], data: []),
        ]
        let file = try parsed(TestSafetensors.file(tensors))
        #expect(file.tensor(named: "b_scalar")?.elementCount == 1)
        #expect(file.tensor(named: "b_scalar")?.shape == [])
        #expect(file.tensor(named: "a_empty_first")?.elementCount == 0)
        #expect(file.tensor(named: "c_empty_middle")?.byteRange.count == 0)
        #expect(file.tensor(named: "e_empty_last")?.byteRange.upperBound == file.fileByteCount)
    }

    @Test func emptyHeaderObjectIsAValidEmptyFile() throws {
        let file = try parsed(raw("{}"))
        #expect(file.tensors.isEmpty)
        #expect(file.metadata.isEmpty)
        #expect(file.dataStart == 10)
    }

    @Test func whitespaceAroundTheObjectAndPaddingAreAccepted() throws {
        let json = " \t\r\n{ \"x\" : { \"shape\" : [ 1 ] , \"data_offsets\" : [ 0 , 4 ] , \"dtype\" : \"F32\" } }        "
        let file = try parsed(raw(json, data: [0, 0, 0, 0]))
        #expect(file.tensor(named: "x")?.byteRange == (8 + json.utf8.count)..<(12 + json.utf8.count))
    }

    @Test func stringEscapesAreDecodedIncludingSurrogatePairs() throws {
        let json = #"{"__metadata__":{"k\"\\\/\b\f\n\r\t":"a\u00e9\ud83d\ude00\u4E2D"},"t\u002ex":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#
        let file = try parsed(raw(json, data: [7]))
        #expect(file.metadata.count == 1)
        #expect(Array(file.metadata[0].key.utf8) == Array("k\"\\/\u{8}\u{C}\n\r\t".utf8))
        #expect(Array(file.metadata[0].value.utf8) == Array("aé😀中".utf8))
        #expect(file.tensor(named: "t.x") != nil)
    }

    @Test func rawUTF8NamesAreKeptAndLookedUpBytewise() throws {
        let name = "bloc\u{301}ks.é.😀"
        let file = try parsed(TestSafetensors.file([TestTensor.f32(name, [1])]))
        #expect(file.tensor(named: name) != nil)
        #expect(file.tensor(named: "blócks.é.😀") == nil)  // canonically equivalent, different bytes
    }

    // MARK: Rejections not covered by the corpus

    @Test(arguments: [
        ("\"\\ud83d\"", "unpaired high surrogate"),
        ("\"\\ude00\"", "unpaired low surrogate"),
        ("\"\\ud83d\\u0041\"", "unpaired high surrogate"),
        ("\"\\u12\"", "invalid hex digit"),
        ("\"\\u12", "truncated \\u escape"),
        ("\"abc", "unterminated JSON string"),
        ("tru", "invalid JSON literal"),
        ("nulx", "invalid JSON literal"),
        ("-", "invalid JSON number"),
        ("1.", "invalid JSON number"),
        ("1e", "invalid JSON number"),
        ("+1", "unexpected byte 0x2B"),
        ("[1 2]", "expected ',' or ']'"),
        ("{\"a\" 1}", "expected ':'"),
        ("{\"a\":1 \"b\":2}", "expected ',' or '}'"),
    ])
    func malformedJSONValuesAreFormatErrors(value: String, message: String) {
        expectError(containerError(raw("{\"__metadata__\":{\"k\":\"v\"},\"x\":\(value)}")), .format, message)
    }

    @Test func validJSONOfTheWrongShapeIsAFormatError() {
        // Syntactically valid JSON values where the schema wants something else.
        expectError(containerError(raw(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,true]}}"#)),
                    .format, "data_offsets must be exactly two non-negative integers")
        expectError(containerError(raw(#"{"x":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])),
                    .format, "shape entries must be non-negative integers")
        expectError(containerError(raw(#"{"x":{"dtype":"F32","shape":[-0],"data_offsets":[0,0]}}"#)),
                    .format, "shape entries must be non-negative integers")
        expectError(containerError(raw(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#)),
                    .format, "data_offsets must be exactly two non-negative integers")
        expectError(containerError(raw(#"{"x":{}}"#)), .format, "tensor 'x': missing field 'dtype'")
        expectError(containerError(raw(#"{"x":{"dtype":"F32"}}"#)), .format, "tensor 'x': missing field 'shape'")
        expectError(containerError(raw(#"{"__metadata__":{"a":null}}"#)), .format, "value for key 'a' is not a string")
    }

    @Test func errorsPointAtTheOffendingKey() {
        let json = #"{"x":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}}"#
        let offset = 8 + json.utf8.count - #""dtype":"F32","shape":[],"data_offsets":[0,4]}}"#.utf8.count
        expectError(containerError(raw(json, data: [0, 0, 0, 0])), .format, "duplicate field 'dtype' at byte offset \(offset)")
    }

    @Test func hugeNamesAreCutInMessages() throws {
        let name = String(repeating: "n", count: 10_000)
        let error = try #require(containerError(raw("{\"\(name)\":{\"dtype\":\"F99\",\"shape\":[],\"data_offsets\":[0,0]}}")))
        #expect(error.message.contains("unknown dtype 'F99'"))
        #expect(error.message.utf8.count < 300)
    }

    // MARK: Limits → .outOfMemory, naming the limit

    @Test func fileAndHeaderSizeLimits() {
        let bytes = TestSafetensors.file(TestSafetensors.deit())
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        expectError(containerError(bytes, limits: LoadLimits(maxFileBytes: bytes.count - 1)), .outOfMemory, "maxFileBytes limit")
        #expect(containerError(bytes, limits: LoadLimits(maxFileBytes: bytes.count)) == nil)
        expectError(containerError(bytes, limits: LoadLimits(maxHeaderBytes: headerLength - 1)), .outOfMemory, "maxHeaderBytes limit")
        #expect(containerError(bytes, limits: LoadLimits(maxHeaderBytes: headerLength)) == nil)
    }

    @Test func tensorCountAndRankLimits() {
        let tensors = (0..<10).map { TestTensor.f32("t\($0)", [1, 1, 1]) }
        let bytes = TestSafetensors.file(tensors)
        expectError(containerError(bytes, limits: LoadLimits(maxTensors: 9)), .outOfMemory, "maxTensors limit (9)")
        #expect(containerError(bytes, limits: LoadLimits(maxTensors: 10)) == nil)
        expectError(containerError(bytes, limits: LoadLimits(maxRank: 2)), .outOfMemory, "maxRank limit (2)")
        #expect(containerError(bytes, limits: LoadLimits(maxRank: 3)) == nil)
    }

    @Test func headerLengthIsCheckedAgainstTheFileBeforeTheLimit() {
        // A length past the end is malformed whatever the limit: .format, not .outOfMemory.
        let bytes = TestSafetensors.frame(header: Array("{}".utf8), data: [], declaredLength: 200_000_000)
        expectError(containerError(bytes), .format, "runs past the end")
    }

    // MARK: Robustness

    @Test func everyTruncationOfAValidFileFailsCleanly() {
        let bytes = TestSafetensors.file(TestSafetensors.deit(depth: 1), metadata: [("num_heads", "2")])
        #expect(checkpointError(bytes) == nil)
        for length in 0..<bytes.count {
            let error = checkpointError(Array(bytes[0..<length]))
            #expect(error?.status == .format, "length \(length): \(error?.message ?? "loaded")")
        }
    }

    @Test func randomHeaderCorruptionNeverTraps() {
        let bytes = TestSafetensors.file(TestSafetensors.deit(depth: 1), metadata: [("num_heads", "2")])
        let headerEnd = 8 + (Int(bytes[0]) | Int(bytes[1]) << 8)
        var generator = SeededGenerator(seed: 0x5AFE_7E45)
        let interesting: [UInt8] = Array("{}[]\":,0123456789-.eE\\u \t".utf8) + [0x00, 0x7F, 0x80, 0xC3, 0xED, 0xFF]
        var outcomes: [DeiTStatus: Int] = [:]
        for _ in 0..<3000 {
            var mutated = bytes
            for _ in 0..<(1 + Int(generator.next() % 3)) {
                let position = Int(generator.next() % UInt64(headerEnd))
                mutated[position] = generator.next() % 2 == 0
                    ? interesting[Int(generator.next() % UInt64(interesting.count))]
                    : UInt8(truncatingIfNeeded: generator.next())
            }
            let status = checkpointError(mutated)?.status ?? .ok
            outcomes[status, default: 0] += 1
            #expect([.ok, .format, .unsupported, .outOfMemory].contains(status))
        }
        #expect(outcomes[.format, default: 0] > 1000)  // the mutations really do break things
    }
}
