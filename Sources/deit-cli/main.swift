import DeiTRuntime

/// deit-cli: classify photos, measure latency, inspect checkpoints, run raw tensors.
/// Exit codes: 0 success, 1 failure (one line naming the file and the reason), 2 usage.

let arguments = CommandLine.arguments.dropFirst()
/// The command being run, so that a usage error can show its synopsis.
nonisolated(unsafe) var current: CommandHelp?  // main thread only (top-level code)
do {
    guard let command = arguments.first else { throw UsageError(message: "missing command") }
    let rest = arguments.dropFirst()
    switch command {
    case "-h", "--help":
        print(Help.overview, terminator: "")
        exitProcess(0)
    case "help":
        // `deit-cli help COMMAND` as `deit-cli COMMAND --help`.
        guard let name = rest.first else { print(Help.overview, terminator: ""); exitProcess(0) }
        guard let help = Help.command(named: name) else { throw UsageError(message: "unknown command '\(name)'") }
        print(help.text, terminator: "")
        exitProcess(0)
    case "--version":
        print(Help.versionText, terminator: "")
        exitProcess(0)
    default: break
    }
    guard let help = Help.command(named: command) else {
        throw UsageError(message: command.hasPrefix("-") ? "unknown option '\(command)'" : "unknown command '\(command)'")
    }
    current = help
    // --help anywhere among the options (not after "--") wins over everything else, as with most tools.
    if rest.prefix(while: { $0 != "--" }).contains(where: { $0 == "--help" || $0 == "-h" }) {
        print(help.text, terminator: "")
        exitProcess(0)
    }
    switch command {
    case "classify": try ClassifyCommand.run(rest)
    case "embed": try EmbedCommand.run(rest)
    case "explain": try ExplainCommand.run(rest)
    case "bench": try BenchCommand.run(rest)
    case "bench-gemm": try GEMMBenchCommand.run(rest)
    case "info": try ToolCommands.info(rest)
    case "run": try ToolCommands.run(rest)
    case "preprocess": try ToolCommands.preprocess(rest)
    case "quantize": try ToolCommands.quantize(rest)
    default: throw UsageError(message: "'\(command)' has help but no implementation")  // Help.commands and this switch disagree
    }
} catch let error as UsageError {
    let usage = current.map { $0.synopsis(prefix: "usage: ") + "\n" } ?? ""
    writeStandardError("deit-cli: \(error.message)\n\(usage)\(Help.hint(current?.name))\n")
    exitProcess(2)
} catch let error as Failure {
    if !error.message.isEmpty { writeStandardError("deit-cli: \(error.message)\n") }
    exitProcess(1)
} catch {
    writeStandardError("deit-cli: \(error)\n")
    exitProcess(1)
}
