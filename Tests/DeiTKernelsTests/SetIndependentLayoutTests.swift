@testable import DeiTKernels
import Testing

/// The sizes the runtime plans its arena and int8 weights from come from the baseline module
/// (DeiTRuntime calls `AttentionKernel.packedKeysCount`, `Int8GEMM.packedByteCount`, … of
/// DeiTKernels before, and whatever, a kernel set is chosen), so every set must lay these buffers out
/// the same way. This suite runs against the baseline module (DeiTKernelsTests) and the AVX2 module
/// (DeiTKernelsAVX2Tests) with the same literal expectations: a set-specific layout fails one of them.
@Suite("Layouts shared by every kernel set")
struct SetIndependentLayoutTests {
    @Test("attention panels: 8-column steps, 24-column panels, the same counts")
    func attentionPanels() {
        #expect(AttentionTiles.panelWidth == 24)
        // DeiT-Ti: T = 197, hd = 64; ⌈197/8⌉·8·64 and ⌈64/8⌉·8·197.
        #expect(AttentionKernel.packedKeysCount(tokens: 197, headDim: 64) == 200 * 64)
        #expect(AttentionKernel.packedValuesCount(tokens: 197, headDim: 64) == 64 * 197)
        #expect(AttentionKernel.scoresCount(rows: 40, tokens: 197) == 40 * 197)
        #expect(TalkingHeadsKernel.scratchCount(rows: 8, heads: 4, tokens: 196) == 2 * 4 * 8 * 196)
    }

    @Test("16-bit attention: per panel column a scale and its words, the same scratch")
    func int16AttentionLayout() {
        #expect(Int16AttentionKernel.limit == 2047 && Int16AttentionKernel.maximumHeadDim == 512)
        // T = 197 in 200 columns, hd = 64: (32 words + 1 scale) · 4 bytes each; hd = 37: 19 words.
        #expect(Int16AttentionKernel.packedKeysByteCount(tokens: 197, headDim: 64) == 200 * 33 * 4)
        #expect(Int16AttentionKernel.packedKeysByteCount(tokens: 5, headDim: 37) == 8 * 20 * 4)
        // V: 64 head columns × (⌈197/2⌉ words + 1 scale). Scratch per row: T scores, 32 + 99 words, 2 scales.
        #expect(Int16AttentionKernel.packedValuesByteCount(tokens: 197, headDim: 64) == 64 * 100 * 4)
        #expect(Int16AttentionKernel.scratchCount(rows: 40, tokens: 197, headDim: 64) == 40 * (197 + 32 + 99 + 2))
    }

    @Test("int8 GEMM: 16-column panels, groups of 32, the same packed and row sizes")
    func int8Layout() {
        #expect(Int8GEMM.panelWidth == 16 && Int8GEMM.groupSize == 32)
        #expect(Int8GEMM.weightLimit == 127 && Int8GEMM.pairLimit == 128)  // the loader's check of int8 files reads the baseline's
        // n = 37, k = 67: 3 panels of 64 (bias) + 3 groups · 128 (scales, corrections) + 17 quads · 64 bytes.
        #expect(Int8GEMM.packedByteCount(n: 37, k: 67) == 3 * (64 + 3 * 128 + 17 * 64))
        #expect(Int8GEMM.quantizedRowLength(k: 67) == 68 && Int8GEMM.groupCount(k: 67) == 3)
        #expect(Int8GEMM.panelCount(n: 37) == 3)
    }
}
