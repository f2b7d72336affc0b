import CDeiTSupport

/// What `deit-cli --help`, `deit-cli COMMAND --help` and `--version` print (to standard output), and
/// the short usage a usage error adds on standard error.

/// One command's help: how to call it, a one-line summary for the overview, and what it does with
/// each of its options.
struct CommandHelp {
    let name: String
    /// The arguments after `deit-cli NAME`, wrapped by `synopsis(prefix:)`.
    let arguments: String
    let summary: String
    let details: String

    /// "PREFIX deit-cli NAME ARGUMENTS", wrapped to 100 columns between bracketed groups (never inside
    /// "[--top K]"), continuation lines aligned after the command name.
    func synopsis(prefix: String) -> String {
        let lead = prefix + "deit-cli " + name + " "
        let indent = String(repeating: " ", count: lead.count)
        var groups: [String] = [], group = "", depth = 0
        for character in arguments {
            if character == "[" || character == "(" { depth += 1 }
            if character == "]" || character == ")" { depth -= 1 }
            if character == " " && depth == 0 {
                groups.append(group); group = ""
            } else {
                group.append(character)
            }
        }
        groups.append(group)
        var lines: [String] = [], line = lead
        for word in groups {
            if line.count + word.count > 100, line != lead, line != indent {
                lines.append(String(line.dropLast()))
                line = indent
            }
            line += word + " "
        }
        lines.append(String(line.dropLast()))
        return lines.joined(separator: "\n")
    }

    var text: String { synopsis(prefix: "usage: ") + "\n\n" + details + "\n" }
}

enum Help {
    /// The library version from include/deit.h's DEIT_VERSION_* macros (imported through
    /// CDeiTSupport's deit_api.h), the numbers libdeit's deit_version_string() is tested against:
    /// no version number is written down a second time here.
    static let version = "\(DEIT_VERSION_MAJOR).\(DEIT_VERSION_MINOR).\(DEIT_VERSION_PATCH)"

    static let versionText = "deit-cli \(version) (libdeit \(version), ABI \(DEIT_ABI_VERSION))\n"

    /// Where a usage error points for more.
    static func hint(_ command: String?) -> String {
        command.map { "run 'deit-cli \($0) --help' for its options" } ?? "run 'deit-cli --help' for the commands"
    }

    static func command(named name: String) -> CommandHelp? { commands.first { $0.name == name } }

    static var overview: String {
        let synopses = commands.map { $0.synopsis(prefix: "       ") }
        let summaries = commands.map { "  " + padded($0.name, 12) + $0.summary }
        return """
            usage: deit-cli COMMAND [OPTIONS] [ARGS...]
            \(synopses.joined(separator: "\n"))
                   deit-cli --help | --version | COMMAND --help

            Runs timm DeiT/ViT image classifiers (safetensors checkpoints) on the CPU.

            commands:
            \(summaries.joined(separator: "\n"))

            options:
              -h, --help           this text (with a COMMAND: that command's options), on standard output
              --version            deit-cli's and libdeit's version

            Exit status: 0 success, 1 failure (one line per failure on standard error, naming the file
            and the reason), 2 usage error. Run 'deit-cli COMMAND --help' for a command's options.

            """
    }

    static let imageSize = """
          --image-size S       run the model at S×S pixels (a multiple of its patch size): pos_embed is
                               resampled once at load as timm does for another img_size (bicubic,
                               antialiased); preprocessing follows S (crop_pct 1.0 from 384, else 0.9)
        """
    static let threads = "  --threads N          worker threads, the calling one included (1 to 256; default 1)"
    static let precision = """
          --precision P        f32 or int8: the blocks' Linear layers quantised at load (int8 weights
                               per output channel and per 32 inputs; inputs per token and 32). Default:
                               the file's (int8 for a file from deit-cli quantize, else f32); f32 on an
                               int8 file is refused
        """
    static let cropPct = "  --crop-pct P         centre-crop fraction instead of the model's (0.1 to 1)"
    static let imageLimits = """
          --max-image-bytes B  refuse image files larger than B bytes (default 67108864, 64 MiB)
          --max-pixels P       refuse images with more than P pixels (default 50000000)
        """
    static let progress = """
        On a terminal, many images show progress on standard error (done/total, images/s, ETA), redrawn
        in place; nothing of it is written when standard error is not a terminal.
        """

