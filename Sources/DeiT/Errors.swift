import CDeiTSupport
import DeiTRuntime

/// Records `message` as this thread's last error and returns `status` as the C enum.
func fail(_ status: DeiTStatus, _ message: String) -> deit_status {
    var text = message
    text.withUTF8 { bytes in
        bytes.withMemoryRebound(to: CChar.self) { chars in
            deit_support_set_error(chars.baseAddress, chars.count)
        }
    }
    return cStatus(status)
}

func fail(_ error: DeiTError) -> deit_status { fail(error.status, error.message) }

func cStatus(_ status: DeiTStatus) -> deit_status { deit_status(rawValue: UInt32(status.rawValue)) }
