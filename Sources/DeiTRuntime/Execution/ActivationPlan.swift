import DeiTKernels

/// The activation buffers of one forward pass, their lifetimes over the steps of the pass, and
/// their offsets in a session's arena.
///
/// Steps: −1 image preprocessing (classify only) · 0 patch extraction · 1 patch embedding + tokens
/// · per block (buffers reused by every block): 2 LN1 · 3 QKV · 4 attention · 5 proj + residual
/// · 6 LN2 · 7 fc1 + GELU · 8 fc2 + residual · then 9 final LN on the prefix tokens · 10 head(s). The classify path adds the model input,
/// written by preprocessing (its weight tables in scratch that later steps reuse), and the logits.
struct ActivationPlan {
    /// Offsets in bytes from the aligned arena start, one per buffer.
    struct Offsets {
        var patches = 0     // (N, 3·P·P)  patches of the input image, im2col order
        var tokens = 0      // (T, D)      the residual stream
        var normed1 = 0     // (T, D)      LN1 output
        var qkv = 0         // (T, 3D)     q | k | v per token
        var packedKeys = 0  // (heads, packedKeysCount)    scale·K of every head, in GEMM panels
        var packedValues = 0  // (heads, packedValuesCount)  V of every head, in GEMM panels
        var scores = 0      // (threads, R, T)  each worker's scores/softmax for R query rows
        var heads = 0       // (T, D)      concatenated head outputs
        var normed2 = 0     // (T, D)      LN2 output
        var hidden = 0      // (T, H)      GELU(fc1)
        var prefix = 0      // (prefix, D) final LN of the class [and distillation] token
        var headDist = 0    // (C)         head_dist logits, distilled models only
        var input = 0       // (3, S, S)   classify: the preprocessed image
        var logits = 0      // (C)         classify: the logits
        var preprocessScratch = 0  // (EvalTransform.scratchBytes) classify: resampling weights
    }

    let offsets: Offsets
    /// Bytes the buffers need, aligned start to end.
    let plannedBytes: Int
    /// Bytes a session asks for: the plan plus slack to align any caller pointer to 64 bytes.
    var arenaBytes: Int { plannedBytes + ActivationPlan.alignment - 1 }
    /// Floats of one head's packed keys and packed values.
    let packedKeysCount: Int
    let packedValuesCount: Int

    static let alignment = 64

    /// Query rows per attention task (R): small enough that a worker's R×T scores stay in L1/L2 and
    /// each head gives several tasks to share out (5 per head at T = 197); large enough that the
    /// GEMM tiles run full (40 = 8·5).
    static let attentionRowBlock = 40

    init(config: ModelConfig, threads: Int) throws(DeiTError) {
        let t = config.numTokens, d = config.embedDim, h = config.mlpHiddenDim
        let floatBytes = MemoryLayout<Float>.stride
        func bytes(_ rows: Int, _ columns: Int, _ what: String) throws(DeiTError) -> Int {
            try checkedProduct(try checkedProduct(rows, columns, what), floatBytes, what)
        }
        packedKeysCount = AttentionKernel.packedKeysCount(tokens: t, headDim: config.headDim)
        packedValuesCount = AttentionKernel.packedValuesCount(tokens: t, headDim: config.headDim)
        let scoreRows = try checkedProduct(max(threads, 1), min(ActivationPlan.attentionRowBlock, t), "attention scores")
        let requests = [
            BufferRequest(bytes: try bytes(config.numPatches, config.patchValues, "patches"), firstUse: 0, lastUse: 1),
            BufferRequest(bytes: try bytes(t, d, "tokens"), firstUse: 1, lastUse: 10),
            BufferRequest(bytes: try bytes(t, d, "LN1 output"), firstUse: 2, lastUse: 3),
            BufferRequest(bytes: try bytes(t, 3 * d, "qkv"), firstUse: 3, lastUse: 4),
            BufferRequest(bytes: try bytes(config.numHeads, packedKeysCount, "packed keys"), firstUse: 4, lastUse: 4),
            BufferRequest(bytes: try bytes(config.numHeads, packedValuesCount, "packed values"), firstUse: 4, lastUse: 4),
            BufferRequest(bytes: try bytes(scoreRows, t, "attention scores"), firstUse: 4, lastUse: 4),
            BufferRequest(bytes: try bytes(t, d, "attention output"), firstUse: 4, lastUse: 5),
            BufferRequest(bytes: try bytes(t, d, "LN2 output"), firstUse: 6, lastUse: 7),
            BufferRequest(bytes: try bytes(t, h, "MLP hidden"), firstUse: 7, lastUse: 8),
            BufferRequest(bytes: try bytes(config.numPrefixTokens, d, "final LN"), firstUse: 9, lastUse: 10),
            BufferRequest(bytes: try bytes(config.distilled ? config.numClasses : 0, 1, "head_dist logits"),
                          firstUse: 10, lastUse: 10),
            BufferRequest(bytes: try bytes(config.inputCount, 1, "input"), firstUse: -1, lastUse: 0),
            BufferRequest(bytes: try bytes(config.numClasses, 1, "logits"), firstUse: 10, lastUse: 10),
            BufferRequest(bytes: EvalTransform.scratchBytes, firstUse: -1, lastUse: -1),
        ]
        let plan = try MemoryPlan(requests, alignment: ActivationPlan.alignment)
        let at = plan.offsets
        offsets = Offsets(patches: at[0], tokens: at[1], normed1: at[2], qkv: at[3], packedKeys: at[4],
                          packedValues: at[5], scores: at[6], heads: at[7], normed2: at[8], hidden: at[9],
                          prefix: at[10], headDist: at[11], input: at[12], logits: at[13], preprocessScratch: at[14])
        plannedBytes = plan.totalBytes
        _ = try checkedSum(plannedBytes, ActivationPlan.alignment, "arena")
    }
}
