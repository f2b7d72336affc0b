import DeiTKernelTable

/// One class of a classification result (the C API's `deit_prediction`).
public struct Prediction: Equatable, Sendable {
    public var classIndex: Int
    public var logit: Float
    /// softmax(logits)[classIndex]
    public var probability: Float

    public init(classIndex: Int, logit: Float, probability: Float) {
        self.classIndex = classIndex
        self.logit = logit
        self.probability = probability
    }
}

/// A top-k count known to lie in 1...classes: checked once where a request enters (the C thunk, the
/// CLI's argument, `Session.classify`), then passed on, so no later step checks it again.
public struct TopKCount: Sendable {
    public let value: Int

    /// Why a headless model (timm num_classes=0) cannot classify.
    public static let headlessMessage = "this model has no classifier head (num_classes=0); use deit_session_run_features / deit-cli embed"

    /// `k` when 1 ≤ k ≤ `classes`; otherwise fails with `.invalidArgument` naming k and the bound, or
    /// `.unsupported` when `classes` is 0 (a headless model has nothing to rank).
    public init(_ k: Int, classes: Int) throws(DeiTError) {
        guard classes > 0 else { throw DeiTError(.unsupported, TopKCount.headlessMessage) }
        guard k >= 1, k <= classes else {
            throw DeiTError(.invalidArgument, "k is \(k); it must be between 1 and the number of classes, \(classes)")
        }
        value = k
    }
}

/// Top-k selection with softmax probabilities, without any storage of its own (so the C API can
/// write straight into the caller's array and nothing allocates).
public enum TopK {
    /// Calls `emit(rank, prediction)` for the `count` best classes, best first: larger logit first,
    /// equal logits by lower index, NaN after everything. Probabilities are the softmax over all
    /// logits (max-subtracted, summed in double). O(count · classes).
    public static func select(logits: UnsafeBufferPointer<Float>, count: Int,
                              emit: (Int, Prediction) -> Void) throws(DeiTError) {
        select(logits: logits, count: try TopKCount(count, classes: logits.count), emit: emit)
    }

    /// `select(logits:count:emit:)` for a checked count (one checked against more classes than
    /// `logits` holds emits at most `logits.count` classes and never traps).
    public static func select(logits: UnsafeBufferPointer<Float>, count checked: TopKCount,
                              emit: (Int, Prediction) -> Void) {
        let count = checked.value
        // The exp of the best kernel set this CPU runs (no session here): the bits of every build
        // before the sets were chosen at run time, which used the build machine's best.
        let exp = KernelChoice.best.exp
        var maximum = -Float.infinity
        for logit in logits where logit > maximum { maximum = logit }
        var sum = 0.0
        for logit in logits { sum += Double(exp(logit - maximum)) }

        var previous = -1
        for rank in 0..<min(max(count, 0), logits.count) {
            var best = -1
            for index in logits.indices {
                guard previous < 0 || precedes(previous, index, logits) else { continue }
                if best < 0 || precedes(index, best, logits) { best = index }
            }
            guard best >= 0 else { return }   // unreachable: count ≤ logits.count
            let logit = logits[best]
            let numerator = Double(exp(logit - maximum))
            emit(rank, Prediction(classIndex: best, logit: logit, probability: sum > 0 ? Float(numerator / sum) : 0))
            previous = best
        }
    }

    /// Fills `top` (k = top.count) as `select(logits:count:emit:)`.
    public static func select(logits: UnsafeBufferPointer<Float>,
                              into top: UnsafeMutableBufferPointer<Prediction>) throws(DeiTError) {
        try select(logits: logits, count: top.count) { rank, prediction in top[rank] = prediction }
    }

    /// The ranking order: a strict total order on indices.
    @inline(__always)
    private static func precedes(_ a: Int, _ b: Int, _ logits: UnsafeBufferPointer<Float>) -> Bool {
        let x = logits[a], y = logits[b]
        if x.isNaN || y.isNaN {
            if x.isNaN != y.isNaN { return y.isNaN }
            return a < b
        }
        return x > y || (x == y && a < b)
    }
}
