import DeiTKernels
import Testing
import DeiTTestSupport

struct PatchShape: Sendable, CustomStringConvertible {
    let channels: Int, imageSize: Int, patchSize: Int
    var description: String { "C=\(channels) S=\(imageSize) P=\(patchSize)" }
}

@Suite("PatchKernel")
struct PatchKernelTests {
    @Test(
        "patches × flattened conv weight equals the direct convolution",
        arguments: [
            PatchShape(channels: 3, imageSize: 32, patchSize: 16),
            PatchShape(channels: 3, imageSize: 48, patchSize: 16),
            PatchShape(channels: 1, imageSize: 21, patchSize: 7), PatchShape(channels: 2, imageSize: 12, patchSize: 4),
            PatchShape(channels: 3, imageSize: 224, patchSize: 16), PatchShape(channels: 3, imageSize: 8, patchSize: 8),
        ])
    func matchesConvolution(shape: PatchShape) {
        let (channels, size, patch) = (shape.channels, shape.imageSize, shape.patchSize)
        let outChannels = 5
        let grid = size / patch
        let patchLength = channels * patch * patch
        var random = SeededGenerator(seed: UInt64(size * 10 + patch))
        let image = random.floats(channels * size * size)
        let weight = random.floats(outChannels * patchLength)  // [D, C, P, P] = [D, C·P·P]
        let patches = GuardedBuffer(count: grid * grid * patchLength)
        PatchKernel.extractPatches(
            image: image, channels: channels, imageSize: size, patchSize: patch, out: patches.pointer)

        let direct = Reference.patchConvolution(
            image: image, channels: channels, imageSize: size, patchSize: patch, weight: weight,
            outChannels: outChannels)
        // Exact layout: the same double sums over the same (c, kh, kw) order give the same numbers.
        let viaPatches = Reference.linear(
            m: grid * grid, n: outChannels, k: patchLength, a: patches.values, lda: patchLength,
            weight: weight, bias: [Double](repeating: 0, count: outChannels).map(Float.init)
        ).z
        #expect(viaPatches == direct)

        // And through the optimised GEMM, the way the patch embedding runs.
        var packed = [Float](repeating: 0, count: PackedGEMM.packedCount(n: outChannels, k: patchLength))
        PackedGEMM.pack(
            weight: weight, bias: [Float](repeating: 0, count: outChannels), n: outChannels, k: patchLength,
            into: &packed)
        var embedded = [Float](repeating: .nan, count: grid * grid * outChannels)
        PackedGEMM.multiply(
            m: grid * grid, n: outChannels, k: patchLength, a: patches.pointer, lda: patchLength, packed: packed,
            c: &embedded, ldc: outChannels, epilogue: .store)
        let bound = Double(patchLength + 2) * floatRoundoff * Double(patchLength)  // |pixel·w| ≤ 1
        #expect(zip(embedded, direct).allSatisfy { abs(Double($0) - $1) <= bound })
    }
}
