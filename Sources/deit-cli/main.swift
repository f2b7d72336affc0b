import DeiTRuntime

/// deit-cli: classify photos, measure latency, inspect checkpoints, run raw tensors.
/// Exit codes: 0 success, 1 failure (one line naming the file and the reason), 2 usage.

let usage = """
    usage: deit-cli classify --model M [--top K] [--threads N] [--labels F] [--crop-pct P] [--image-size S]
                             [--precision f32|int8] [--json] IMAGE|DIR...
           deit-cli embed    --model M [--threads N] [--crop-pct P] [--image-size S] [--json] IMAGE|DIR...
           deit-cli bench    (--model M | --synthetic deit_tiny|deit_tiny_distilled|deit_small)
                             [--image-size S] [--precision f32|int8] [--threads N] [--warmup W] [--runs R]
                             [--json] [--profile]
           deit-cli info     --model M [--image-size S] [--precision f32|int8]
           deit-cli run      --model M [--image-size S] [--precision f32|int8] --input INPUT.f32
                             --output LOGITS.f32 [--threads N]
           deit-cli preprocess (--model M [--image-size S] | --image-size S) [--crop-pct P] --output INPUT.f32 IMAGE

    --image-size S runs the model at S×S pixels (a multiple of its patch size): pos_embed is resampled
    once at load as timm does for another img_size (bicubic, antialiased), and preprocessing follows S
    (crop_pct 1.0 from 384 pixels, else 0.9). Without --model, preprocess writes an S×S input.

    --precision int8 quantises the blocks' Linear layers (qkv, proj, fc1, fc2) to int8 at load, per
    output channel, and quantises their inputs per token and per 32 values at run time (as ggml q8_0);
    the rest stays f32.

    classify    top-K classes (label, probability) of JPEG/PNG images, or of every JPEG/PNG in a
                directory, after timm's eval transform (crop_pct 0.9, 1.0 for 384-pixel models).
                --json prints one object per image; a summary (images/s, latency) ends many-image runs.
                --labels F: one label per line (or tab-separated lines, last field); the built-in
                ImageNet-1k names are used for 1000-class models. Also --max-image-bytes, --max-pixels.
                A headless model (num_classes=0) has no classes: use embed.
    embed       the pooled features (timm's forward_head(pre_logits=True): D floats, the embedding
                for retrieval) of JPEG/PNG images or directories, after the same eval transform as
                classify: file, dim, norm and the first values, or with --json one object per image
                {"file", "dim", "norm", "features": [D floats]}. For every model, headless or not.
    bench       load time, first run, per-image latency (min/median/p90/p99/mean/std), arena and
                weight bytes, peak RSS. --synthetic builds a seeded random model in memory.
                --profile adds time per op class.
    info        the configuration derived from the checkpoint, parameters, weight and arena bytes.
    run         classifies one raw tensor (float32 LE, 3×S×S, normalised CHW), writes the logits.
                (a headless model: its features).
    preprocess  writes the model input for IMAGE (float32 LE, 3×S×S), as `run` takes it.
    """

let arguments = CommandLine.arguments.dropFirst()
do {
    guard let command = arguments.first else { throw UsageError(message: "missing command") }
    let rest = arguments.dropFirst()
    switch command {
    case "classify": try ClassifyCommand.run(rest)
    case "embed": try EmbedCommand.run(rest)
    case "bench": try BenchCommand.run(rest)
    case "info": try ToolCommands.info(rest)
    case "run": try ToolCommands.run(rest)
    case "preprocess": try ToolCommands.preprocess(rest)
    case "-h", "--help", "help": print(usage)
    default: throw UsageError(message: "unknown command '\(command)'")
    }
} catch let error as UsageError {
    writeStandardError("deit-cli: \(error.message)\n\(usage)\n")
    exitProcess(2)
} catch let error as Failure {
    if !error.message.isEmpty { writeStandardError("deit-cli: \(error.message)\n") }
    exitProcess(1)
} catch {
    writeStandardError("deit-cli: \(error)\n")
    exitProcess(1)
}
