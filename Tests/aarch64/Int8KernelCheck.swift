// The int8 GEMM kernels of an aarch64 build, checked where they run: under qemu-aarch64 (any -cpu)
// or on a board. Compiled as Embedded Swift against the objects of scripts/build-aarch64.sh and run
// by scripts/check-aarch64.sh — the SwiftPM tests (Tests/DeiTKernelsTests/Int8GEMMTests.swift) need
// a Swift SDK for aarch64 Linux to run there, which the cross build does not have.
//
// For every kernel set this build has and this CPU runs (KernelChoice.runnable: `neon-dotprod` when
// HWCAP_ASIMDDP is set, and `neon`): the set's int8 quantiser, packer and GEMM on ragged shapes and
// the worst case, against an exact integer reference — bit for bit, as the x86 tests. Every set this
// build has but this CPU cannot run must be refused with DEIT_ERR_UNSUPPORTED (not SIGILL).
// Prints the automatic choice; with DEIT_EXPECT_INT8_KERNEL set, that must be its int8 kernel.
// With DEIT_CHECK_MODEL=path/to/model.safetensors: the model loaded at int8 and at f32 runs one
// (generated) image on every runnable set; the int8 logits must be the same bits on every set and
// follow the f32 logits (cosine ≥ 0.995, as KernelChoiceTests.int8RunsWithEveryKernelSet).
// Exit status 0 when everything holds, 1 otherwise.
import CDeiTSupport
import DeiTKernelTable
import DeiTKernels
import DeiTRuntime

@_extern(c, "exit")
func exit(_ status: Int32)

var failures = 0

func fail(_ message: String) {
    print("int8-kernel-check: FAIL: \(message)")
    failures += 1
}

func spells(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

/// xorshift64*: the same values on every machine.
struct Generator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 2685821657736338717
    }
    /// Uniform in [low, high].
    mutating func float(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * Float(next() >> 40) / Float(1 << 24)
    }
    mutating func floats(_ count: Int, _ low: Float, _ high: Float) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = float(low, high) }
        return values
    }
}

/// Σ_g Float(Σ_{i∈g} qa·qw)·(sw[g]·sa[g]) + b with exact integer sums (Int8GEMMTests' reference):
/// A per row and 32 inputs to [−127, 127], ties to even; W as `Int8GEMM.quantizeWeight` quantises it
/// (|w| ≤ 127, pairs ≤ 128, binary16 scales: its own tests in Int8GEMMStoredWeightsTests).
func integerReference(m: Int, n: Int, k: Int, a: [Float], weight: [Float], bias: [Float]) -> [Float] {
    func quantize(_ values: ArraySlice<Float>) -> (values: [Int], scale: Float) {
        var largest: Float = 0
        for value in values where abs(value) > largest { largest = abs(value) }
        let scale = largest / 127
        let inverse: Float = largest > 0 ? 127 / largest : 0
        var quantized: [Int] = []
        for value in values { quantized.append(Int((value * inverse).rounded(.toNearestOrEven))) }
        return (quantized, scale)
    }
    let groups = (k + 31) / 32
    var weightValues = [Int8](repeating: 0, count: max(1, n * k)), weightScales = [Float](repeating: 0, count: max(1, n * groups))
    weight.withUnsafeBufferPointer { w in
        weightValues.withUnsafeMutableBufferPointer { q in
            weightScales.withUnsafeMutableBufferPointer { s in
                Int8GEMM.quantizeWeight(weight: w.baseAddress!, n: n, k: k, quantized: q.baseAddress!, scales: s.baseAddress!)
            }
        }
    }
    var c = [Float](repeating: 0, count: m * n)
    for row in 0..<m {
        for column in 0..<n {
            var scaled: Float = 0
            for g in 0..<groups {
                let end = min(k, g * 32 + 32)
                let qa = quantize(a[row * k + g * 32..<row * k + end])
                var sum = 0
                for offset in 0..<qa.values.count { sum += qa.values[offset] * Int(weightValues[column * k + g * 32 + offset]) }
                scaled = scaled + Float(sum) * (weightScales[column * groups + g] * qa.scale)
            }
            c[row * n + column] = scaled + bias[column]
        }
    }
    return c
}

