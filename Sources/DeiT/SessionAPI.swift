import CDeiTSupport
import DeiTKernelTable
import DeiTRuntime

@_cdecl("deit_session_options_default")
public func deit_session_options_default(_ outOptions: UnsafeMutablePointer<deit_session_options>?) {
    guard let outOptions else { return }
    outOptions.pointee = defaultSessionOptions(threads: 1)
}

/// The documented defaults with `threads` workers, struct_size set.
private func defaultSessionOptions(threads: Int32) -> deit_session_options {
    deit_session_options(struct_size: deit_api_session_options_size(), kernel_set: nil, num_threads: threads,
                         max_batch: 1, flags: 0)
}

/// The worker count, max batch and kernel set (nil: the automatic choice) deit_session_options asks
/// for, after checking every field.
private func requestedOptions(_ options: UnsafePointer<deit_session_options>?, _ function: String)
    throws(DeiTError) -> (threads: Int, maxBatch: Int, kernelSet: KernelSet?) {
    guard let options else {
        throw DeiTError(.invalidArgument, "\(function): options is NULL; fill a deit_session_options with deit_session_options_default()")
    }
    var defaults = deit_session_options()
    deit_session_options_default(&defaults)
    let given = try versionedStruct(options, size: deit_api_session_options_size(), defaults: defaults, "options",
                                    defaultFunction: "deit_session_options_default", function)
    guard given.num_threads >= 1 && Int(given.num_threads) <= Session.maxThreads else {
        throw DeiTError(.invalidArgument,
                        "\(function): num_threads is \(given.num_threads); it must be between 1 and \(Session.maxThreads)")
    }
    guard given.max_batch >= 0 && Int(given.max_batch) <= Session.maxBatchLimit else {
        throw DeiTError(.invalidArgument,
                        "\(function): options->max_batch is \(given.max_batch); it must be between 1 and \(Session.maxBatchLimit) (0 means 1)")
    }
    guard given.flags == 0 else {
        throw DeiTError(.invalidArgument,
                        "\(function): options->flags has unknown bits 0x\(String(given.flags, radix: 16)); no flags are defined yet, set it to 0")
    }
    let kernelSet = try checkKernelSet(given.kernel_set, function)
    return (Int(given.num_threads), max(Int(given.max_batch), 1), kernelSet)
}

/// The kernel set `name` asks for: nil for NULL or "auto" (the session chooses: DEIT_KERNEL_SET, else
/// the best set this CPU has). A set this build has not compiled, or this CPU cannot run, is
/// unsupported (never a SIGILL later); a name that is no kernel set is invalid.
private func checkKernelSet(_ name: UnsafePointer<CChar>?, _ function: String) throws(DeiTError) -> KernelSet? {
    guard let name, !cStringEquals(name, "auto") else { return nil }
    guard let set = KernelSet.allCases.first(where: { cStringEquals(name, $0.name) }) else {
        let known = KernelSet.allCases.map { "\"" + $0.name + "\"" }.joined(separator: ", ")
        throw DeiTError(.invalidArgument,
                        "\(function): options->kernel_set \"\(String(cString: name))\" is not a kernel set; use NULL, \"auto\" or one of \(known)")
    }
    do {
        _ = try KernelChoice.table(for: set)
    } catch {
        throw DeiTError(error.status, "\(function): options->kernel_set: \(error.message)")
    }
    return set
}

/// Whether the NUL-terminated `cString` spells `text` (stops at the first difference).
private func cStringEquals(_ cString: UnsafePointer<CChar>, _ text: String) -> Bool {
    var text = text
    return text.withUTF8 { bytes in
        for index in 0..<bytes.count where UInt8(bitPattern: cString[index]) != bytes[index] { return false }
        return cString[bytes.count] == 0
    }
}

@_cdecl("deit_session_arena_size_with_options")
public func deit_session_arena_size_with_options(_ handle: OpaquePointer?, _ options: UnsafePointer<deit_session_options>?,
                                                 _ outBytes: UnsafeMutablePointer<Int>?) -> deit_status {
    arenaSize(handle, options, outBytes, "deit_session_arena_size_with_options")
}

