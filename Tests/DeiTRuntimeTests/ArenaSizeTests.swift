import Testing
import DeiTRuntime

/// Pins the session arena for DeiT-Ti at 224 (T = 197, D = 192, H = 768). The peak is step 4
/// (attention): tokens + qkv + every head's packed K and V (so workers can share the heads' query
/// rows) + one R×T score block per thread + head outputs. A change that makes the arena grow fails
/// here; one that shrinks it should lower the pin. (Was 970,047 bytes with one head's T×T scratch
/// before the worker pool; each further thread adds at most R·T·4 = 31,520 bytes.)
@Suite struct ArenaSizeTests {
    static let deitTiny = ModelConfig(imageSize: 224, patchSize: 16, embedDim: 192, depth: 12, numHeads: 3,
                                      mlpHiddenDim: 768, numClasses: 1000, distilled: false)
    static let pinnedDeiTTinyArenaBytes = 1_355_583

    @Test func deitTinyArenaIsPinned() throws {
        let bytes = try Session.arenaBytes(for: ArenaSizeTests.deitTiny, threads: 1)
        let t = 197, d = 192
        // Lower bounds: the residual stream, qkv and head outputs are all live during attention;
        // the preprocessed image and the patch matrix while patches are extracted.
        #expect(bytes >= 4 * (t * d + 3 * t * d + t * d))
        #expect(bytes >= 4 * (3 * 224 * 224 + 196 * 768))
        #expect(bytes == ArenaSizeTests.pinnedDeiTTinyArenaBytes, "DeiT-Ti arena is \(bytes) bytes")
    }

    @Test func eachThreadAddsOneScoreBlock() throws {
        let one = try Session.arenaBytes(for: ArenaSizeTests.deitTiny, threads: 1)
        let two = try Session.arenaBytes(for: ArenaSizeTests.deitTiny, threads: 2)
        let four = try Session.arenaBytes(for: ArenaSizeTests.deitTiny, threads: 4)
        // The planner may fit a score block into a gap, so an extra thread costs at most one block.
        #expect(two >= one && four >= two)
        #expect(four - one <= 3 * 40 * 197 * 4 + 3 * 64, "4 threads cost \(four - one) bytes more than 1")
    }

    @Test func arenaIsBelowOneBufferPerActivation() throws {
        let c = ArenaSizeTests.deitTiny
        let t = c.numTokens, d = c.embedDim, h = c.mlpHiddenDim
        let unplanned = 4 * (c.numPatches * c.patchValues + 4 * t * d + 3 * t * d + t * t + t * h)
        #expect(try Session.arenaBytes(for: c, threads: 1) < unplanned)
    }
}
