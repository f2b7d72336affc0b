// Every crafted file in Tests/Fixtures/malformed through the C entry point a program would use:
// the expected status, a message naming the problem, and no crash.
import CDeiTSupport
import Foundation
import Testing

@Suite struct MalformedModelTests {
    struct Case: CustomTestStringConvertible {
        let file: String
        let status: String
        let messageFragment: String
        var testDescription: String { file }
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/malformed")

    static func cases() throws -> [Case] {
        let text = try String(contentsOf: directory.appendingPathComponent("expected.tsv"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Case(file: fields[0], status: fields[1], messageFragment: fields.count > 2 ? fields[2] : "")
        }
    }

    @Test(arguments: try cases())
    func loadFileGivesTheExpectedStatus(_ expected: Case) throws {
        let path = MalformedModelTests.directory.appendingPathComponent(expected.file).path
        var model: OpaquePointer?
        let status = deit_model_load_file(path, &model)
        defer { deit_model_free(model) }
        #expect(String(cString: deit_status_string(status)) == expected.status)
        if status == DEIT_OK {
            #expect(model != nil)
        } else {
            #expect(model == nil)
            let message = String(cString: deit_last_error())
            #expect(message.contains(expected.messageFragment), "\(expected.file): \(message)")
        }
    }

    @Test func corpusCoversEveryRejectingStatus() throws {
        let statuses = Set(try MalformedModelTests.cases().map(\.status))
        #expect(statuses.isSuperset(of: ["DEIT_OK", "DEIT_ERR_FORMAT", "DEIT_ERR_UNSUPPORTED", "DEIT_ERR_OUT_OF_MEMORY"]))
        #expect(try MalformedModelTests.cases().count >= 70)
    }
}