@_cdecl("deit_session_create_with_options")
public func deit_session_create_with_options(_ handle: OpaquePointer?, _ options: UnsafePointer<deit_session_options>?,
                                             _ arena: UnsafeMutableRawPointer?, _ arenaSize: Int,
                                             _ outSession: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    createSession(handle, options, arena, arenaSize, outSession, "deit_session_create_with_options")
}

// The older entry points: the *_with_options functions with default options and `num_threads`.

@_cdecl("deit_session_arena_size")
public func deit_session_arena_size(_ handle: OpaquePointer?, _ numThreads: Int32, _ outBytes: UnsafeMutablePointer<Int>?) -> deit_status {
    var options = defaultSessionOptions(threads: numThreads)
    return arenaSize(handle, &options, outBytes, "deit_session_arena_size")
}

@_cdecl("deit_session_create")
public func deit_session_create(_ handle: OpaquePointer?, _ numThreads: Int32, _ arena: UnsafeMutableRawPointer?,
                                _ arenaSize: Int, _ outSession: UnsafeMutablePointer<OpaquePointer?>?) -> deit_status {
    var options = defaultSessionOptions(threads: numThreads)
    return createSession(handle, &options, arena, arenaSize, outSession, "deit_session_create")
}

private func arenaSize(_ handle: OpaquePointer?, _ options: UnsafePointer<deit_session_options>?,
                       _ outBytes: UnsafeMutablePointer<Int>?, _ function: String) -> deit_status {
    guard let model = Handles.object(handle, magic: HandleMagic.model, as: Model.self) else {
        return fail(.invalidArgument, "\(function): model is NULL or not a live model handle")
    }
    guard let outBytes else { return fail(.invalidArgument, "\(function): out_bytes is NULL") }
    do throws(DeiTError) {
        let requested = try requestedOptions(options, function)
        do throws(DeiTError) {
            outBytes.pointee = try Session.arenaBytes(for: model, threads: requested.threads, maxBatch: requested.maxBatch)
        } catch {
            throw DeiTError(error.status, "\(function): \(error.message)")
        }
        return DEIT_OK
    } catch {
        return fail(error)
    }
}

