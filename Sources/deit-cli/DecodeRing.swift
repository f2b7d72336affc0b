#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import DeiTRuntime

/// `classify` on many files: a decode thread decodes and preprocesses the files, in order, into a
/// small ring of model inputs while the calling thread runs inference on the ones already prepared,
/// so a folder runs at the inference rate instead of decode + inference.
///
/// The ring has `capacity` slots of 3·S·S floats, allocated once. The decode thread fills slot
/// `i % capacity` with file i (or its error) and waits when every slot is full; the consumer takes
/// files in order (`take`), and gives each slot back (`release`) once its input was copied out.
/// Preprocessing uses the model's `EvalTransform` with a scratch of `EvalTransform.scratchBytes`,
/// the size a session's own `prepareInput` uses, so the inputs are the same bits.
final class DecodeRing: @unchecked Sendable {
    /// One prepared file: its input (in `input(slot)`) or the error, and the decode/preprocess times.
    struct Entry {
        var outcome: DeiTError?    // nil: the input is ready
        var decodeMilliseconds = 0.0
        var preprocessMilliseconds = 0.0
    }

    let files: [String]
    let capacity: Int
    let inputCount: Int
    private let transform: EvalTransform
    private let limits: ImageLimits
    private let inputs: UnsafeMutablePointer<Float>          // (capacity, 3·S·S)
    private let scratch: UnsafeMutableRawPointer             // EvalTransform.scratchBytes, 64-byte aligned
    private var entries: [Entry]                             // (capacity)
    private var produced = 0, consumed = 0                   // files filled / released so far
    private var cancelled = false
    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var thread: pthread_t?

    init(files: [String], capacity: Int, transform: EvalTransform, limits: ImageLimits) {
        self.files = files
        self.capacity = max(capacity, 1)
        self.transform = transform
        self.limits = limits
        inputCount = 3 * transform.imageSize * transform.imageSize
        inputs = .allocate(capacity: self.capacity * inputCount)
        scratch = .allocate(byteCount: EvalTransform.scratchBytes, alignment: 64)
        entries = Array(repeating: Entry(), count: self.capacity)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
    }

    deinit {
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
        inputs.deallocate()
        scratch.deallocate()
    }

    /// Starts the decode thread; false if it could not be started (the caller decodes in line).
    func start() -> Bool {
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let status = pthread_create(&handle, nil, { context in
            guard let context else { return nil }
            let ring = Unmanaged<DecodeRing>.fromOpaque(context).takeRetainedValue()
            ring.produce()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<DecodeRing>.fromOpaque(context).release()
            return false
        }
        thread = handle
        return true
    }

    /// The input floats of `slot` (3·S·S).
    func input(_ slot: Int) -> UnsafeMutablePointer<Float> { inputs + slot * inputCount }

    /// Waits until file `index` (the next not yet released, or a later one within the ring) is
    /// prepared; returns its slot and entry.
    func take(_ index: Int) -> (slot: Int, entry: Entry) {
        pthread_mutex_lock(&mutex)
        while produced <= index { pthread_cond_wait(&changed, &mutex) }
        let slot = index % capacity
        let entry = entries[slot]
        pthread_mutex_unlock(&mutex)
        return (slot, entry)
    }

    /// Whether file `index` is prepared already (take would not wait).
    func isReady(_ index: Int) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return produced > index
    }

    /// Gives back the slots of every file before `index` (their inputs were used).
    func release(upTo index: Int) {
        pthread_mutex_lock(&mutex)
        consumed = max(consumed, index)
        pthread_cond_signal(&changed)
        pthread_mutex_unlock(&mutex)
    }

    /// Stops the decode thread after the file it is on and waits for it. Call once, when done
    /// (or on an error, to stop early).
    func finish() {
        pthread_mutex_lock(&mutex)
        cancelled = true
        pthread_cond_signal(&changed)
        pthread_mutex_unlock(&mutex)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    /// The decode thread: every file in order, waiting for a free slot before each.
    private func produce() {
        let scratchBuffer = UnsafeMutableRawBufferPointer(start: scratch, count: EvalTransform.scratchBytes)
        for (index, file) in files.enumerated() {
            pthread_mutex_lock(&mutex)
            while !cancelled && index - consumed >= capacity { pthread_cond_wait(&changed, &mutex) }
            let stop = cancelled
            pthread_mutex_unlock(&mutex)
            if stop { return }
            // The slot is ours until `produced` passes it: the consumer reads it only after that.
            let slot = index % capacity
            var entry = Entry()
            let t0 = now()
            var t1 = t0
            let outcome: DeiTError? = file.withCString { path in
                do throws(DeiTError) {
                    let image = try RGBImage.load(path: path, limits: limits)
                    t1 = now()
                    try transform.apply(to: image.view, output: input(slot), scratch: scratchBuffer)
                    return nil
                } catch {
                    return error
                }
            }
            let t2 = now()
            entry.outcome = outcome
            if outcome == nil {
                entry.decodeMilliseconds = milliseconds(t1 - t0)
                entry.preprocessMilliseconds = milliseconds(t2 - t1)
            }
            pthread_mutex_lock(&mutex)
            entries[slot] = entry
            produced = index + 1
            pthread_cond_signal(&changed)
            pthread_mutex_unlock(&mutex)
        }
    }
}
