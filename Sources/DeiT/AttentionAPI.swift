import CDeiTSupport
import DeiTRuntime

// deit_session_run_attention, deit_attention_rollout, deit_attention_distance (include/deit.h,
// "Attention"): thin thunks over Session.runAttention and AttentionAnalysis.

@_cdecl("deit_session_run_attention")
public func deit_session_run_attention(_ handle: OpaquePointer?, _ input: UnsafePointer<Float>?, _ inputCount: Int,
                                       _ firstBlock: Int32, _ blockCount: Int32, _ rows: Int32,
                                       _ maps: UnsafeMutablePointer<Float>?, _ mapsCount: Int,
                                       _ logits: UnsafeMutablePointer<Float>?, _ logitsCount: Int) -> deit_status {
    let function = "deit_session_run_attention"
    do {
        return try Handles.withSession(handle, function) { session throws(DeiTError) in
            guard let input else { throw DeiTError(.invalidArgument, "\(function): input_chw is NULL") }
            guard let maps else { throw DeiTError(.invalidArgument, "\(function): maps is NULL") }
            // size_t values above Int.max arrive negative here.
            guard inputCount >= 0, mapsCount >= 0, logitsCount >= 0 else {
                throw DeiTError(.invalidArgument, "\(function): input_count, maps_count or logits_count is too large")
            }
            let which: Session.AttentionRows
            switch UInt32(bitPattern: rows) {
            case DEIT_ATTENTION_PREFIX_ROWS.rawValue: which = .prefix
            case DEIT_ATTENTION_ALL_ROWS.rawValue: which = .all
            default:
                throw DeiTError(.invalidArgument, "\(function): rows is \(rows); use DEIT_ATTENTION_PREFIX_ROWS (0) or DEIT_ATTENTION_ALL_ROWS (1)")
            }
            guard firstBlock >= 0, blockCount >= 1, Int(firstBlock) + Int(blockCount) <= session.model.config.depth else {
                throw DeiTError(.invalidArgument, "\(function): blocks \(firstBlock) ..< \(Int(firstBlock) + Int(blockCount)) are not a non-empty range within the model's \(session.model.config.depth) blocks")
            }
            var logitsBuffer: UnsafeMutableBufferPointer<Float>?
            if let logits {
                logitsBuffer = UnsafeMutableBufferPointer(start: logits, count: logitsCount)
            } else if logitsCount != 0 {
                throw DeiTError(.invalidArgument, "\(function): logits is NULL but logits_count is \(logitsCount)")
            }
            do throws(DeiTError) {
                try session.runAttention(input: UnsafeBufferPointer(start: input, count: inputCount), logits: logitsBuffer,
                                         blocks: Int(firstBlock)..<Int(firstBlock) + Int(blockCount), rows: which,
                                         maps: UnsafeMutableBufferPointer(start: maps, count: mapsCount))
            } catch {
                throw DeiTError(error.status, "\(function): \(error.message)")
            }
            return DEIT_OK
        }
    } catch {
        return fail(error)
    }
}

@_cdecl("deit_attention_rollout")
public func deit_attention_rollout(_ maps: UnsafePointer<Float>?, _ mapsCount: Int, _ blockCount: Int32, _ numHeads: Int32,
                                   _ numTokens: Int32, _ rollout: UnsafeMutablePointer<Float>?, _ rolloutCount: Int) -> deit_status {
    let function = "deit_attention_rollout"
    guard let maps else { return fail(.invalidArgument, "\(function): maps is NULL") }
    guard let rollout else { return fail(.invalidArgument, "\(function): rollout is NULL") }
    guard mapsCount >= 0, rolloutCount >= 0 else { return fail(.invalidArgument, "\(function): a count is too large") }
    do {
        try AttentionAnalysis.rollout(
            maps: UnsafeBufferPointer(start: maps, count: mapsCount),
            shape: AttentionAnalysis.MapShape(blocks: Int(blockCount), heads: Int(numHeads), tokens: Int(numTokens)),
            into: UnsafeMutableBufferPointer(start: rollout, count: rolloutCount))
        return DEIT_OK
    } catch {
        return fail(DeiTError(error.status, "\(function): \(error.message)"))
    }
}

@_cdecl("deit_attention_distance")
public func deit_attention_distance(_ maps: UnsafePointer<Float>?, _ mapsCount: Int, _ blockCount: Int32, _ numHeads: Int32,
                                    _ numTokens: Int32, _ numPrefixTokens: Int32, _ patchSize: Int32,
                                    _ distances: UnsafeMutablePointer<Float>?, _ distancesCount: Int) -> deit_status {
    let function = "deit_attention_distance"
    guard let maps else { return fail(.invalidArgument, "\(function): maps is NULL") }
    guard let distances else { return fail(.invalidArgument, "\(function): distances is NULL") }
    guard mapsCount >= 0, distancesCount >= 0 else { return fail(.invalidArgument, "\(function): a count is too large") }
    do {
        try AttentionAnalysis.meanDistance(
            maps: UnsafeBufferPointer(start: maps, count: mapsCount),
            shape: AttentionAnalysis.MapShape(blocks: Int(blockCount), heads: Int(numHeads), tokens: Int(numTokens)),
            prefixTokens: Int(numPrefixTokens), patchSize: Int(patchSize),
            into: UnsafeMutableBufferPointer(start: distances, count: distancesCount))
        return DEIT_OK
    } catch {
        return fail(DeiTError(error.status, "\(function): \(error.message)"))
    }
}