    static let commands: [CommandHelp] = [
        CommandHelp(
            name: "classify",
            arguments: "--model M [--top K] [--threads N] [--batch B] [--labels F] [--crop-pct P] [--image-size S] [--precision P] [--json] IMAGE|DIR...",
            summary: "top-K classes of JPEG/PNG images or directories of them",
            details: """
                The top-K classes (label, probability, logit) of each JPEG/PNG image, or of every JPEG/PNG in
                a directory (sorted, not recursive), after the model's eval transform (timm's: resize, centre
                crop, normalise). A headless model (num_classes=0) has no classes: use embed.

                  --model M            the checkpoint (timm safetensors); required
                  --top K              classes per image (1 to the class count; default 5)
                \(threads)
                  --batch B            many images: run up to B at once (1 to 256; default 1). Same
                                       results; decoding always overlaps inference (a decode thread)
                  --labels F           class names, one per line (or tab-separated lines: the last field);
                                       default the model's own (config.json label_names, or ImageNet-1k's)
                \(cropPct)
                \(imageSize)
                \(precision)
                \(imageLimits)
                  --json               one JSON object per image on standard output:
                                       {"file", "top": [{"index", "label", "logit", "prob"}], "decode_ms", ...}

                Many images end with a summary (images/s, latency), on standard error with --json; their
                infer_ms is the batch's time divided by its images.
                \(progress)
                """),
        CommandHelp(
            name: "explain",
            arguments: "--model M [--threads N] [--crop-pct P] [--image-size S] [--per-head] [--alpha A] --output OUT.png IMAGE",
            summary: "where the model looks: an attention heat-map (PNG) and the top-5",
            details: """
                Attention rollout (every block's attention, heads averaged, identity added, multiplied
                through the blocks; ViT's Appendix D.8) read from the class token, as a heat-map over the
                centre crop the model saw, written to OUT.png; the top-5 on standard output.

                  --model M            the checkpoint (timm safetensors); required
                  --output OUT.png     the PNG to write; required
                  --per-head           instead, one tile per head: the last block's class-token attention
                  --alpha A            the heat-map's weight in the blend (0 to 1; default 0.5; 1: the map alone)
                \(threads)
                \(cropPct)
                \(imageSize)
                \(imageLimits)
                """),
        CommandHelp(
            name: "embed",
            arguments: "--model M [--threads N] [--crop-pct P] [--image-size S] [--json] IMAGE|DIR...",
            summary: "pooled features (the embedding for retrieval) of images",
            details: """
                The pooled features of each JPEG/PNG image or directory of them (timm's
                forward_head(pre_logits=True): D floats), after the same eval transform as classify; for
                every model, headless or not. Prints file, dim, norm and the first values.

                  --model M            the checkpoint (timm safetensors); required
                \(threads)
                \(cropPct)
                \(imageSize)
                \(imageLimits)
                  --json               one JSON object per image: {"file", "dim", "norm", "features": [D floats], ...}

                \(progress)
                """),
        CommandHelp(
            name: "bench",
            arguments: "(--model M | --synthetic deit_tiny|deit_tiny_distilled|deit_small) [--image-size S] [--precision P] [--threads N] [--batch B] [--warmup W] [--runs R] [--json] [--profile]",
            summary: "load time, latency statistics, throughput and memory",
            details: """
                Load time, first run, per-image latency (min/median/p90/p99/mean/std), throughput, arena and
                weight bytes and peak RSS, on a fixed pseudo-random input.

                  --model M            the checkpoint (timm safetensors)
                  --synthetic NAME     instead of --model: a seeded random model built in memory
                                       (deit_tiny, deit_tiny_distilled or deit_small)
                \(imageSize)
                \(precision)
                \(threads)
                  --batch B            every run is one batch of B images (deit_session_run_batch): latency
                                       per batch, throughput in images/s (default 1; not with --profile)
                  --warmup W           untimed runs first (default 3)
                  --runs R             timed runs (default 20)
                  --json               one JSON object
                  --profile            also the time per op class (over R more runs)
                """),
        CommandHelp(
            name: "bench-gemm",
            arguments: "[--m M --n N --k K] [--warmup W] [--runs R]",
            summary: "the Linear-layer kernels alone: f32 against int8, one thread",
            details: """
                Times the f32 and int8 GEMM kernels of the kernel set a session would run (DEIT_KERNEL_SET,
                else this CPU's best; named on the first line) on one thread on random data: DeiT-Ti's four
                Linear layers at 224 px (197 tokens; qkv, proj, fc1, fc2), or one M×K→N shape. Prints the
                minimum and median microseconds per call, multiply-adds per nanosecond at the minimum and
                the int8/f32 ratio. The int8 time includes quantising A (as in the forward pass); the GEMM
                alone is in brackets.

                  --m M --n N --k K    one shape instead of DeiT-Ti's (all three or none)
                  --warmup W           untimed calls first (default 20)
                  --runs R             timed calls (default 200)
                """),
        CommandHelp(
            name: "info",
            arguments: "--model M [--image-size S] [--precision P]",
            summary: "the configuration derived from a checkpoint, its preprocessing and sources",
            details: """
                The configuration derived from the checkpoint (sizes, heads, classes, tokens), parameters,
                weight and arena bytes, the preprocessing classify uses and where each fact came from.

                  --model M            the checkpoint (timm safetensors); required
                \(imageSize)
                \(precision)
                """),
        CommandHelp(
            name: "quantize",
            arguments: "IN.safetensors OUT.safetensors",
            summary: "write an int8 model file (the blocks' Linear weights quantised) from a float checkpoint",
            details: """
                Reads a float checkpoint (F32, F16 or BF16; validated as a load does) and writes OUT: every
                block's qkv, proj, fc1 and fc2 weight as I8 [out, in] plus F32 '<name>_scale'
                [out, ⌈in/32⌉] (symmetric, one scale per output channel and group of 32 inputs: exactly
                what --precision int8 computes at load, so OUT runs bit-identically to IN at int8), every
                other tensor unchanged, the __metadata__ kept plus deit.precision=int8 and the scheme.
                LayerScale is folded into the quantised weights and their biases. A config.json beside IN
                is read but not copied: keep one beside OUT if the model needs it. Loading OUT runs int8
                (--precision f32 on it is refused).
                """),
        CommandHelp(
            name: "run",
            arguments: "--model M [--image-size S] [--precision P] --input INPUT.f32 --output LOGITS.f32 [--threads N]",
            summary: "run one raw input tensor, write the logits",
            details: """
                Runs one raw tensor (float32 little-endian, 3×S×S, normalised, channel-major: what preprocess
                writes) and writes the logits (a headless model: its features) as float32; prints the five
                best classes (index, logit).

                  --model M            the checkpoint (timm safetensors); required
                \(imageSize)
                \(precision)
                  --input F            the input tensor; required
                  --output F           where the logits go; required
                \(threads)
                """),
        CommandHelp(
            name: "preprocess",
            arguments: "(--model M [--image-size S] | --image-size S) [--crop-pct P] --output INPUT.f32 IMAGE",
            summary: "write the model input for an image (float32 3×S×S), as run takes it",
            details: """
                Writes the model input for IMAGE (float32 little-endian, 3×S×S), as run takes it: the
                model's own eval transform, or without --model timm's ImageNet defaults at S×S.

                  --model M            the checkpoint whose preprocessing to use
                \(imageSize)
                                       (without --model: the output side, timm's ImageNet mean/std, bicubic)
                \(cropPct)
                  --output F           where the tensor goes; required
                """),
    ]
}
