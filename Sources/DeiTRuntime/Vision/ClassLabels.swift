import CDeiTLabels

/// The ImageNet-1k class names compiled into the library (timm's order; generated from timm's
/// package data by scripts/python/gen_imagenet_labels.py).
public enum ImageNetLabels {
    /// 1000.
    public static var count: Int { Int(deit_imagenet_class_count()) }

    /// "tench, Tinca tinca" for 0; nil outside 0..<count. A NUL-terminated static string.
    public static func name(_ index: Int) -> UnsafePointer<CChar>? {
        guard index >= 0, index < count else { return nil }
        return deit_imagenet_class_name(Int32(index))
    }

    /// "n01440764" for 0; nil outside 0..<count.
    public static func synset(_ index: Int) -> UnsafePointer<CChar>? {
        guard index >= 0, index < count else { return nil }
        return deit_imagenet_class_synset(Int32(index))
    }
}

/// Which names a model's classes get: `label_names` from its config.json; else ImageNet-1k's for a
/// 1000-class model that its description calls ImageNet-1k (pretrained_cfg / the architecture
/// table's class count is 1000) or does not describe at all (no pretrained class count: deit's
/// behaviour before descriptions); else none ("class N"). A 21 843-class model never gets
/// ImageNet-1k names, nor does a 1000-class head on a model pretrained with another class count.
public enum ClassLabelSource: Sendable {
    case names(ClassNames)
    case imageNet1k
    case none

    public init(description: ModelDescription, numClasses: Int) {
        if let names = description.labelNames, names.count == numClasses {
            self = .names(names)
        } else if numClasses == ImageNetLabels.count && (description.pretrainedClasses?.value ?? numClasses) == numClasses {
            self = .imageNet1k
        } else {
            self = .none
        }
    }

    /// Class `index`'s name, nil when there is none (out of range, or `.none`). The pointer is
    /// valid for the model's lifetime.
    public func name(_ index: Int) -> UnsafePointer<CChar>? {
        switch self {
        case .names(let names): return names.name(index)
        case .imageNet1k: return ImageNetLabels.name(index)
        case .none: return nil
        }
    }

    /// "config.json label_names", "ImageNet-1k", "none".
    public var summary: String {
        switch self {
        case .names: return "config.json label_names"
        case .imageNet1k: return "ImageNet-1k (built in)"
        case .none: return "none (class N)"
        }
    }
}

extension Model {
    /// The model's class names (see `ClassLabelSource`).
    public var classLabels: ClassLabelSource {
        ClassLabelSource(description: modelDescription, numClasses: config.numClasses)
    }
}
