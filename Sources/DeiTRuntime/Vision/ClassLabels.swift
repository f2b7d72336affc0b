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
