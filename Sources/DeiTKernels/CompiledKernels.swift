import DeiTKernelTable

/// This module's kernels as one `KernelTable` entry. The kernel sources are compiled once per
/// instruction set (Package.swift), so `DeiTKernels.CompiledKernels`, `DeiTKernelsAVX2.CompiledKernels`
/// and `DeiTKernelsAVX512.CompiledKernels` (and the two VNNI modules') are tables of the same code built several ways (on
/// aarch64: `DeiTKernels` and `DeiTKernelsDotProd`, two); the runtime picks one per session (DeiTRuntime's `KernelChoice`).
public enum CompiledKernels {
    /// The instruction set this module was compiled for.
    public static var set: KernelSet {
        #if DEIT_AVX512VNNI
        .avx512VNNI
        #elseif DEIT_AVX512
        .avx512
        #elseif DEIT_AVXVNNI
        .avxVNNI
        #elseif DEIT_AVX2
        .avx2
        #elseif DEIT_DOTPROD
        .neonDotProd
        #elseif arch(arm64)
        .neon
        #else
        .portable
        #endif
    }

    /// Whether the vector multiply-add is fused (one `vfmadd`/`fmla`) in this module.
    public static var fusedMultiplyAdd: Bool {
        #if DEIT_FMA || arch(arm64)
        true
        #else
        false
        #endif
    }

    /// Whether this set's int8 precision computes attention's two products on 16-bit integers: on x86,
    /// where `vpmaddwd` does 16 multiply-adds per instruction against an FMA's 8. NEON's 16-bit `smlal`
    /// does no more than its `fmla`, so the other sets keep f32 attention.
    public static var int16Attention: Bool {
        #if DEIT_AVX2 || DEIT_AVX512
        true
        #else
        false
        #endif
    }