private func createSession(_ handle: OpaquePointer?, _ options: UnsafePointer<deit_session_options>?,
                           _ arena: UnsafeMutableRawPointer?, _ arenaSize: Int,
                           _ outSession: UnsafeMutablePointer<OpaquePointer?>?, _ function: String) -> deit_status {
    guard let outSession else { return fail(.invalidArgument, "\(function): out_session is NULL") }
    outSession.pointee = nil
    guard let model = Handles.object(handle, magic: HandleMagic.model, as: Model.self) else {
        return fail(.invalidArgument, "\(function): model is NULL or not a live model handle")
    }
    do throws(DeiTError) {
        let requested = try requestedOptions(options, function)
        let session: Session
        do throws(DeiTError) {
            session = try Session(model: model, threads: requested.threads, maxBatch: requested.maxBatch, arena: arena,
                                  arenaBytes: arenaSize, kernelSet: requested.kernelSet)
        } catch {
            throw DeiTError(error.status, "\(function): \(error.message)")
        }
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

@_cdecl("deit_session_get_kernel_set")
public func deit_session_get_kernel_set(_ handle: OpaquePointer?,
                                        _ outName: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> deit_status {
    let function = "deit_session_get_kernel_set"
    guard let outName else { return fail(.invalidArgument, "\(function): out_name is NULL") }
    do {
        let set = try Handles.withSession(handle, function) { session throws(DeiTError) in session.kernels.set }
        outName.pointee = kernelSetCName(set)
        return DEIT_OK
    } catch {
        return fail(error)
    }
}

/// `set.name` as a static NUL-terminated string (string literals are stored NUL-terminated).
private func kernelSetCName(_ set: KernelSet) -> UnsafePointer<CChar> {
    let literal: StaticString
    switch set {
    case .avx512VNNI: literal = "avx512-vnni"
    case .avx512: literal = "avx512"
    case .avxVNNI: literal = "avx-vnni"
    case .avx2: literal = "avx2-fma"
    case .neonDotProd: literal = "neon-dotprod"
    case .neon: literal = "neon"
    case .portable: literal = "portable"
    }
    return UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
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

@_cdecl("deit_session_run_batch")
public func deit_session_run_batch(_ handle: OpaquePointer?, _ count: Int32, _ inputs: UnsafePointer<Float>?,
                                   _ inputCount: Int, _ logits: UnsafeMutablePointer<Float>?,
                                   _ logitsCount: Int) -> deit_status {
    let function = "deit_session_run_batch"
    do {
        return try Handles.withSession(handle, function) { session throws(DeiTError) in
            guard count >= 1 && Int(count) <= session.maxBatch else {
                throw DeiTError(.invalidArgument,
                                "\(function): n is \(count); this session takes 1 to \(session.maxBatch) images (deit_session_options.max_batch)")
            }
            guard let inputs else { throw DeiTError(.invalidArgument, "\(function): inputs is NULL") }
            guard let logits else { throw DeiTError(.invalidArgument, "\(function): logits is NULL") }
            // size_t values above Int.max arrive negative here.
            guard inputCount >= 0 else {
                throw DeiTError(.invalidArgument, "\(function): input_count \(UInt(bitPattern: inputCount)) is too large")
            }
            guard logitsCount >= 0 else {
                throw DeiTError(.invalidArgument, "\(function): logits_count \(UInt(bitPattern: logitsCount)) is too large")
            }
            do throws(DeiTError) {
                try session.runBatch(count: Int(count), inputs: UnsafeBufferPointer(start: inputs, count: inputCount),
                                     logits: UnsafeMutableBufferPointer(start: logits, count: logitsCount))
            } catch {
                throw DeiTError(error.status, "\(function): \(error.message)")
            }
            return DEIT_OK
        }
    } catch {
        return fail(error)
    }
}

@_cdecl("deit_session_run_features")
public func deit_session_run_features(_ handle: OpaquePointer?, _ input: UnsafePointer<Float>?, _ inputCount: Int,
                                      _ features: UnsafeMutablePointer<Float>?, _ featureCount: Int) -> deit_status {
    let function = "deit_session_run_features"
    do {
        return try Handles.withSession(handle, function) { session throws(DeiTError) in
            guard let input else { throw DeiTError(.invalidArgument, "\(function): input_chw is NULL") }
            guard let features else { throw DeiTError(.invalidArgument, "\(function): features is NULL") }
            // size_t values above Int.max arrive negative here.
            guard inputCount >= 0 else {
                throw DeiTError(.invalidArgument, "\(function): input_count \(UInt(bitPattern: inputCount)) is too large")
            }
            guard featureCount >= 0 else {
                throw DeiTError(.invalidArgument, "\(function): feature_count \(UInt(bitPattern: featureCount)) is too large")
            }
            do throws(DeiTError) {
                try session.runFeatures(input: UnsafeBufferPointer(start: input, count: inputCount),
                                        features: UnsafeMutableBufferPointer(start: features, count: featureCount))
            } catch {
                throw DeiTError(error.status, "\(function): \(error.message)")
            }
            return DEIT_OK
        }
    } catch {
        return fail(error)
    }
}

@_cdecl("deit_session_run_tokens")
public func deit_session_run_tokens(_ handle: OpaquePointer?, _ input: UnsafePointer<Float>?, _ inputCount: Int,
                                      _ tokens: UnsafeMutablePointer<Float>?, _ tokenCount: Int) -> deit_status {
    let function = "deit_session_run_tokens"
    do {
        return try Handles.withSession(handle, function) { session throws(DeiTError) in
            guard let input else { throw DeiTError(.invalidArgument, "\(function): input_chw is NULL") }
            guard let tokens else { throw DeiTError(.invalidArgument, "\(function): tokens is NULL") }
            // size_t values above Int.max arrive negative here.
            guard inputCount >= 0 else {
                throw DeiTError(.invalidArgument, "\(function): input_count \(UInt(bitPattern: inputCount)) is too large")
            }
            guard tokenCount >= 0 else {
                throw DeiTError(.invalidArgument, "\(function): token_count \(UInt(bitPattern: tokenCount)) is too large")
            }
            do throws(DeiTError) {
                try session.runTokens(input: UnsafeBufferPointer(start: input, count: inputCount),
                                      tokens: UnsafeMutableBufferPointer(start: tokens, count: tokenCount))
            } catch {
                throw DeiTError(error.status, "\(function): \(error.message)")
            }
            return DEIT_OK
        }
    } catch {
        return fail(error)
    }
}
