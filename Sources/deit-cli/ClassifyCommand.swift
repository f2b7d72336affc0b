import DeiTRuntime

/// `classify`: top-K classes for JPEG/PNG files and directories of them.
enum ClassifyCommand {
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["model", "top", "threads", "labels", "crop-pct", "max-image-bytes", "max-pixels", "image-size", "precision", "batch"],
                                 switches: ["json"], positionalsAllowed: true)
        let options = try ImageRunOptions(args, command: "classify")
        let model = try loadModel(options.modelPath, imageSize: try imageSizeOption(args),
                                  precision: try precisionOption(args))
        let classes = model.config.numClasses
        guard model.config.hasHead else {
            throw Failure(message: "\(options.modelPath): \(TopKCount.headlessMessage)")
        }
        let k = try TopKCount(try args.int("top", default: 5, range: 1...classes), classes: classes)
        let labels = try args.string("labels").map { try readLabels($0, classes: classes) } ?? modelLabels(model)
        let batch = try args.int("batch", default: 1, range: 1...256)
        if options.files.count > 1 {
            // Many files: decoding overlapped with inference, batches of up to --batch.
            let session = try attempt(options.modelPath) { () throws(DeiTError) in
                try Session(model: model, threads: options.threads, maxBatch: min(batch, options.files.count))
            }
            try classifyPipelined(options, session: session, batch: min(batch, options.files.count), k: k) { file, top, times in
                report(file: file, top: top, labels: labels, json: options.json, times: times)
            }
            return
        }
        let session = try attempt(options.modelPath) { () throws(DeiTError) in try Session(model: model, threads: options.threads) }
        try forEachImage(options, session: session) { () throws(DeiTError) -> [Prediction] in
            var top: [Prediction] = []
            session.classifyPreparedInput(count: k) { _, prediction in top.append(prediction) }
            return top
        } report: { file, top, times in
            report(file: file, top: top, labels: labels, json: options.json, times: times)
        }
    }

    /// What `classify` and `embed` share: the model, threads, images and how to decode them.
    struct ImageRunOptions {
        var modelPath: String
        var threads: Int
        var cropPct: Double?
        var limits: ImageLimits
        var json: Bool
        var files: [String]

        init(_ args: Arguments, command: String) throws {
            modelPath = try args.required("model")
            guard !args.positionals.isEmpty else { throw UsageError(message: "\(command) needs at least one IMAGE or DIR") }
            threads = try args.int("threads", default: 1, range: 1...Session.maxThreads)
            cropPct = try args.double("crop-pct")
            if let cropPct, !(0.1...1).contains(cropPct) { throw UsageError(message: "--crop-pct must be between 0.1 and 1") }
            limits = ImageLimits.default
            limits.maxFileBytes = try args.int("max-image-bytes", default: limits.maxFileBytes, range: 1...Int(Int32.max))
            limits.maxPixels = try args.int("max-pixels", default: limits.maxPixels, range: 1...Int(Int32.max))
            json = args.has("json")
            files = try ClassifyCommand.expand(args.positionals)
        }
    }

    /// Decodes and preprocesses every file into the session's input, runs `infer` on it and calls
    /// `report` with the result and the times (decode, preprocess, infer ms); failures get one line
    /// each on standard error, many files a summary; throws `Failure` when any image failed.
    static func forEachImage<Result>(_ options: ImageRunOptions, session: Session,
                                     infer: () throws(DeiTError) -> Result,
                                     report: (String, Result, (decode: Double, preprocess: Double, infer: Double)) -> Void) throws {
        let files = options.files
        var failures = 0
        var decodeTimes: [Double] = [], preprocessTimes: [Double] = [], inferTimes: [Double] = []
        let started = now()
        var progress = ProgressLine(total: files.count)
        for (number, file) in files.enumerated() {
            progress.show(done: number)
            let t0 = now()
            var t1 = t0, t2 = t0
            let outcome: Swift.Result<Result, DeiTError> = file.withCString { path in
                do throws(DeiTError) {
                    let image = try RGBImage.load(path: path, limits: options.limits)
                    t1 = now()
                    try session.prepareInput(image.view, cropPct: options.cropPct)
                    t2 = now()
                    return .success(try infer())
                } catch {
                    return .failure(error)
                }
            }
            let t3 = now()
            progress.clear()
            switch outcome {
            case .failure(let error):
                failures += 1
                let message = error.message.hasPrefix("'") ? error.message : "\(file): \(error.message)"
                writeStandardError("deit-cli: \(error.status.name): \(message)\n")
            case .success(let result):
                decodeTimes.append(milliseconds(t1 - t0)); preprocessTimes.append(milliseconds(t2 - t1))
                inferTimes.append(milliseconds(t3 - t2))
                report(file, result, (milliseconds(t1 - t0), milliseconds(t2 - t1), milliseconds(t3 - t2)))
            }
        }
        if files.count > 1 {
            summarize(count: files.count, failures: failures, seconds: Double(now() - started) / 1e9,
                      decode: decodeTimes, preprocess: preprocessTimes, infer: inferTimes, toStandardError: options.json)
        }
        if failures > 0 {
            // Each failure was already reported on its own line; a summary line only for many files.
            throw files.count > 1 ? Failure(message: "\(failures) of \(files.count) images failed") : Failure(message: "")
        }
    }

    /// `classify` of many files: a decode thread (`DecodeRing`) decodes and preprocesses the files in
    /// order into a ring of 2·batch inputs while this thread runs them in batches of up to `batch`
    /// (the ready files in order, a batch as soon as it is full or the next file is not ready and
    /// at least one waits); reports and failures in file order, as `forEachImage`. A file's infer_ms
    /// is its batch's time divided by the batch's images. The logits are the bits a single run gives.
    static func classifyPipelined(_ options: ImageRunOptions, session: Session, batch: Int, k: TopKCount,
                                  report: (String, [Prediction], (decode: Double, preprocess: Double, infer: Double)) -> Void) throws {
        let files = options.files
        let config = session.model.config
        let transform = try attempt(options.modelPath) { () throws(DeiTError) in
            try session.model.preprocessing.transform(cropPct: options.cropPct)
        }
        let ring = DecodeRing(files: files, capacity: 2 * batch, transform: transform, limits: options.limits)
        guard ring.start() else { throw Failure(message: "cannot start the decode thread") }
        defer { ring.finish() }
        var inputs = [Float](repeating: 0, count: batch * config.inputCount)   // (batch, 3·S·S)
        var logits = [Float](repeating: 0, count: batch * config.outputDim)    // (batch, C)
        var pending: [(file: Int, entry: DecodeRing.Entry)] = []
        pending.reserveCapacity(batch)
        var failures = 0
        var decodeTimes: [Double] = [], preprocessTimes: [Double] = [], inferTimes: [Double] = []
        let started = now()
        var progress = ProgressLine(total: files.count)

        func runPending() throws {
            guard !pending.isEmpty else { return }
            let count = pending.count
            let t0 = now()
            try attempt(options.modelPath) { () throws(DeiTError) in
                try inputs.withUnsafeBufferPointer { i throws(DeiTError) in
                    try logits.withUnsafeMutableBufferPointer { l throws(DeiTError) in
                        try session.runBatch(count: count, inputs: UnsafeBufferPointer(rebasing: i[0..<count * config.inputCount]),
                                             logits: UnsafeMutableBufferPointer(rebasing: l[0..<count * config.outputDim]))
                    }
                }
            }
            let perImage = milliseconds(now() - t0) / Double(count)
            progress.clear()
            for (position, item) in pending.enumerated() {
                var top: [Prediction] = []
                logits.withUnsafeBufferPointer { l in
                    let row = UnsafeBufferPointer(rebasing: l[position * config.outputDim ..< (position + 1) * config.outputDim])
                    TopK.select(logits: row, count: k) { _, prediction in top.append(prediction) }
                }
                decodeTimes.append(item.entry.decodeMilliseconds); preprocessTimes.append(item.entry.preprocessMilliseconds)
                inferTimes.append(perImage)
                report(files[item.file], top,
                       (item.entry.decodeMilliseconds, item.entry.preprocessMilliseconds, perImage))
            }
            pending.removeAll(keepingCapacity: true)
        }

        for index in files.indices {
            // Run what is gathered when the batch is full, or when the next file is not ready yet
            // (inference need not wait for decoding while images are waiting).
            if pending.count == batch || (!pending.isEmpty && !ring.isReady(index)) { try runPending() }
            progress.show(done: index)
            let (slot, entry) = ring.take(index)
            if let error = entry.outcome {
                // Reported in order: everything before this file is out first.
                try runPending()
                ring.release(upTo: index + 1)
                progress.clear()
                failures += 1
                let message = error.message.hasPrefix("'") ? error.message : "\(files[index]): \(error.message)"
                writeStandardError("deit-cli: \(error.status.name): \(message)\n")
                continue
            }
            inputs.withUnsafeMutableBufferPointer { i in
                (i.baseAddress! + pending.count * config.inputCount).update(from: ring.input(slot), count: config.inputCount)
            }
            ring.release(upTo: index + 1)
            pending.append((index, entry))
        }
        try runPending()
        progress.clear()
        summarize(count: files.count, failures: failures, seconds: Double(now() - started) / 1e9,
                  decode: decodeTimes, preprocess: preprocessTimes, infer: inferTimes, toStandardError: options.json)
        if failures > 0 { throw Failure(message: "\(failures) of \(files.count) images failed") }
    }

    /// Files named directly, plus the JPEG/PNG files of named directories (sorted, not recursive).
    static func expand(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            guard fileKind(path) == .directory else {
                files.append(path)   // a missing one is reported as an I/O error when classified
                continue
            }
            guard let entries = directoryEntries(path) else { throw Failure(message: "\(path): cannot list the directory") }
            let images = entries.filter { imageExtensions.contains(pathExtension($0).lowercased()) }.sorted()
            files += images.map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
        }
        return files
    }

    /// The text after the last "." of a file name, "" if none or if the name only starts with the dot
    /// (".jpg" is a hidden file without an extension), as NSString's `pathExtension` has it.
    static func pathExtension(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...])
    }

    /// The model's own class names (config.json label_names, or ImageNet-1k's when its description
    /// says ImageNet-1k: `ClassLabelSource`), nil when it has none ("class N").
    static func modelLabels(_ model: Model) -> [String]? {
        let source = model.classLabels
        if case .none = source { return nil }
        return (0..<model.config.numClasses).map { index in source.name(index).map { String(cString: $0) } ?? "class \(index)" }
    }

    /// One label per line, line i naming class i; on tab-separated lines (index, synset, name) the
    /// last field.
    static func readLabels(_ path: String, classes: Int) throws -> [String] {
        // Like Foundation's reading: valid UTF-8 only, a leading byte order mark dropped.
        guard let bytes = readFile(path),
              let text = String(validating: bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...],
                                as: UTF8.self) else {
            throw Failure(message: "\(path): cannot read the labels file")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            return String(trimmed.split(separator: "\t", omittingEmptySubsequences: false).last ?? "")
        }
        while lines.last == "" { lines.removeLast() }
        guard lines.count >= classes else {
            throw Failure(message: "\(path): \(lines.count) labels, but the model has \(classes) classes")
        }
        return lines
    }

    static func report(file: String, top: [Prediction], labels: [String]?, json: Bool,
                       times: (decode: Double, preprocess: Double, infer: Double)) {
        func name(_ index: Int) -> String {
            if let labels, index < labels.count { return labels[index] }
            return "class \(index)"
        }
        if json {
            let entries = top.map {
                "{\"index\":\($0.classIndex),\"label\":\(jsonString(name($0.classIndex))),\"logit\":\(jsonNumber(Double($0.logit), digits: 7)),\"prob\":\(jsonNumber(Double($0.probability), digits: 6))}"
            }
            print("{\"file\":\(jsonString(file)),\"top\":[\(entries.joined(separator: ","))],\"decode_ms\":\(jsonNumber(times.decode, digits: 4)),\"preprocess_ms\":\(jsonNumber(times.preprocess, digits: 4)),\"infer_ms\":\(jsonNumber(times.infer, digits: 4))}")
        } else {
            print(file)
            for (rank, prediction) in top.enumerated() {
                print(format("  %ld. %6.2f %%  %-5ld ", rank + 1, Double(100 * prediction.probability), prediction.classIndex)
                      + name(prediction.classIndex) + format("  (logit %.4f)", Double(prediction.logit)))
            }
        }
    }

    static func summarize(count: Int, failures: Int, seconds: Double, decode: [Double], preprocess: [Double],
                          infer: [Double], toStandardError: Bool) {
        let lines = [
            format("%ld images (%ld failed) in %.2f s: %.1f images/s", count, failures, seconds, Double(count - failures) / seconds),
            "decode      " + LatencyStats(decode).text,
            "preprocess  " + LatencyStats(preprocess).text,
            "infer       " + LatencyStats(infer).text,
        ]
        let text = lines.joined(separator: "\n") + "\n"
        if toStandardError { writeStandardError(text) } else { print(text, terminator: "") }
    }
}
