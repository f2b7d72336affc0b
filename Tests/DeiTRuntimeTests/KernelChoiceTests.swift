@testable import DeiTRuntime
import DeiTKernelTable
import DeiTKernels
import DeiTTestSupport
import Foundation
import Testing

/// The run-time choice of kernel set (`KernelChoice`) and the re-packing a session needs when its
/// set packs GEMM weights for another panel width than the model's.
@Suite struct KernelChoiceTests {
    @Test func theBaselineSetAlwaysRunsAndTheBestIsTheFirstRunnable() throws {
        let runnable = KernelChoice.runnable
        #if arch(x86_64)
        #expect(runnable.contains(.portable))
        #expect(KernelChoice.isCompiled(.avx2) && KernelChoice.isCompiled(.avx512) && KernelChoice.isCompiled(.avxVNNI)
                && KernelChoice.isCompiled(.avx512VNNI) && !KernelChoice.isCompiled(.neon)
                && !KernelChoice.isCompiled(.neonDotProd))
        #elseif arch(arm64)
        #expect(runnable.contains(.neon))
        #endif
        #expect(runnable.last?.isSlowFallback == true || runnable.last == .neon)
        #expect(KernelChoice.best.set == runnable.first)
        for set in runnable {
            let table = try KernelChoice.table(for: set)
            #expect(table.set == set)
            #expect(try KernelChoice.table(named: set.name).set == set)
        }
    }

    /// The CPU check agrees with the kernel flags Linux reports (`/proc/cpuinfo`), which the build
    /// used to read: AVX2 + FMA + BMI + … for avx2-fma, AVX-512 F/BW/CD/DQ/VL for avx512, and
    /// `avx_vnni` / `avx512_vnni` on top of them for the VNNI sets.
    @Test func theCPUCheckAgreesWithProcCPUInfo() throws {
        #if arch(x86_64) && os(Linux)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(line.split(separator: " ").map(String.init))
        let v3: Set = ["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"]
        let v4: Set = ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]
        #expect(KernelChoice.canRun(.avx2) == v3.isSubset(of: flags))
        #expect(KernelChoice.canRun(.avx512) == (v3.isSubset(of: flags) && v4.isSubset(of: flags)))
        #expect(KernelChoice.canRun(.avxVNNI) == (v3.isSubset(of: flags) && flags.contains("avx_vnni")))
        #expect(KernelChoice.canRun(.avx512VNNI)
                == (v3.isSubset(of: flags) && v4.isSubset(of: flags) && flags.contains("avx512_vnni")))
        #endif
    }

    @Test func aSetThisCPUCannotRunIsUnsupportedAndAnUnknownNameInvalid() {
        for set in KernelSet.allCases where !KernelChoice.runnable.contains(set) {
            #expect(throws: DeiTError.self) { try KernelChoice.table(for: set) }
            do {
                _ = try KernelChoice.table(for: set)
            } catch {
                #expect(error.status == .unsupported && error.message.contains(set.name))
            }
        }
        do {
            _ = try KernelChoice.table(named: "avx1024")
            Issue.record("avx1024 was accepted")
        } catch {
            #expect(error.status == .invalidArgument && error.message.contains("avx1024"))
        }
    }

    /// Re-packing between panel widths moves every value to where `pack` puts it for the new width,
    /// padding zero, and back again losslessly (ragged n; NaN-filled destinations).
    @Test(arguments: [(16, 32), (32, 16), (16, 16), (32, 8)])
    func repackingEqualsPackingForTheNewWidth(from: Int, to: Int) {
        var random = SeededGenerator(seed: 14)
        for (n, k) in [(1, 1), (17, 3), (33, 5), (64, 2), (70, 0)] {
            let weight = (0..<n * k).map { _ in Float.random(in: -1...1, using: &random) }
            let bias = (0..<n).map { _ in Float.random(in: -1...1, using: &random) }
            var source = [Float](repeating: .nan, count: PanelPacking.packedCount(n: n, k: k, panelWidth: from))
            var expected = [Float](repeating: .nan, count: PanelPacking.packedCount(n: n, k: k, panelWidth: to))
            var repacked = [Float](repeating: .nan, count: expected.count)
            PanelPacking.pack(weight: weight, bias: bias, n: n, k: k, into: &source, panelWidth: from)
            PanelPacking.pack(weight: weight, bias: bias, n: n, k: k, into: &expected, panelWidth: to)
            PanelPacking.repack(source, fromWidth: from, into: &repacked, toWidth: to, n: n, k: k)
            #expect(repacked.map(\.bitPattern) == expected.map(\.bitPattern), "n \(n) k \(k): \(from) → \(to)")
            var back = [Float](repeating: .nan, count: source.count)
            PanelPacking.repack(repacked, fromWidth: to, into: &back, toWidth: from, n: n, k: k)
            #expect(back.map(\.bitPattern) == source.map(\.bitPattern), "n \(n) k \(k): back to \(from)")
        }
    }

    /// A model's weights re-packed for another panel width (what a session forced to AVX-512's
    /// 32-wide panels, or from them to 16, gets) and back are the loaded weights bit for bit, for every
    /// fixture (CaiT's class-attention blocks included) at f32 and int8; the tensors that are not
    /// Float32 Linear layers — int8 layers included, whose panels every set shares — are shared, not
    /// copied.
    @Test(arguments: [Precision.f32, .int8])
    func weightsRepackedForAnotherWidthAndBackAreTheSame(precision: Precision) throws {
        for fixture in try FixtureModel.all() {
            let data = try Data(contentsOf: fixture.directory.appendingPathComponent("model.safetensors"))
            let model = try data.withUnsafeBytes { raw throws(DeiTError) in try Model(bytes: raw, precision: precision) }
            let weights = model.weights
            guard case .packedF32(let width) = weights.patchEmbed.format else { return }  // the OpenBLAS build
            let other = width == 16 ? 32 : 16
            let repacked = try weights.repacked(forPanelWidth: other)
            #expect(try weights.repacked(forPanelWidth: width) === weights)
            #expect(repacked.patchEmbed.format == .packedF32(panelWidth: other), "\(fixture.name)")
            #expect(repacked.classToken == weights.classToken && repacked.posEmbed == weights.posEmbed)
            let back = try repacked.repacked(forPanelWidth: width)
            let originals = KernelChoiceTests.linears(weights), moved = KernelChoiceTests.linears(repacked)
            let roundTrips = KernelChoiceTests.linears(back)
            #expect(originals.count == roundTrips.count && originals.count == moved.count, "\(fixture.name)")
            for ((original, away), roundTrip) in zip(zip(originals, moved), roundTrips) {
                #expect(roundTrip.format == original.format && roundTrip.n == original.n && roundTrip.k == original.k)
                switch original.format {
                case .packedF32:
                    #expect(away.format == .packedF32(panelWidth: other))
                    let count = PanelPacking.packedCount(n: original.n, k: original.k, panelWidth: width)
                    #expect(memcmp(original.data, roundTrip.data, count * 4) == 0, "\(fixture.name)")
                default:
                    // Not re-packed: the very same bytes.
                    #expect(away.data == original.data && roundTrip.data == original.data, "\(fixture.name)")
                }
            }
        }
    }

    /// Int8 weights packed by every set this CPU runs — from the float weight (`int8Pack`, load-time
    /// quantisation) and from its quantised form (`int8QuantizeWeight`, what `deit-cli quantize`
    /// stores, then `int8PackQuantized`, what loading an int8 file does) — are the same bytes, so an
    /// int8 file and load-time int8 give the same panels whichever set loads them. Ragged panels, odd
    /// k, an all-zero group and an all-zero row; destinations pre-filled with different bytes.
    @Test func everySetPacksInt8WeightsToTheSameBytesFromFloatsAndFromStoredInt8() {
        var random = SeededGenerator(seed: 41)
        for (n, k) in [(1, 1), (17, 33), (20, 9), (40, 197), (192, 192)] {
            var weight = (0..<n * k).map { _ in Float.random(in: -0.5...0.5, using: &random) }  // [n, k]
            let bias = (0..<n).map { _ in Float.random(in: -1...1, using: &random) }            // [n]
            if k > 32 { for i in 0..<32 { weight[i] = 0 } }        // row 0's first group
            if n > 2 { for i in 0..<k { weight[2 * k + i] = 0 } }  // row 2
            let groups = Int8GEMM.groupCount(k: k), byteCount = Int8GEMM.packedByteCount(n: n, k: k)
            var first: [UInt8]?
            for set in KernelChoice.runnable {
                guard let kernels = try? KernelChoice.table(for: set) else {
                    Issue.record("\(set.name) is runnable but has no table")
                    continue
                }
                var direct = [UInt8](repeating: 0xAA, count: byteCount)
                var stored = [UInt8](repeating: 0x55, count: byteCount)
                var quantized = [Int8](repeating: 99, count: n * k)       // [n, k]
                var scales = [Float](repeating: .nan, count: n * groups)  // [n, ⌈k/32⌉]
                weight.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        direct.withUnsafeMutableBytes { kernels.int8Pack(w.baseAddress!, b.baseAddress!, n, k, $0.baseAddress!) }
                        quantized.withUnsafeMutableBufferPointer { q in
                            scales.withUnsafeMutableBufferPointer { s in
                                kernels.int8QuantizeWeight(w.baseAddress!, n, k, q.baseAddress!, s.baseAddress!)
                                stored.withUnsafeMutableBytes {
                                    kernels.int8PackQuantized(q.baseAddress!, s.baseAddress!, b.baseAddress!, n, k, $0.baseAddress!)
                                }
                            }
                        }
                    }
                }
                #expect(quantized.allSatisfy { $0 >= -127 && $0 <= 127 }, "\(set.name) n \(n) k \(k)")
                #expect(direct == stored, "\(set.name) n \(n) k \(k): int8PackQuantized differs from int8Pack")
                if let first {
                    #expect(direct == first, "\(set.name) n \(n) k \(k): other bytes than \(KernelChoice.runnable[0].name)")
                } else {
                    first = direct
                }
            }
        }
    }

    /// Every Linear layer of `weights`, in a fixed order.
    static func linears(_ weights: PackedWeights) -> [LinearWeights] {
        var all = [weights.patchEmbed]
        for block in weights.blocks { all += [block.qkv, block.proj, block.fc1, block.fc2] }
        all += [weights.head, weights.headDist].compactMap { $0 }
        for block in weights.cait?.classBlocks ?? [] { all += [block.q, block.k, block.v, block.proj, block.fc1, block.fc2] }
        return all
    }

    /// Each kernel set this CPU runs, forced on an int8 model: the session runs that set's kernels
    /// (its int8 GEMM included: the AVX2 one for avx2-fma, the zmm ones for avx512 and avx512-vnni, the
    /// ymm `vpdpbusd` one for avx-vnni,
    /// the portable one otherwise), and
    /// its logits follow the f32 logits of the same set.
    @Test(arguments: KernelChoice.runnable)
    func int8RunsWithEveryKernelSet(set: KernelSet) throws {
        let fixtures = try FixtureModel.all().filter { $0.config.numClasses > 0 }
        for fixture in fixtures {
            let url = fixture.directory.appendingPathComponent("model.safetensors")
            let f32 = try Int8PrecisionTests.model(url, .f32), int8 = try Int8PrecisionTests.model(url, .int8)
            let session = try Session(model: int8, threads: 2, kernelSet: set)
            #expect(session.kernels.set == set)
            let suffix = set == .avx2 ? "__avx2" : set == .avx512 ? "__avx512bw"
                : set == .avxVNNI ? "__avxvnni" : set == .avx512VNNI ? "__avx512vnni"
                : (set == .neon ? "__neon_mlal" : (set == .neonDotProd ? "__neondot" : "__portable"))
            #expect(session.kernels.int8GEMMKernelName.hasPrefix("qd8_f32_qc7w_gemm_")
                    && session.kernels.int8GEMMKernelName.hasSuffix(suffix), "\(session.kernels.int8GEMMKernelName)")
            if set == .avx2 {
                // The 6-row AVX2 tile (12 ymm int32 sums), not the older 4-row one.
                #expect(session.kernels.int8GEMMKernelName == "qd8_f32_qc7w_gemm_6x16c4__avx2")
            }
            let input = try TestData.floats(fixture.directory.appendingPathComponent("\(fixture.inputs[0]).in.f32"))
            let reference = try ThreadingTests.logits(try Session(model: f32, threads: 1, kernelSet: set), input)
            let quantized = try ThreadingTests.logits(session, input)
            var dot = 0.0, referenceNorm = 0.0, quantizedNorm = 0.0
            for (r, q) in zip(reference, quantized) {
                dot += Double(r) * Double(q); referenceNorm += Double(r) * Double(r); quantizedNorm += Double(q) * Double(q)
            }
            let cosine = dot / (referenceNorm.squareRoot() * quantizedNorm.squareRoot())
            #expect(cosine >= 0.995, "\(fixture.name) \(set.name): cosine \(cosine)")
        }
    }
}
