import CDeiTSupport
import DeiTRuntime

@_cdecl("deit_session_arena_size")
public func deit_session_arena_size(_ handle: OpaquePointer?, _ numThreads: Int32, _ outBytes: UnsafeMutablePointer<Int>?) -> deit_status {
    guard let model = Handles.object(handle, magic: HandleMagic.model, as: Model.self) else {
        return fail(.invalidArgument, "deit_session_arena_size: model is NULL or not a live model handle")
    }
    guard let outBytes else { return fail(.invalidArgument, "deit_session_arena_size: out_bytes is NULL") }
    do {
        outBytes.pointee = try Session.arenaBytes(for: model, threads: Int(numThreads))
        return DEIT_OK
    } catch {
        return fail(error)
    }
}

@_cdecl("deit_session_create")
public func deit_session_create(_ handle: OpaquePointer?, _ numThreads: Int32, _ arena: UnsafeMutableRawPointer?,
                                _ arenaSize: Int, _ outSession: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    guard let outSession else { return fail(.invalidArgument, "deit_session_create: out_session is NULL") }
    outSession.pointee = nil
    guard let model = Handles.object(handle, magic: HandleMagic.model, as: Model.self) else {
        return fail(.invalidArgument, "deit_session_create: model is NULL or not a live model handle")
    }
    do {
        let session = try Session(model: model, threads: Int(numThreads), arena: arena, arenaBytes: arenaSize)
        guard let sessionHandle = Handles.make(session, magic: HandleMagic.session) else {
            return fail(.outOfMemory, "could not allocate a session handle")
        }
        outSession.pointee = sessionHandle
        return DEIT_OK
    } catch {
        return fail(error)
    }
}

@_cdecl("deit_session_free")
public func deit_session_free(_ session: OpaquePointer?) {
    if Handles.release(session, magic: HandleMagic.session, as: Session.self) == .busy {
        _ = fail(.invalidArgument, "deit_session_free: session is in use by another thread; not freed")
    }
}

@_cdecl("deit_session_run")
public func deit_session_run(_ handle: OpaquePointer?, _ input: UnsafePointer<Float>?, _ inputCount: Int,
                             _ logits: UnsafeMutablePointer<Float>?, _ logitsCount: Int) -> deit_status {
    do {
        return try Handles.withSession(handle, "deit_session_run") { session throws(DeiTError) in
            guard let input else { throw DeiTError(.invalidArgument, "deit_session_run: input_chw is NULL") }
            guard let logits else { throw DeiTError(.invalidArgument, "deit_session_run: logits is NULL") }
            // size_t values above Int.max arrive negative here.
            guard inputCount >= 0 else {
                throw DeiTError(.invalidArgument, "deit_session_run: input_count \(UInt(bitPattern: inputCount)) is too large")
            }
            guard logitsCount >= 0 else {
                throw DeiTError(.invalidArgument, "deit_session_run: logits_count \(UInt(bitPattern: logitsCount)) is too large")
            }
            try session.run(input: UnsafeBufferPointer(start: input, count: inputCount),
                            logits: UnsafeMutableBufferPointer(start: logits, count: logitsCount))
            return DEIT_OK
        }
    } catch {
        return fail(error)
    }
}
