// deit_session_run_attention, deit_attention_rollout and deit_attention_distance against timm's
// attention probabilities (a forward hook on attn.attn_drop) and the numpy reference rollout and
// distance of Tests/Fixtures/attention (scripts/python/gen_attention_fixtures.py).
import CDeiTSupport
import Foundation
import Testing

@Suite struct AttentionAPITests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    /// Probabilities lie in [0, 1]: an absolute bound (the 1e-5).
    static let tolerance: Float = 1e-5

    struct Case {
        var name: String, model: String, allRows: Bool
        var depth: Int, heads: Int, tokens: Int, prefix: Int, patchSize: Int
    }

    static let cases: [Case] = {
        guard let text = try? String(contentsOf: fixtures.appendingPathComponent("attention/attention.tsv"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: "\t").map(String.init)
            return Case(name: f[0], model: f[1], allRows: f[2] == "all", depth: Int(f[3])!, heads: Int(f[4])!,
                        tokens: Int(f[5])!, prefix: Int(f[6])!, patchSize: Int(f[7])!)
        }
    }()

    static func floats(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(path))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    func lastError() -> String { String(cString: deit_last_error()) }

    func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test func fixturesAreListed() {
        #expect(AttentionAPITests.cases.count >= 4, "Tests/Fixtures/attention/attention.tsv is missing or short")
    }

    @Test(arguments: AttentionAPITests.cases.map(\.name))
    func mapsMatchTimmAtOneAndTwoThreads(_ name: String) throws {
        let c = try #require(AttentionAPITests.cases.first { $0.name == name })
        var model: OpaquePointer?
        let modelPath = AttentionAPITests.fixtures.appendingPathComponent("conformance/\(c.model)/model.safetensors").path
        #expect(deit_model_load_file(modelPath, &model) == DEIT_OK, "\(lastError())")
        defer { deit_model_free(model) }
        var info = deit_model_info()
        info.struct_size = MemoryLayout<deit_model_info>.stride
        #expect(deit_model_get_info(model, &info) == DEIT_OK)
        #expect(Int(info.num_prefix_tokens) == c.prefix && Int(info.num_tokens) == c.tokens)

        let input = try AttentionAPITests.floats("conformance/\(c.model)/image.in.f32")
        let expected = try AttentionAPITests.floats("attention/\(c.name).attn.f32")
        let rows = c.allRows ? c.tokens : c.prefix
        #expect(expected.count == c.depth * c.heads * rows * c.tokens)
        for threads in [Int32(1), 2] {
            var session: OpaquePointer?
            #expect(deit_session_create(model, threads, nil, 0, &session) == DEIT_OK, "\(lastError())")
            defer { deit_session_free(session) }
            let outputs = Int(info.output_dim)
            var plain = [Float](repeating: 0, count: outputs), logits = [Float](repeating: .nan, count: outputs)
            #expect(deit_session_run(session, input, input.count, &plain, plain.count) == DEIT_OK)
            var maps = [Float](repeating: .nan, count: expected.count)
            let rowsFlag = Int32(bitPattern: (c.allRows ? DEIT_ATTENTION_ALL_ROWS : DEIT_ATTENTION_PREFIX_ROWS).rawValue)
            let status = deit_session_run_attention(session, input, input.count, 0, Int32(c.depth), rowsFlag,
                                                    &maps, maps.count, &logits, logits.count)
            #expect(status == DEIT_OK, "\(lastError())")
            let worst = maxDifference(maps, expected)
            #expect(worst <= AttentionAPITests.tolerance, "\(name) threads \(threads): max |Δ| \(worst)")
            #expect(!maps.contains { $0.isNaN }, "every map entry written")
            #expect(logits == plain, "\(name) threads \(threads): logits with attention maps differ from a plain run")

            // One block alone gives that block's slice.
            let slice = c.heads * rows * c.tokens
            var last = [Float](repeating: .nan, count: slice)
            #expect(deit_session_run_attention(session, input, input.count, Int32(c.depth - 1), 1, rowsFlag,
                                               &last, last.count, nil, 0) == DEIT_OK, "\(lastError())")
            #expect(maxDifference(last, Array(expected[((c.depth - 1) * slice)...])) <= AttentionAPITests.tolerance)
        }
    }

    @Test(arguments: AttentionAPITests.cases.filter(\.allRows).map(\.name))
    func rolloutAndDistanceMatchTheNumpyReference(_ name: String) throws {
        let c = try #require(AttentionAPITests.cases.first { $0.name == name })
        // From timm's own maps, so this checks the analysis alone.
        let maps = try AttentionAPITests.floats("attention/\(c.name).attn.f32")
        let expectedRollout = try AttentionAPITests.floats("attention/\(c.name).rollout.f32")
        var rollout = [Float](repeating: .nan, count: c.tokens * c.tokens)
        #expect(deit_attention_rollout(maps, maps.count, Int32(c.depth), Int32(c.heads), Int32(c.tokens),
                                       &rollout, rollout.count) == DEIT_OK, "\(lastError())")
        #expect(maxDifference(rollout, expectedRollout) <= 1e-5, "rollout max |Δ| \(maxDifference(rollout, expectedRollout))")
        // Rows of a rollout are distributions.
        let rowSum = rollout[0..<c.tokens].reduce(0, +)
        #expect(abs(rowSum - 1) <= 1e-4)

        let expectedDistance = try AttentionAPITests.floats("attention/\(c.name).distance.f32")
        var distances = [Float](repeating: .nan, count: c.depth * c.heads)
        #expect(deit_attention_distance(maps, maps.count, Int32(c.depth), Int32(c.heads), Int32(c.tokens), Int32(c.prefix),
                                        Int32(c.patchSize), &distances, distances.count) == DEIT_OK, "\(lastError())")
        for (ours, theirs) in zip(distances, expectedDistance) {
            #expect(abs(ours - theirs) <= 1e-4 * max(1, abs(theirs)), "distance \(ours) vs numpy \(theirs)")
        }
    }

    @Test func refusesBadArguments() throws {
        let c = try #require(AttentionAPITests.cases.first { $0.allRows })
        var model: OpaquePointer?
        let modelPath = AttentionAPITests.fixtures.appendingPathComponent("conformance/\(c.model)/model.safetensors").path
        #expect(deit_model_load_file(modelPath, &model) == DEIT_OK)
        defer { deit_model_free(model) }
        var session: OpaquePointer?
        #expect(deit_session_create(model, 1, nil, 0, &session) == DEIT_OK)
        defer { deit_session_free(session) }
        let input = try AttentionAPITests.floats("conformance/\(c.model)/image.in.f32")
        let all = Int32(bitPattern: DEIT_ATTENTION_ALL_ROWS.rawValue)
        var maps = [Float](repeating: 0, count: c.depth * c.heads * c.tokens * c.tokens)
        #expect(deit_session_run_attention(session, input, input.count, 0, Int32(c.depth), all, &maps, maps.count - 1, nil, 0)
                == DEIT_ERR_INVALID_ARGUMENT)
        #expect(lastError().contains("maps"))
        #expect(deit_session_run_attention(session, input, input.count, 1, Int32(c.depth), all, &maps, maps.count, nil, 0)
                == DEIT_ERR_INVALID_ARGUMENT)
        #expect(lastError().contains("blocks"))
        #expect(deit_session_run_attention(session, input, input.count, 0, 0, all, &maps, maps.count, nil, 0)
                == DEIT_ERR_INVALID_ARGUMENT)
        #expect(deit_session_run_attention(session, input, input.count, 0, Int32(c.depth), 7, &maps, maps.count, nil, 0)
                == DEIT_ERR_INVALID_ARGUMENT)
        #expect(lastError().contains("rows"))
        #expect(deit_session_run_attention(session, input, input.count, 0, Int32(c.depth), all, nil, maps.count, nil, 0)
                == DEIT_ERR_INVALID_ARGUMENT)
        #expect(deit_session_run_attention(session, input, input.count, 0, Int32(c.depth), all, &maps, maps.count, nil, 3)
                == DEIT_ERR_INVALID_ARGUMENT)
        var rollout = [Float](repeating: 0, count: 4)
        #expect(deit_attention_rollout(maps, maps.count, Int32(c.depth), Int32(c.heads), Int32(c.tokens), &rollout, 4)
                == DEIT_ERR_INVALID_ARGUMENT)
        #expect(deit_attention_rollout(maps, maps.count, -1, Int32(c.heads), Int32(c.tokens), &rollout, 4)
                == DEIT_ERR_INVALID_ARGUMENT)
        #expect(deit_attention_rollout(maps, maps.count, Int32.max, Int32.max, Int32.max, &rollout, 4)
                == DEIT_ERR_INVALID_ARGUMENT)
        var distances = [Float](repeating: 0, count: c.depth * c.heads)
        // A prefix count that leaves a non-square grid.
        #expect(deit_attention_distance(maps, maps.count, Int32(c.depth), Int32(c.heads), Int32(c.tokens), Int32(c.prefix + 1),
                                        Int32(c.patchSize), &distances, distances.count) == DEIT_ERR_INVALID_ARGUMENT)
        #expect(lastError().contains("square"))
    }
}
