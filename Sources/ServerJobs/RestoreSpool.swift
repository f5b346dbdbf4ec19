import Crypto
import Foundation
import Records

/// A private local copy of a plain archive, made while hashing it: a plain archive has no
/// per-chunk authentication, so the bytes checked against the row must be the bytes restored —
/// whoever can write the storage could otherwise swap the archive between the check and the
/// restore. Sealed archives need no copy: every chunk authenticates as it streams.
struct RestoreSpool: Sendable {
    let path: String
    let sha256: String

    /// Copies what `next` yields into a fresh 0600 file in a 0700 directory of our own.
    static func make(from next: () throws -> [UInt8]?) throws(ServerJobError) -> RestoreSpool {
        var template = Array((NSTemporaryDirectory() + "/medicineman-restore-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, let result = mkdtemp(base) else { return nil }
            return String(cString: result)
        }
        guard let directory = made else {
            throw ServerJobError(.storage, "cannot make a private directory for the restore: \(String(cString: strerror(errno)))", retryable: false)
        }
        let path = directory + "/archive"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            rmdir(directory)
            throw ServerJobError(.storage, "cannot make the restore's private copy: \(String(cString: strerror(errno)))", retryable: false)
        }
        defer { close(descriptor) }
        var hasher = SHA256()
        do {
            while let chunk = try next() {
                hasher.update(data: chunk)
                try chunk.withUnsafeBytes { bytes in
                    var offset = 0
                    while offset < bytes.count, let base = bytes.baseAddress {
                        let written = write(descriptor, base + offset, bytes.count - offset)
                        if written < 0, errno == EINTR { continue }
                        guard written > 0 else { throw ServerJobError(.storage, "writing the restore's private copy failed: \(String(cString: strerror(errno)))") }
                        offset += written
                    }
                }
            }
        } catch {
            unlink(path)
            rmdir(directory)
            throw error as? ServerJobError ?? ServerJobError(.storage, "reading the archive failed: \(error)")
        }
        return RestoreSpool(path: path, sha256: Hex.encode(hasher.finalize()))
    }

    func remove() {
        unlink(path)
        rmdir((path as NSString).deletingLastPathComponent)
    }
}
