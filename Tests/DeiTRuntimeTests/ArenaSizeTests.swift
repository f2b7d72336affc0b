import Testing
import DeiTRuntime

/// Pins the session arena for DeiT-Ti at 224 (T = 197, D = 192, H = 768). The peak is step 4
/// (attention): tokens + qkv + one head's scratch + head outputs. A change that makes the arena
/// grow fails here; one that shrinks it should lower the pin.
@Suite struct ArenaSizeTests {
    static let deitTiny = ModelConfig(imageSize: 224, patchSize: 16, embedDim: 192, depth: 12, numHeads: 3,
                                      mlpHiddenDim: 768, numClasses: 1000, distilled: false)
    static let pinnedDeiTTinyArenaBytes = 970_047

    @Test func deitTinyArenaIsPinned() throws {
        let bytes = try Session.arenaBytes(for: ArenaSizeTests.deitTiny, threads: 1)
        let t = 197, d = 192
        // Lower bound: the residual stream, qkv and head outputs are all live during attention.
        #expect(bytes >= 4 * (t * d + 3 * t * d + t * d))
        #expect(bytes == ArenaSizeTests.pinnedDeiTTinyArenaBytes, "DeiT-Ti arena is \(bytes) bytes")
    }

    @Test func arenaIsBelowOneBufferPerActivation() throws {
        let c = ArenaSizeTests.deitTiny
        let t = c.numTokens, d = c.embedDim, h = c.mlpHiddenDim
        let unplanned = 4 * (c.numPatches * c.patchValues + 4 * t * d + 3 * t * d + t * t + t * h)
        #expect(try Session.arenaBytes(for: c, threads: 1) < unplanned)
    }
}
