import DeiTKernelTable
// Layout arithmetic only (`Int8GEMM`'s sizes: the same in every set); the kernels run through a
// `KernelTable`, as in a session.
import DeiTKernels
import DeiTRuntime

/// `bench-gemm`: the Linear-layer kernels alone, f32 against int8, on one thread — to see where a
/// precision's time goes without the rest of the forward pass (the model bench is `bench`).
///
/// Shapes are DeiT-Ti's four Linear layers at 224 px by default (M = 197 tokens): qkv 192→576, proj
/// 192→192, fc1 192→768, fc2 768→192; or `--m M --n N --k K`. For each shape and kernel: the minimum
/// and median time of `--runs` calls after `--warmup`, and multiply-adds per nanosecond at the minimum
/// (the least disturbed call on a shared machine). The int8 time includes quantising A (it runs before
/// every int8 GEMM in the forward pass) and is also shown without it. The kernels are the set a session
/// would choose (`KernelChoice`: `DEIT_KERNEL_SET`, else this CPU's best), called through its table.
enum GEMMBenchCommand {
    struct Shape { let name: String; let m: Int; let n: Int; let k: Int }

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["m", "n", "k", "warmup", "runs"], switches: [])
        let warmup = try args.int("warmup", default: 20, range: 0...100_000)
        let runs = try args.int("runs", default: 200, range: 1...1_000_000)
        let shapes: [Shape]
        switch (args.string("m"), args.string("n"), args.string("k")) {
        case (nil, nil, nil):
            shapes = [Shape(name: "qkv", m: 197, n: 576, k: 192), Shape(name: "proj", m: 197, n: 192, k: 192),
                      Shape(name: "fc1", m: 197, n: 768, k: 192), Shape(name: "fc2", m: 197, n: 192, k: 768)]
        case (.some, .some, .some):
            shapes = [Shape(name: "custom", m: try args.int("m", default: 1, range: 1...65_536),
                            n: try args.int("n", default: 1, range: 1...65_536),
                            k: try args.int("k", default: 1, range: 1...65_536))]
        default:
            throw UsageError(message: "bench-gemm takes all of --m, --n and --k, or none (DeiT-Ti's shapes)")
        }
        let kernels = try attempt("kernel set") { () throws(DeiTError) in try KernelChoice.table(for: nil) }
        print("kernels  \(kernels.set.name): f32 \(kernels.gemmKernelName), int8 \(kernels.int8GEMMKernelName); 1 thread, \(runs) runs after \(warmup)")
        print("shape            f32 min/median µs    int8 min/median µs   (GEMM only)     MAC/ns f32  int8    int8/f32")
        var totals = (f32: 0.0, int8: 0.0)
        for shape in shapes {
            let result = measure(shape, kernels: kernels, warmup: warmup, runs: runs)
            let macs = Double(shape.m * shape.n * shape.k)
            totals.f32 += result.f32.min
            totals.int8 += result.int8.min
            print(padded("\(shape.name) \(shape.m)×\(shape.k)→\(shape.n)", 17)
                  + padded(format("%.1f / %.1f", result.f32.min, result.f32.median), 21)
                  + padded(format("%.1f / %.1f", result.int8.min, result.int8.median), 21)
                  + padded(format("(%.1f)", result.int8GEMM.min), 16)
                  + format("%-12.2f%-8.2f%.3f", macs / (result.f32.min * 1000), macs / (result.int8.min * 1000),
                           result.int8.min / result.f32.min))
        }
        if shapes.count > 1 {
            print(format("sum of minima: f32 %.1f µs, int8 %.1f µs, int8/f32 %.3f", totals.f32, totals.int8, totals.int8 / totals.f32))
        }
    }

    struct Timing { let min: Double; let median: Double }

    /// Packs random weights both ways, then times `runs` calls of each of `kernels`' GEMMs (microseconds).
    static func measure(_ shape: Shape, kernels: KernelTable, warmup: Int, runs: Int)
        -> (f32: Timing, int8: Timing, int8GEMM: Timing) {
        let m = shape.m, n = shape.n, k = shape.k
        var state: UInt32 = 2024
        func random() -> Float {
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int32(bitPattern: state >> 8) - 0x80_0000) / Float(0x80_0000)
        }
        let a = (0..<(m * k)).map { _ in random() * 2 }  // [m, k]
        let weight = (0..<(n * k)).map { _ in random() * 0.1 }  // [n, k]
        let bias = (0..<n).map { _ in random() }  // [n]
        let panelWidth = kernels.gemmPanelWidth
        var packed = [Float](repeating: 0, count: PanelPacking.packedCount(n: n, k: k, panelWidth: panelWidth))  // f32 panels
        var packedInt8 = [UInt8](repeating: 0, count: Int8GEMM.packedByteCount(n: n, k: k))  // int8 panels
        let ldq = Int8GEMM.quantizedRowLength(k: k), groups = Int8GEMM.groupCount(k: k)
        var quantized = [UInt8](repeating: 0, count: m * ldq)  // [m, ldq]
        var scales = [Float](repeating: 0, count: m * groups)  // [m, groups]
        var c = [Float](repeating: 0, count: m * n)  // [m, n]
        let f32Panels = 0..<PanelPacking.panelCount(n: n, panelWidth: panelWidth)
        let int8Panels = 0..<Int8GEMM.panelCount(n: n)
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                packed.withUnsafeMutableBufferPointer { p in
                    PanelPacking.pack(weight: w.baseAddress!, bias: b.baseAddress!, n: n, k: k, into: p.baseAddress!,
                                      panelWidth: panelWidth)
                }
                packedInt8.withUnsafeMutableBytes { kernels.int8Pack(w.baseAddress!, b.baseAddress!, n, k, $0.baseAddress!) }
            }
        }

        func time(_ body: () -> Void) -> Timing {
            for _ in 0..<warmup { body() }
            var samples: [Double] = []
            samples.reserveCapacity(runs)
            for _ in 0..<runs {
                let start = now()
                body()
                samples.append(Double(now() - start) / 1000)
            }
            samples.sort()
            return Timing(min: samples[0], median: samples[samples.count / 2])
        }
        func quantize() {
            a.withUnsafeBufferPointer { x in
                quantized.withUnsafeMutableBufferPointer { q in
                    scales.withUnsafeMutableBufferPointer { s in
                        kernels.int8QuantizeRows(m, k, x.baseAddress!, k, q.baseAddress!, ldq, s.baseAddress!, groups)
                    }
                }
            }
        }
        func multiplyInt8() {
            packedInt8.withUnsafeBytes { panels in
                quantized.withUnsafeBufferPointer { q in
                    scales.withUnsafeBufferPointer { s in
                        c.withUnsafeMutableBufferPointer { out in
                            kernels.int8GEMM(m, n, k, q.baseAddress!, ldq, s.baseAddress!, groups, panels.baseAddress!,
                                             out.baseAddress!, n, .store, int8Panels)
                        }
                    }
                }
            }
        }
        func multiplyF32() {
            a.withUnsafeBufferPointer { x in
                packed.withUnsafeBufferPointer { p in
                    c.withUnsafeMutableBufferPointer { out in
                        kernels.gemm(m, n, k, x.baseAddress!, k, p.baseAddress!, out.baseAddress!, n, .store, f32Panels)
                    }
                }
            }
        }
        let f32 = time { multiplyF32() }
        let int8 = time { quantize(); multiplyInt8() }
        quantize()
        let int8GEMM = time { multiplyInt8() }
        return (f32, int8, int8GEMM)
    }
}