/// The set's kernels on one problem: C [m, n] for `epilogue` (C starts as `initial`).
func run(_ table: KernelTable, m: Int, n: Int, k: Int, a: [Float], weight: [Float], bias: [Float],
         epilogue: GEMMEpilogue, initial: [Float]) -> [Float] {
    let rowLength = Int8GEMM.quantizedRowLength(k: k), groups = Int8GEMM.groupCount(k: k)
    var quantized = [UInt8](repeating: 0, count: max(1, m * rowLength))  // [m, rowLength]
    var scales = [Float](repeating: 0, count: max(1, m * groups))  // [m, groups]
    let packedBytes = Int8GEMM.packedByteCount(n: n, k: k)
    let packed = UnsafeMutableRawPointer.allocate(byteCount: max(64, packedBytes), alignment: 64)  // [packedBytes]
    defer { packed.deallocate() }
    var c = initial  // [m, n]
    weight.withUnsafeBufferPointer { w in
        bias.withUnsafeBufferPointer { b in table.int8Pack(w.baseAddress!, b.baseAddress!, n, k, packed) }
    }
    a.withUnsafeBufferPointer { x in
        quantized.withUnsafeMutableBufferPointer { q in
            scales.withUnsafeMutableBufferPointer { s in
                table.int8QuantizeRows(m, k, x.baseAddress!, k, q.baseAddress!, rowLength, s.baseAddress!, groups)
            }
        }
    }
    quantized.withUnsafeBufferPointer { q in
        scales.withUnsafeBufferPointer { s in
            c.withUnsafeMutableBufferPointer { out in
                table.int8GEMM(m, n, k, q.baseAddress!, rowLength, s.baseAddress!, groups, UnsafeRawPointer(packed),
                               out.baseAddress!, n, epilogue, 0..<Int8GEMM.panelCount(n: n))
            }
        }
    }
    return c
}

/// One shape on one set, store and accumulate, against the reference; returns the values compared.
func check(_ table: KernelTable, m: Int, n: Int, k: Int, a: [Float], weight: [Float], bias: [Float],
           label: String) -> Int {
    let expected = integerReference(m: m, n: n, k: k, a: a, weight: weight, bias: bias)
    var generator = Generator(state: UInt64(m * 1_000_003 + n * 1009 + k + 1))
    let initial = generator.floats(m * n, -1, 1)
    let stored = run(table, m: m, n: n, k: k, a: a, weight: weight, bias: bias, epilogue: .store, initial: initial)
    let accumulated = run(table, m: m, n: n, k: k, a: a, weight: weight, bias: bias, epilogue: .accumulate, initial: initial)
    for index in 0..<m * n {
        if stored[index].bitPattern != expected[index].bitPattern {
            fail("\(table.int8GEMMKernelName) \(label): store differs at row \(index / n) column \(index % n)")
            return m * n
        }
        if accumulated[index].bitPattern != (initial[index] + expected[index]).bitPattern {
            fail("\(table.int8GEMMKernelName) \(label): accumulate differs at row \(index / n) column \(index % n)")
            return m * n
        }
    }
    return 2 * m * n
}

/// Int8GEMMTests' ragged shapes (every tile height and leftover, partial panels, odd k, partial
/// groups), random data with a zero row and a weight outlier.
func checkShapes(_ table: KernelTable) -> Int {
    let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (3, 15, 7), (4, 20, 9), (5, 16, 13), (7, 31, 2), (11, 33, 5), (13, 48, 64), (37, 64, 197),
        (197, 192, 192), (198, 7, 0), (6, 17, 768), (9, 40, 100), (2, 16, 36),
    ]
    var compared = 0
    for shape in shapes {
        let (m, n, k) = shape
        var generator = Generator(state: UInt64(m * 1_000_003 + n * 1009 + k))
        var a = generator.floats(m * k, -4, 4)
        if m > 1 && k > 0 { for i in 0..<k { a[k + i] = 0 } }  // a zero row
        var weight = generator.floats(n * k, -0.5, 0.5)
        if n > 2 && k > 0 { weight[2 * k] = 7 }  // an outlier in one channel
        let bias = generator.floats(n, -1, 1)
        compared += check(table, m: m, n: n, k: k, a: a, weight: weight, bias: bias, label: "m=\(m) n=\(n) k=\(k)")
    }
    return compared
}

/// Int8GEMMTests.worstCase: activations ±1 quantise to ±127, weights ±1 to ±64 and pairs (1, 1/127)
/// to 127 and 1 — the pair bound, 128, either way: the 16-bit sums of the `smull`/`smlal` kernel
/// then hold two pairs, at most 127·256 = 32512.
func checkWorstCase(_ table: KernelTable) -> Int {
    var compared = 0
    for k in [1023, 4097] {
        let m = 3, n = 20
        var a = [Float](repeating: 0, count: m * k)
        for i in 0..<k { a[i] = 1; a[k + i] = -1; a[2 * k + i] = i % 2 == 0 ? 1 : -1 }
        var weight = [Float](repeating: 0, count: n * k)
        for j in 0..<n {
            for i in 0..<k {
                let pairOf127And1 = (i % 2 == 0 ? 1 : Float(1) / 127) * (i % 4 < 2 ? 1 : -1)
                weight[j * k + i] = [1, -1, i % 2 == 0 ? 1 : -1, pairOf127And1][j % 4]
            }
        }
        let bias = [Float](repeating: 0, count: n)
        compared += check(table, m: m, n: n, k: k, a: a, weight: weight, bias: bias, label: "worst case k=\(k)")
    }
    return compared
}

