import DeiTRuntime
import Foundation
import Testing

/// Locations of the committed fixtures and of the shared data beside the checkout.
enum TestData {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let conformance = repositoryRoot.appendingPathComponent("Tests/Fixtures/conformance")

    /// `$DEIT_SHARED`, else `../shared` beside the checkout; nil when absent.
    static let shared: URL? = {
        let candidate = ProcessInfo.processInfo.environment["DEIT_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: candidate.appendingPathComponent("models").path) ? candidate : nil
    }()
    static let sharedMissing = "../shared not found (set DEIT_SHARED): skipping the real-weight check"

    static func floats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    static func model(_ url: URL) throws -> Model {
        let data = try Data(contentsOf: url)
        return try data.withUnsafeBytes { raw throws(DeiTError) in try Model(bytes: raw) }
    }
}

/// One line of Tests/Fixtures/conformance/manifest.tsv.
struct FixtureModel: CustomTestStringConvertible {
    let name: String
    let config: ModelConfig
    let dtype: String
    let inputs: [String]
    var testDescription: String { name }
    var directory: URL { TestData.conformance.appendingPathComponent(name) }

    static func all() throws -> [FixtureModel] {
        let text = try String(contentsOf: TestData.conformance.appendingPathComponent("manifest.tsv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            var config = ModelConfig(imageSize: Int(f[1])!, patchSize: Int(f[2])!, embedDim: Int(f[3])!, depth: Int(f[4])!,
                                     numHeads: Int(f[5])!, mlpHiddenDim: Int(f[6])!, numClasses: Int(f[7])!,
                                     distilled: f[8] == "1")
            // Column 11, `features`: timm options beyond the plain layout ("-" for none).
            let features = Set((f.count > 11 ? f[11] : "-").split(separator: ",").map(String.init))
            config.layerScale = features.contains("layer_scale")
            config.qkvBias = !features.contains("no_qkv_bias")
            config.fcNorm = features.contains("fc_norm")
            config.globalPool = features.contains("avg_pool") ? .average
                : features.contains("max_pool") ? .max : features.contains("avgmax_pool") ? .averageMax : .token
            config.noEmbedClass = features.contains("no_embed_class")
            config.classToken = !features.contains("no_class_token")
            config.regTokens = features.compactMap { $0.hasPrefix("reg") ? Int($0.dropFirst(3)) : nil }.first ?? 0
            config.qkNorm = features.contains("qk_norm")
            config.preNorm = features.contains("pre_norm")
            config.layerNormEpsilon = features.contains("norm_eps_1e-5") ? 1e-5 : 1e-6
            config.activation = features.contains("quick_gelu") ? .quickGELU : .gelu
            // CaiT: "class_attention=J" (its class-attention blocks, MLP as wide as the patch blocks').
            if let classBlocks = features.first(where: { $0.hasPrefix("class_attention=") }) {
                config.cait = CaiTConfig(classAttentionDepth: Int(classBlocks.dropFirst("class_attention=".count))!,
                                         classAttentionHiddenDim: config.mlpHiddenDim)
            }
            return FixtureModel(name: f[0], config: config, dtype: f[9], inputs: f[10].split(separator: ",").map(String.init))
        }
    }
}

/// The conformance criterion: max |ours − timm| ≤ 2e-4 · max(1, max |timm|).
struct Comparison {
    let maxError: Float
    let tolerance: Float
    var passes: Bool { maxError <= tolerance }

    init(_ ours: ArraySlice<Float>, _ reference: ArraySlice<Float>) {
        var maxError: Float = 0, maxReference: Float = 0
        for (a, b) in zip(ours, reference) {
            maxError = max(maxError, abs(a - b))
            maxReference = max(maxReference, abs(b))
        }
        if ours.contains(where: { !$0.isFinite }) { maxError = .infinity }
        self.maxError = maxError
        self.tolerance = 2e-4 * max(1, maxReference)
    }
}

func topK(_ values: [Float], _ k: Int) -> Set<Int> {
    Set(values.indices.sorted { values[$0] > values[$1] }.prefix(k))
}
