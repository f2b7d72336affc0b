#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The progress line of a run over many images: "[#####.....] 12/100  8.3 images/s  ETA 0:11" on
/// standard error, redrawn in place. Only when standard error is a terminal (and TERM is not "dumb",
/// which cannot erase a line): redirected to a file or a pipe, it writes nothing at all, so logs stay
/// clean. Results and error lines are written between `clear()` and the next `show`, so they never
/// share a line with it.
struct ProgressLine {
    let total: Int
    let enabled: Bool
    private let started = now()
    private var visible = false

    init(total: Int) {
        self.total = total
        enabled = total > 1 && standardErrorIsTerminal && !Self.terminalIsDumb
    }

    /// Draws the line for `done` finished images (successful or not).
    mutating func show(done: Int) {
        guard enabled else { return }
        var line = Self.text(done: done, total: total, seconds: Double(now() - started) / 1e9)
        // A line wider than the terminal would wrap, and "\r" returns only to the start of its last row.
        if let columns = Self.terminalColumns(), line.count >= columns { line = String(line.prefix(columns - 1)) }
        writeStandardError("\r\u{1B}[K" + line)
        visible = true
    }

    /// Erases the line (the cursor back at its start), so that the next output starts a clean line.
    mutating func clear() {
        guard visible else { return }
        writeStandardError("\r\u{1B}[K")
        visible = false
    }

    static let barWidth = 20

    /// The line's text: a bar, done/total, then once something is done the rate and the time left
    /// at that rate.
    static func text(done: Int, total: Int, seconds: Double) -> String {
        let filled = total > 0 ? min(done, total) * barWidth / total : 0
        var line = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled) + "] \(done)/\(total)"
        if done > 0, seconds > 0 {
            let rate = Double(done) / seconds
            line += format("  %.1f images/s  ETA ", rate) + duration(Double(total - done) / rate)
        }
        return line
    }

    /// "m:ss", or "h:mm:ss" from an hour on.
    static func duration(_ seconds: Double) -> String {
        // Clamped: Int(_:) of a huge Double would trap.
        let whole = seconds.isFinite ? Int(min(max(seconds, 0), 1e9).rounded(.up)) : 0
        let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0 ? format("%ld:%02ld:%02ld", hours, minutes, secs) : format("%ld:%02ld", minutes, secs)
    }

    /// Standard error's terminal width, nil when unknown (0 columns, as a bare pseudo-terminal reports).
    private static func terminalColumns() -> Int? {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    private static var terminalIsDumb: Bool {
        guard let term = getenv("TERM") else { return false }
        return String(cString: term) == "dumb"
    }
}
