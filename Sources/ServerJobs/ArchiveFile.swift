import CFileSync
import Foundation

/// The partial archive being written: plain POSIX writes (no buffering beyond one chunk), then a
/// sync and close, or removal on failure. Write-back starts every `writebackEvery` bytes, so the
/// final fsync does not write the whole archive while the backup waits. Not `Sendable`: it is made
/// and finished on the SSH session's thread and written by the stream's writer thread in between
/// (the writer's end orders the two); once closed, only its path goes on.
final class ArchiveFile {
    private var descriptor: Int32
    let path: String
    private var written: Int64 = 0
    private var writebackFrom: Int64 = 0
    static let writebackEvery: Int64 = 8 << 20

    init(creating path: String) throws(ServerJobError) {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ServerJobError(.storage, "cannot create the backup directory \(directory): \(error.localizedDescription)", retryable: false)
        }
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ServerJobError(.storage, "cannot create \(path): \(String(cString: strerror(errno)))", retryable: false)
        }
    }

    func write(_ chunk: UnsafeRawBufferPointer) throws(ServerJobError) {
        guard var base = chunk.baseAddress else { return }
        var remaining = chunk.count
        while remaining > 0 {
            let written = Foundation.write(descriptor, base, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw ServerJobError(.storage, "writing \(path) failed: \(String(cString: strerror(errno)))")
            }
            remaining -= written
            base += written
            self.written += Int64(written)
        }
        if self.written - writebackFrom >= Self.writebackEvery {
            // Best effort: on a filesystem without it, the fsync in `finish` still does the work.
            _ = mm_start_writeback(descriptor, writebackFrom, self.written - writebackFrom)
            writebackFrom = self.written
        }
    }

    func finish() throws(ServerJobError) {
        guard fsync(descriptor) == 0 else { throw ServerJobError(.storage, "syncing \(path) failed: \(String(cString: strerror(errno)))") }
        close(descriptor)
        descriptor = -1
    }

    /// Puts a finished partial in place (atomic within the backup directory) and syncs the
    /// directory, so the name survives a power loss as the file's data does.
    static func rename(_ partialPath: String, to finalPath: String) throws(ServerJobError) {
        guard Foundation.rename(partialPath, finalPath) == 0 else {
            throw ServerJobError(.storage, "renaming \(partialPath) to \(finalPath) failed: \(String(cString: strerror(errno)))")
        }
        let directory = open(URL(fileURLWithPath: finalPath).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return }  // the archive is in place; only its durability is best effort
        defer { close(directory) }
        guard fsync(directory) == 0 else {
            throw ServerJobError(.storage, "syncing the directory of \(finalPath) failed: \(String(cString: strerror(errno)))")
        }
    }

    static func remove(_ partialPath: String) {
        unlink(partialPath)
    }

    func discard() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        Self.remove(path)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }
}