let runnable = KernelChoice.runnable
var names = ""
for set in runnable { names += (names.isEmpty ? "" : ", ") + set.name }
print("int8-kernel-check: this CPU runs: \(names)")

do {
    let automatic = try KernelChoice.table(named: nil)
    print("int8-kernel-check: automatic choice: \(automatic.set.name), int8 \(automatic.int8GEMMKernelName), f32 \(automatic.gemmKernelName)")
    if let expected = deit_support_environment("DEIT_EXPECT_INT8_KERNEL") {
        let name = String(cString: expected)
        if !spells(name, automatic.int8GEMMKernelName) {
            fail("the automatic int8 kernel is \(automatic.int8GEMMKernelName), DEIT_EXPECT_INT8_KERNEL is \(name)")
        }
    }
} catch {
    fail("no automatic kernel set: \(error.message)")
}

for set in runnable {
    do {
        let table = try KernelChoice.table(for: set)
        let failuresBefore = failures
        let compared = checkShapes(table) + checkWorstCase(table)
        if failures == failuresBefore {
            print("int8-kernel-check: \(set.name): \(table.int8GEMMKernelName): \(compared) values bit-exact (15 shapes, store and accumulate)")
        }
    } catch {
        fail("\(set.name) is runnable but refused: \(error.message)")
    }
}
for set in KernelSet.allCases where KernelChoice.isCompiled(set) && !KernelChoice.canRun(set) {
    do {
        _ = try KernelChoice.table(for: set)
        fail("\(set.name): this CPU cannot run it, yet it was given")
    } catch {
        if error.status == .unsupported {
            print("int8-kernel-check: \(set.name): built, not runnable here: DEIT_ERR_UNSUPPORTED (\(error.message))")
        } else {
            fail("\(set.name): refused with the wrong status: \(error.message)")
        }
    }
}
/// The model at `path` on every runnable set, int8 and f32 (see the top of the file).
func checkModel(path: UnsafePointer<CChar>) {
    do {
        let int8 = try Model.load(path: path, precision: .int8), f32 = try Model.load(path: path, precision: .f32)
        let side = int8.config.imageSize
        var generator = Generator(state: 20261202)
        let input = generator.floats(3 * side * side, -2, 2)  // [3, side, side]
        var first: [Float] = []
        var firstName = ""
        for set in runnable {
            func logits(_ model: Model) throws(DeiTError) -> [Float] {
                let session = try Session(model: model, threads: 1, kernelSet: set)
                var out = [Float](repeating: 0, count: model.config.outputDim)  // [outputDim]
                try input.withUnsafeBufferPointer { x throws(DeiTError) in
                    try out.withUnsafeMutableBufferPointer { y throws(DeiTError) in try session.run(input: x, logits: y) }
                }
                return out
            }
            let quantized = try logits(int8), reference = try logits(f32)
            var dot = 0.0, referenceNorm = 0.0, quantizedNorm = 0.0, top = 0
            for i in 0..<quantized.count {
                dot += Double(reference[i]) * Double(quantized[i])
                referenceNorm += Double(reference[i]) * Double(reference[i])
                quantizedNorm += Double(quantized[i]) * Double(quantized[i])
                if quantized[i] > quantized[top] { top = i }
            }
            let cosine = dot / (referenceNorm.squareRoot() * quantizedNorm.squareRoot())
            print("int8-kernel-check: model on \(set.name): int8 top-1 class \(top), cosine to f32 \(Int(cosine * 1e6))e-6")
            if !(cosine >= 0.995) { fail("model on \(set.name): int8 logits' cosine to f32 is \(Int(cosine * 1e6))e-6") }
            if first.isEmpty {
                first = quantized
                firstName = set.name
            } else {
                for i in 0..<quantized.count where quantized[i].bitPattern != first[i].bitPattern {
                    fail("model: int8 logit \(i) differs between \(firstName) and \(set.name)")
                    break
                }
            }
        }
        if runnable.count > 1 && failures == 0 { print("int8-kernel-check: model: int8 logits bit-identical on \(names)") }
    } catch {
        fail("model: \(error.message)")
    }
}
if let model = deit_support_environment("DEIT_CHECK_MODEL") { checkModel(path: model) }

if failures > 0 {
    print("int8-kernel-check: \(failures) failures")
    exit(1)
}
print("int8-kernel-check: OK")
