import DeiTRuntime
import Foundation

/// deit-cli: inspect a checkpoint and run raw tensors through it.
/// Exit codes: 0 success, 1 failure (one line naming the file and the reason), 2 usage.

let usage = """
    usage: deit-cli info --model MODEL.safetensors
           deit-cli run  --model MODEL.safetensors --input INPUT.f32 --output LOGITS.f32 [--threads N]

    info  prints the configuration derived from the checkpoint, its parameter count, and the
          weight and arena bytes a session uses.
    run   classifies one raw tensor (float32 little-endian, 3×S×S, normalised, CHW as timm's
          eval transform returns it), writes the logits (float32) and prints the top 5.
    """

struct UsageError: Error { let message: String }
struct Failure: Error { let message: String }

/// `--name value` pairs after the command word.
func parseOptions(_ arguments: ArraySlice<String>, allowed: Set<String>) throws -> [String: String] {
    var options: [String: String] = [:]
    var rest = arguments
    while let name = rest.popFirst() {
        guard name.hasPrefix("--"), allowed.contains(String(name.dropFirst(2))) else {
            throw UsageError(message: "unknown argument '\(name)'")
        }
        guard let value = rest.popFirst() else { throw UsageError(message: "\(name) needs a value") }
        options[String(name.dropFirst(2))] = value
    }
    return options
}

func required(_ options: [String: String], _ name: String) throws -> String {
    guard let value = options[name] else { throw UsageError(message: "missing --\(name)") }
    return value
}

func loadModel(_ path: String) throws -> Model {
    let result: Result<Model, DeiTError> = path.withCString { cPath in
        do throws(DeiTError) { return .success(try Model.load(path: cPath)) } catch { return .failure(error) }
    }
    switch result {
    case .success(let model): return model
    case .failure(let error): throw Failure(message: "\(path): \(error.status.name): \(error.message)")
    }
}

func info(_ options: [String: String]) throws {
    let model = try loadModel(try required(options, "model"))
    let c = model.config
    let arena = try Session.arenaBytes(for: model, threads: 1)
    print("""
        image size     \(c.imageSize)
        patch size     \(c.patchSize)
        embed dim      \(c.embedDim)
        depth          \(c.depth)
        heads          \(c.numHeads) (head dim \(c.headDim))
        mlp hidden     \(c.mlpHiddenDim)
        classes        \(c.numClasses)
        tokens         \(c.numTokens)
        distilled      \(c.distilled ? "yes" : "no")
        parameters     \(model.parameterCount)
        weight bytes   \(model.weightBytes)
        arena bytes    \(arena)
        """)
}

func readFloats(_ path: String) throws -> [Float] {
    guard let data = FileManager.default.contents(atPath: path) else { throw Failure(message: "\(path): cannot read") }
    guard data.count % 4 == 0 else { throw Failure(message: "\(path): \(data.count) bytes is not a whole number of float32 values") }
    return data.withUnsafeBytes { raw in
        (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
    }
}

func run(_ options: [String: String]) throws {
    let model = try loadModel(try required(options, "model"))
    let inputPath = try required(options, "input"), outputPath = try required(options, "output")
    guard let threads = Int(options["threads"] ?? "1") else { throw UsageError(message: "--threads needs an integer") }
    let input = try readFloats(inputPath)
    guard input.count == model.config.inputCount else {
        throw Failure(message: "\(inputPath): \(input.count) floats, but the model takes 3×\(model.config.imageSize)×\(model.config.imageSize) = \(model.config.inputCount)")
    }
    var logits = [Float](repeating: 0, count: model.config.numClasses)
    do throws(DeiTError) {
        let session = try Session(model: model, threads: threads)
        try input.withUnsafeBufferPointer { inputBuffer throws(DeiTError) in
            try logits.withUnsafeMutableBufferPointer { logitsBuffer throws(DeiTError) in
                try session.run(input: inputBuffer, logits: logitsBuffer)
            }
        }
    } catch {
        throw Failure(message: "\(inputPath): \(error.status.name): \(error.message)")
    }
    let bytes = logits.withUnsafeBufferPointer { Data(buffer: $0) }
    guard FileManager.default.createFile(atPath: outputPath, contents: bytes) else {
        throw Failure(message: "\(outputPath): cannot write")
    }
    let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
    for index in top { print(String(format: "%5d  %10.4f", index, logits[index])) }
}

let arguments = CommandLine.arguments.dropFirst()
do {
    guard let command = arguments.first else { throw UsageError(message: "missing command") }
    switch command {
    case "info": try info(try parseOptions(arguments.dropFirst(), allowed: ["model"]))
    case "run": try run(try parseOptions(arguments.dropFirst(), allowed: ["model", "input", "output", "threads"]))
    case "-h", "--help", "help": print(usage)
    default: throw UsageError(message: "unknown command '\(command)'")
    }
} catch let error as UsageError {
    FileHandle.standardError.write(Data("deit-cli: \(error.message)\n\(usage)\n".utf8))
    exit(2)
} catch let error as Failure {
    FileHandle.standardError.write(Data("deit-cli: \(error.message)\n".utf8))
    exit(1)
} catch let error as DeiTError {
    FileHandle.standardError.write(Data("deit-cli: \(error.status.name): \(error.message)\n".utf8))
    exit(1)
} catch {
    FileHandle.standardError.write(Data("deit-cli: \(error)\n".utf8))
    exit(1)
}