    /// Every kernel of this module, for the runtime to call through. A new kernel: one line here.
    /// (DeiTKernelsDotProd's reaches the runtime through `dotProdKernelTable`, not this name.)
    public static var table: KernelTable {
        KernelTable(
            set: set, gemmKernelName: PackedGEMM.kernelName, gemmPanelWidth: PackedGEMM.panelWidth,
            gemm: { m, n, k, a, lda, packed, c, ldc, epilogue, panelRange in
                PackedGEMM.multiply(m: m, n: n, k: k, a: a, lda: lda, packed: packed, c: c, ldc: ldc,
                                    epilogue: epilogue, panelRange: panelRange)
            },
            attentionPackHead: { tokens, headDim, k, v, ldQKV, scale, packedKeys, packedValues in
                AttentionKernel.packHead(tokens: tokens, headDim: headDim, k: k, v: v, ldQKV: ldQKV, scale: scale,
                                         packedKeys: packedKeys, packedValues: packedValues)
            },
            attentionRows: { queryRows, tokens, headDim, q, ldQKV, packedKeys, packedValues, scores, out, ldOut,
                             probabilities, probabilityRows in
                AttentionKernel.rows(queryRows, tokens: tokens, headDim: headDim, q: q, ldQKV: ldQKV,
                                     packedKeys: packedKeys, packedValues: packedValues, scores: scores,
                                     out: out, ldOut: ldOut, probabilities: probabilities,
                                     probabilityRows: probabilityRows)
            },
            talkingHeadsRows: { queryRows, tokens, heads, headDim, q, ldQKV, packedKeys, packedKeysStride, packedValues,
                                packedValuesStride, logitsMix, logitsBias, weightsMix, weightsBias, scratch, out, ldOut in
                TalkingHeadsKernel.rows(queryRows, tokens: tokens, heads: heads, headDim: headDim, q: q, ldQKV: ldQKV,
                                        packedKeys: packedKeys, packedKeysStride: packedKeysStride,
                                        packedValues: packedValues, packedValuesStride: packedValuesStride,
                                        logitsMix: logitsMix, logitsBias: logitsBias,
                                        weightsMix: weightsMix, weightsBias: weightsBias,
                                        scratch: scratch, out: out, ldOut: ldOut)
            },
            layerNorm: { rows, width, x, ldx, gamma, beta, epsilon, out, ldOut in
                LayerNormKernel.normalize(rows: rows, width: width, x: x, ldx: ldx, gamma: gamma, beta: beta,
                                          epsilon: epsilon, out: out, ldOut: ldOut)
            },
            add: { x, y, count in Elementwise.add(x, into: y, count: count) },
            applyGELU: { x, count in Elementwise.applyGELU(x, count: count) },
            applyQuickGELU: { x, count in Elementwise.applyQuickGELU(x, count: count) },
            extractPatches: { image, channels, imageSize, patchSize, out in
                PatchKernel.extractPatches(image: image, channels: channels, imageSize: imageSize,
                                           patchSize: patchSize, out: out)
            },
            exp: { x in VectorMath.exp(x) },
            int8GEMMKernelName: Int8GEMM.kernelName,
            int8QuantizeRows: { rows, k, x, ldx, out, ldOut, scales, ldScales in
                Int8GEMM.quantizeRows(rows: rows, k: k, x: x, ldx: ldx, out: out, ldOut: ldOut,
                                      scales: scales, ldScales: ldScales)
            },
            int8GEMM: { m, n, k, a, lda, aScales, ldScales, packed, c, ldc, epilogue, panelRange in
                Int8GEMM.multiply(m: m, n: n, k: k, a: a, lda: lda, aScales: aScales, ldScales: ldScales,
                                  packed: packed, c: c, ldc: ldc, epilogue: epilogue, panelRange: panelRange)
            },
            int8Pack: { weight, bias, n, k, packed in
                Int8GEMM.pack(weight: weight, bias: bias, n: n, k: k, into: packed)
            },
            int8QuantizeWeight: { weight, n, k, quantized, scales in
                Int8GEMM.quantizeWeight(weight: weight, n: n, k: k, quantized: quantized, scales: scales)
            },
            int8PackQuantized: { quantized, scales, bias, n, k, packed in
                Int8GEMM.pack(quantized: quantized, scales: scales, bias: bias, n: n, k: k, into: packed)
            },
            int16Attention: int16Attention,
            int16AttentionPackHead: { tokens, headDim, k, v, ldQKV, scale, packedKeys, packedValues in
                Int16AttentionKernel.packHead(tokens: tokens, headDim: headDim, k: k, v: v, ldQKV: ldQKV, scale: scale,
                                             packedKeys: packedKeys, packedValues: packedValues)
            },
            int16AttentionRows: { queryRows, tokens, headDim, q, ldQKV, packedKeys, packedValues, scratch, out, ldOut,
                                 probabilities, probabilityRows in
                Int16AttentionKernel.rows(queryRows, tokens: tokens, headDim: headDim, q: q, ldQKV: ldQKV,
                                         packedKeys: packedKeys, packedValues: packedValues, scratch: scratch,
                                         out: out, ldOut: ldOut, probabilities: probabilities,
                                         probabilityRows: probabilityRows)
            })
    }
}

#if DEIT_DOTPROD
/// DeiTKernelsDotProd's table under a plain symbol, which DeiTRuntime's KernelChoice declares and
/// calls without importing this module. Embedded Swift compiles every function a client reaches
/// into the client's own object — the runtime, compiled without `+dotprod` — and LLVM cannot emit
/// `sdot` there ("Cannot select AArch64ISD::SDOT"); behind this symbol the kernels stay in this
/// module's object, compiled with `+dotprod`, and run only where KernelChoice found HWCAP_ASIMDDP.
@_silgen_name("deit_internal_dotprod_kernel_table")
@inline(never)
public func dotProdKernelTable() -> KernelTable { CompiledKernels.table }
#endif
