import DeiTKernelTable
import DeiTRuntime

/// `bench`: load time, first run, latency statistics, memory. `--batch N`: every run is one batch of
/// N images (`Session.runBatch`); latency is per batch, throughput in images/s.
enum BenchCommand {
    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["model", "synthetic", "threads", "warmup", "runs", "image-size", "precision", "batch"], switches: ["json", "profile"])
        let threads = try args.int("threads", default: 1, range: 1...Session.maxThreads)
        let warmup = try args.int("warmup", default: 3, range: 0...100_000)
        let runs = try args.int("runs", default: 20, range: 1...1_000_000)
        let json = args.has("json")
        let batch = try args.int("batch", default: 1, range: 1...Session.maxBatchLimit)
        if batch > 1 && args.has("profile") {
            throw UsageError(message: "bench: --profile times single runs; use it without --batch")
        }
        let imageSize = try imageSizeOption(args)
        let precision = try precisionOption(args)

        // Load (from a file, or from synthetic safetensors bytes built in memory).
        let model: Model
        let source: String
        let loadStart: UInt64
        switch (args.string("model"), args.string("synthetic")) {
        case (let path?, nil):
            source = path
            loadStart = now()
            model = try loadModel(path, imageSize: imageSize, precision: precision)
        case (nil, let name?):
            let architecture = try SyntheticModel.architecture(named: name)
            source = "synthetic:\(name)"
            let bytes = SyntheticModel.safetensors(architecture)
            loadStart = now()
            model = try attempt(source) { () throws(DeiTError) in
                try withBytes(bytes) { raw throws(DeiTError) in try Model(bytes: raw, imageSize: imageSize, precision: precision) }
            }
        default:
            throw UsageError(message: "bench needs exactly one of --model FILE or --synthetic NAME")
        }
        let loadNanoseconds = now() - loadStart

        let session = try attempt(source) { () throws(DeiTError) in try Session(model: model, threads: threads, maxBatch: batch) }
        let config = model.config
        // A fixed pseudo-random normalised input (values in ±2, like a real image's).
        var state: UInt32 = 12345
        // --batch N: N such images, one after another (N × 3·S·S floats), run as one batch.
        let input = (0..<batch * config.inputCount).map { _ -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24) * 4 - 2
        }
        var logits = [Float](repeating: 0, count: batch * config.outputDim)
        var profile = ForwardProfile()
        func once(profiled: Bool) throws -> UInt64 {
            let start = now()
            try attempt(source) { () throws(DeiTError) in
                try input.withUnsafeBufferPointer { i throws(DeiTError) in
                    try logits.withUnsafeMutableBufferPointer { l throws(DeiTError) in
                        if profiled { try session.runProfiled(input: i, logits: l, profile: &profile) } else if batch > 1 {
                            try session.runBatch(count: batch, inputs: i, logits: l)
                        } else {
                            try session.run(input: i, logits: l)
                        }
                    }
                }
            }
            return now() - start
        }

        let firstRun = try once(profiled: false)
        for _ in 0..<warmup { _ = try once(profiled: false) }
        var samples: [Double] = []
        samples.reserveCapacity(runs)
        for _ in 0..<runs { samples.append(milliseconds(try once(profiled: false))) }
        if args.has("profile") { for _ in 0..<runs { _ = try once(profiled: true) } }
        let stats = LatencyStats(samples)
        let peak = peakResidentBytes()
        // The set the session chose at creation (KernelChoice: DEIT_KERNEL_SET, else the CPU's best).
        let kernels = session.kernels.set
        let gemmKernel = session.kernels.gemmKernelName
        let best = KernelChoice.best.set
        if kernels.isSlowFallback {
            writeStandardError(best == kernels ? """
                deit-cli: WARNING: this CPU runs only the portable kernels (no AVX2/FMA, \(gemmKernel)): several times slower.

                """ : """
                deit-cli: WARNING: running the portable kernels (\(gemmKernel)), several times slower than this CPU's \(best.name): unset DEIT_KERNEL_SET.

                """)
        }

        if json {
            var fields = [
                "\"model\":\(jsonString(source))",
                "\"image_size\":\(config.imageSize)", "\"embed_dim\":\(config.embedDim)", "\"depth\":\(config.depth)",
                "\"num_classes\":\(config.numClasses)", "\"distilled\":\(config.distilled)",
                "\"threads\":\(threads)", "\"batch\":\(batch)", "\"warmup\":\(warmup)", "\"runs\":\(runs)",
                "\"kernels\":\(jsonString(kernels.name))", "\"gemm_kernel\":\(jsonString(gemmKernel))",
                // The int8 GEMM the blocks' Linear layers run (null at f32).
                "\"int8_gemm_kernel\":\(model.precision == .int8 ? jsonString(session.kernels.int8GEMMKernelName) : "null")",
                "\"linear_backend\":\(jsonString(LinearBackend.openBLASCoreName.map { "openblas " + $0 } ?? "deit"))",
                "\"load_ms\":\(jsonNumber(milliseconds(loadNanoseconds)))",
                "\"first_run_ms\":\(jsonNumber(milliseconds(firstRun)))",
                "\"latency_ms\":\(stats.json)",
                "\"images_per_second\":\(jsonNumber(1000 * Double(batch) / stats.mean))",
                "\"parameters\":\(model.parameterCount)", "\"weight_bytes\":\(model.weightBytes)",
                "\"arena_bytes\":\(session.arenaBytes)",
                "\"precision\":\"\(model.precision.name)\"",
                "\"precision_source\":\(jsonString(model.precisionSource.name))",
                "\"peak_rss_bytes\":\(peak.map(String.init) ?? "null")",
            ]
            if args.has("profile") { fields.append("\"profile_ms_per_run\":\(profileJSON(profile))") }
            print("{" + fields.joined(separator: ",") + "}")
        } else {
            print("model          \(source) (\(config.imageSize)px, D \(config.embedDim), depth \(config.depth), \(config.numClasses) classes\(config.distilled ? ", distilled" : ""))")
            print("threads        \(threads)   batch \(batch)   warmup \(warmup)   runs \(runs)")
            print("precision      \(precisionDescription(model, kernels: session.kernels))")
            let ours = "\(kernels.name) (\(gemmKernel))\(kernels.isSlowFallback ? "  SLOW FALLBACK" : "")"
            if let core = LinearBackend.openBLASCoreName {   // DEIT_BLAS=openblas build
                print("kernels        openblas \(core) for linear layers; attention \(ours)")
            } else {
                print("kernels        \(ours)\(kernels == best ? "" : "   (forced; this CPU's best: \(best.name))")")
            }
            print(format("load           %.1f ms", milliseconds(loadNanoseconds)))
            print(format("first run      %.3f ms", milliseconds(firstRun)))
            if batch > 1 {
                print("per batch      \(stats.text)")
                print(format("per image      %.3f ms (batch mean / %ld)", stats.mean / Double(batch), batch))
            } else {
                print("per image      \(stats.text)")
            }
            print(format("throughput     %.1f images/s", 1000 * Double(batch) / stats.mean))
            print("parameters     \(model.parameterCount)")
            print("weight bytes   \(model.weightBytes)")
            print("arena bytes    \(session.arenaBytes)")
            print("peak RSS       \(peak.map { "\($0) bytes (\($0 >> 20) MiB)" } ?? "unavailable")")
            if args.has("profile") { printProfile(profile, unprofiledMean: stats.mean) }
        }
    }

    /// The per-class table, then how well it accounts for the time: the classes' sum against the
    /// profiled runs' wall time, and the profiled runs against the unprofiled mean (clock overhead).
    static func printProfile(_ profile: ForwardProfile, unprofiledMean: Double) {
        guard profile.runs > 0 else { return }
        let runs = Double(profile.runs), total = Double(profile.totalNanoseconds)
        print(format("profile        %ld runs, %.3f ms per run", profile.runs, total / runs / 1e6))
        var sum = 0.0
        for opClass in ForwardProfile.OpClass.allCases {
            let nanoseconds = Double(profile[opClass])
            sum += nanoseconds
            print("  " + padded(opClass.name, 12) + format(" %8.3f ms  %5.1f %%", nanoseconds / runs / 1e6,
                                                       total > 0 ? 100 * nanoseconds / total : 0))
        }
        let perRun = total / runs / 1e6
        print(format("  classes sum %8.3f ms  %5.1f %% of the profiled wall time; profiled runs %+.1f %% vs the unprofiled mean %.3f ms",
                     sum / runs / 1e6, total > 0 ? 100 * sum / total : 0,
                     unprofiledMean > 0 ? 100 * (perRun - unprofiledMean) / unprofiledMean : 0, unprofiledMean))
    }

    static func profileJSON(_ profile: ForwardProfile) -> String {
        let runs = Double(max(profile.runs, 1))
        let parts = ForwardProfile.OpClass.allCases.map { "\(jsonString($0.name)):\(jsonNumber(Double(profile[$0]) / runs / 1e6))" }
        return "{" + (parts + ["\"total\":\(jsonNumber(Double(profile.totalNanoseconds) / runs / 1e6))"]).joined(separator: ",") + "}"
    }
}
