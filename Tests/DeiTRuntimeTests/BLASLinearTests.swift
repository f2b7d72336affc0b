import DeiTRuntime
import Foundation
import Testing

/// The optional OpenBLAS backend (`DEIT_BLAS=openblas`, scripts/check-openblas.sh): the build says
/// which library runs the Linear layers, repeated runs give the same bits, and the weights are held
/// once. Agreement with timm and across thread counts are ConformanceTests' and ThreadingTests' job,
/// which scripts/check-openblas.sh runs against the OpenBLAS build too.
@Suite struct BLASLinearTests {
    @Test func buildReportsItsLinearBackend() {
        #if DEIT_OPENBLAS
        let core = LinearBackend.openBLASCoreName
        #expect(core != nil && core?.isEmpty == false, "OpenBLAS build without an OpenBLAS core name")
        #else
        #expect(LinearBackend.openBLASCoreName == nil, "default build reports OpenBLAS")
        #endif
    }

    /// Same session, same input → the same logits bit for bit, at every thread count.
    @Test func repeatedRunsGiveTheSameBits() throws {
        let (model, input) = try ThreadingTests.fixture()
        for threads in [1, 2, 3] {
            let session = try Session(model: model, threads: threads)
            let first = try ThreadingTests.logits(session, input)
            #expect(first.allSatisfy { $0.isFinite })
            for _ in 0..<3 {
                let again = try ThreadingTests.logits(session, input)
                #expect(again.elementsEqual(first) { $0.bitPattern == $1.bitPattern }, "threads \(threads)")
            }
        }
    }

    /// The Linear layers keep one copy of their weights (plain in the OpenBLAS build, packed panels
    /// otherwise): the weight allocation stays within padding of the checkpoint's parameters in F32.
    @Test func weightsAreHeldOnce() throws {
        for fixture in try FixtureModel.all() {
            let model = try TestData.model(fixture.directory.appendingPathComponent("model.safetensors"))
            let config = model.config
            // LayerScale's γ are folded into proj and fc2 at load, so they take no bytes of their own
            // (a CaiT's class-attention blocks have two each too).
            let classBlocks = config.cait?.classAttentionDepth ?? 0
            let foldedBytes = config.layerScale ? 4 * 2 * config.embedDim * (config.depth + classBlocks) : 0
            let plainBytes = 4 * model.parameterCount - foldedBytes
            // < 64 bytes per region; a CaiT adds 4 mixes per block and 10 regions per class block.
            let caitRegions = config.cait == nil ? 0 : 4 * config.depth + 10 * classBlocks + 1
            let padding = 64 * (8 * fixture.config.depth + 10 + caitRegions)
            #if DEIT_OPENBLAS
            let limit = plainBytes + padding                     // the checkpoint's values, as they are
            #else
            let limit = plainBytes + plainBytes / 4 + padding    // panels padded to the tile width
            #endif
            #expect(model.weightBytes >= plainBytes, "\(fixture.name)")
            #expect(model.weightBytes <= limit, "\(fixture.name): \(model.weightBytes) bytes for \(model.parameterCount) parameters")
        }
    }
}
