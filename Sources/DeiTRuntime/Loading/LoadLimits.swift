/// Upper bounds a checkpoint must respect before anything is sized from its numbers.
///
/// Every bound guards a later step against an untrusted number: the file and header caps bound
/// parsing, the tensor and rank caps bound the header tables, and the architecture caps keep the
/// memory plan and packing (which multiply T, D, H and C together) far from integer overflow.
/// Exceeding any of them fails with `.outOfMemory` and a message naming the limit; the defaults
/// admit every DeiT/ViT up to ViT-G/14 (D 1664, depth 48, H 8192) at 518 px and 21k classes.
public struct LoadLimits: Sendable {
    /// Largest accepted file (header + data) in bytes. Default 8 GiB on 64-bit hosts (ViT-H in
    /// F32 is ~2.5 GB), `Int.max` on 32-bit hosts where memory caps the size anyway.
    public var maxFileBytes: Int
    /// Largest accepted JSON header in bytes. Default 100 000 000, the reference implementation's
    /// `MAX_HEADER_SIZE` (DeiT-Ti's header is ~14 KB).
    public var maxHeaderBytes: Int
    /// Most tensors in one file. Default 65 536 (DeiT-Ti has 152; ViT-G/14 under 600).
    public var maxTensors: Int
    /// Most dimensions in one tensor's shape. Default 16 (DeiT uses at most 4).
    public var maxRank: Int
    /// Largest token width D. Default 8192 (ViT-G/14: 1664).
    public var maxEmbedDim: Int
    /// Most transformer blocks; a block index ≥ this fails. Default 256 (ViT-G/14: 48).
    public var maxDepth: Int
    /// Largest MLP hidden width H. Default 32 768 (ViT-G/14: 8192).
    public var maxMLPHiddenDim: Int
    /// Most classifier outputs C. Default 131 072 (ImageNet-21k: 21 843).
    public var maxClasses: Int
    /// Largest patch side P. Default 64 (DeiT/ViT: 8–32).
    public var maxPatchSize: Int
    /// Most tokens T (prefix tokens + patches). Default 16 384 (DeiT-B at 384: 577; 518 px with
    /// patch 14: 1370).
    public var maxTokens: Int
    /// Largest `config.json` read beside a model file. Default 16 MiB (ImageNet-21k's label_names
    /// are under 1 MB).
    public var maxConfigBytes: Int = 16 << 20

    public init(maxFileBytes: Int = LoadLimits.defaultMaxFileBytes,
                maxHeaderBytes: Int = 100_000_000,
                maxTensors: Int = 65_536,
                maxRank: Int = 16,
                maxEmbedDim: Int = 8192,
                maxDepth: Int = 256,
                maxMLPHiddenDim: Int = 32_768,
                maxClasses: Int = 131_072,
                maxPatchSize: Int = 64,
                maxTokens: Int = 16_384) {
        self.maxFileBytes = maxFileBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxTensors = maxTensors
        self.maxRank = maxRank
        self.maxEmbedDim = maxEmbedDim
        self.maxDepth = maxDepth
        self.maxMLPHiddenDim = maxMLPHiddenDim
        self.maxClasses = maxClasses
        self.maxPatchSize = maxPatchSize
        self.maxTokens = maxTokens
    }

    /// The documented defaults above.
    public static let `default` = LoadLimits()

    /// 8 GiB, clamped to `Int.max` where `Int` is 32 bits wide.
    public static var defaultMaxFileBytes: Int { Int(clamping: Int64(8) << 30) }
}
