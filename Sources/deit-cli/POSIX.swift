#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The few operating-system services deit-cli needs, straight from libc: importing Foundation alone
// costs ~10 MB of resident memory at start-up, a quarter of the budget of `deit-cli bench`.

/// The whole contents of the file at `path`, nil if it cannot be opened or read (a directory, say).
/// Reads to end of file rather than trusting the size, so /proc files (size 0) work too.
func readFile(_ path: String) -> [UInt8]? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var info = stat()
    let sizeHint = fstat(descriptor, &info) == 0 ? Int(info.st_size) : 0
    var bytes = [UInt8](repeating: 0, count: max(sizeHint, 4096))
    var used = 0
    while true {
        if used == bytes.count { bytes += [UInt8](repeating: 0, count: bytes.count) }
        let got = bytes.withUnsafeMutableBytes { buffer in
            read(descriptor, buffer.baseAddress! + used, buffer.count - used)
        }
        if got == 0 { break }
        if got < 0 {
            if errno == EINTR { continue }
            return nil
        }
        used += got
    }
    bytes.removeSubrange(used...)
    return bytes
}

/// Creates or truncates the file at `path` and writes `bytes` to it; false on any failure.
func writeFile(_ path: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
    guard descriptor >= 0 else { return false }
    let written = writeAll(descriptor, bytes)
    return close(descriptor) == 0 && written
}

/// Writes all of `bytes` to `descriptor`, retrying short writes and interruptions.
@discardableResult
func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let wrote = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if wrote < 0 {
            if errno == EINTR { continue }
            return false
        }
        offset += wrote
    }
    return true
}

/// Writes `text` to standard error, unbuffered (so it interleaves with progress redraws).
func writeStandardError(_ text: String) {
    var text = text
    _ = text.withUTF8 { writeAll(STDERR_FILENO, UnsafeRawBufferPointer($0)) }
}

let standardErrorIsTerminal = isatty(STDERR_FILENO) == 1

/// What a path names, following symbolic links (as `stat` does); nil if nothing (or unreachable).
enum FileKind { case directory, other }

func fileKind(_ path: String) -> FileKind? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .other
}

/// The names in directory `path` (without "." and ".."), unsorted; nil if it cannot be listed.
func directoryEntries(_ path: String) -> [String]? {
    guard let directory = opendir(path) else { return nil }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Monotonic nanoseconds.
func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
}

/// Peak resident set size in bytes (VmHWM of /proc/self/status), nil where unavailable.
func peakResidentBytes() -> Int? {
    guard let status = readFile("/proc/self/status") else { return nil }
    for line in status.split(separator: UInt8(ascii: "\n")) where line.starts(with: "VmHWM:".utf8) {
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        if fields.count >= 2, let kilobytes = Int(String(decoding: fields[1], as: UTF8.self)) { return kilobytes * 1024 }
    }
    return nil
}

/// Ends the process with `code`, flushing standard output first (as C's `exit` does).
func exitProcess(_ code: Int32) -> Never { exit(code) }
