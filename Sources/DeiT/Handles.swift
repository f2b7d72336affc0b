import CDeiTSupport
import DeiTRuntime

/// What a `deit_model *` or `deit_session *` points at: a small C-allocated box holding a magic
/// number, a busy flag and a retained Swift object. The magic lets every entry point reject NULL,
/// foreign or already-freed handles with a status instead of crashing (detection of use after free
/// is best-effort: the box's memory has been returned to malloc). The busy flag catches a session
/// used from two threads at once.
struct HandleBox<Object: AnyObject> {
    var magic: UInt64
    var busy: UInt32
    var object: Unmanaged<Object>
}

enum HandleMagic {
    static let model: UInt64 = 0x6465_6974_4d4f_444c    // "deitMODL"
    static let session: UInt64 = 0x6465_6974_5345_5353  // "deitSESS"
    static let freed: UInt64 = 0x6465_6974_4652_4545    // "deitFREE"
}

enum Handles {
    /// A new handle owning one reference to `object`, or nil when out of memory.
    static func make<Object: AnyObject>(_ object: Object, magic: UInt64) -> OpaquePointer? {
        guard let raw = deit_support_aligned_alloc(16, MemoryLayout<HandleBox<Object>>.stride) else { return nil }
        let box = raw.bindMemory(to: HandleBox<Object>.self, capacity: 1)
        box.initialize(to: HandleBox(magic: magic, busy: 0, object: Unmanaged.passRetained(object)))
        return OpaquePointer(box)
    }

    /// The object behind a live handle of the given kind, or nil.
    static func object<Object: AnyObject>(_ handle: OpaquePointer?, magic: UInt64, as type: Object.Type) -> Object? {
        guard let box = box(handle, magic: magic, as: type) else { return nil }
        return box.pointee.object.takeUnretainedValue()
    }

    /// Drops the handle's reference and frees it; `.notLive` if it was not a live handle of that
    /// kind, `.busy` (and nothing freed) while another thread is using it.
    @discardableResult
    static func release<Object: AnyObject>(_ handle: OpaquePointer?, magic: UInt64, as type: Object.Type) -> ReleaseResult {
        guard let box = box(handle, magic: magic, as: type) else { return .notLive }
        guard deit_support_try_acquire(&box.pointee.busy) != 0 else { return .busy }
        box.pointee.magic = HandleMagic.freed
        box.pointee.object.release()
        deit_support_free(UnsafeMutableRawPointer(box))
        return .released
    }

    enum ReleaseResult { case released, notLive, busy }

    /// Runs `body` with the session behind `handle` while holding its busy flag. Fails with
    /// `.invalidArgument` (naming `function`) for a handle that is not a live session, or one that
    /// another thread is using right now.
    static func withSession<Result>(_ handle: OpaquePointer?, _ function: String,
                                    _ body: (Session) throws(DeiTError) -> Result) throws(DeiTError) -> Result {
        guard let box = box(handle, magic: HandleMagic.session, as: Session.self) else {
            throw DeiTError(.invalidArgument, "\(function): session is NULL or not a live session handle")
        }
        guard deit_support_try_acquire(&box.pointee.busy) != 0 else {
            throw DeiTError(.invalidArgument,
                            "\(function): session is in use by another thread (use one session per thread)")
        }
        defer { deit_support_release(&box.pointee.busy) }
        return try body(box.pointee.object.takeUnretainedValue())
    }

    private static func box<Object: AnyObject>(_ handle: OpaquePointer?, magic: UInt64,
                                               as type: Object.Type) -> UnsafeMutablePointer<HandleBox<Object>>? {
        guard let handle else { return nil }
        let raw = UnsafeMutableRawPointer(handle)
        guard Int(bitPattern: raw) & 15 == 0, raw.load(as: UInt64.self) == magic else { return nil }
        return raw.assumingMemoryBound(to: HandleBox<Object>.self)
    }
}
