import Crypto
import Foundation
import Records

/// A private local copy of a plain archive, made while hashing it: a plain archive has no
/// per-chunk authentication, so the bytes checked against the row must be the bytes restored —
/// whoever can write the storage could otherwise swap the archive between the check and the
/// restore. Sealed archives need no copy: every chunk authenticates as it streams. The copy has
/// no name once made (read through a descriptor opened before its unlinking), so a worker that
/// dies mid-restore leaves no plain copy of the archive behind.
struct RestoreSpool: Sendable {
    /// Reads the copy from its start; `remove()` closes it, and the kernel frees the file.
    let readDescriptor: Int32
    let sha256: String

    /// Free space the copy leaves in the temporary directory's volume, read again every 16 MiB:
    /// a large archive (an object store's, on a worker with little disk) fails the restore
    /// instead of filling the volume the worker and its logs share.
    static let reservedFreeBytes: Int64 = 256 << 20
    static let checkEvery = 16 << 20

    /// Copies what `next` yields into a fresh 0600 file in a 0700 directory of our own; with
    /// `expectedBytes`, only when the volume has room for them and the reserve, before any write.
    static func make(from next: () throws -> [UInt8]?, expectedBytes: Int64? = nil) throws(ServerJobError) -> RestoreSpool {
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
        let reader = descriptor >= 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1
        let failure = String(cString: strerror(errno))
        unlink(path)
        guard descriptor >= 0, reader >= 0 else {
            if descriptor >= 0 { close(descriptor) }
            rmdir(directory)
            throw ServerJobError(.storage, "cannot make the restore's private copy: \(failure)", retryable: false)
        }
        defer { close(descriptor) }
        var hasher = SHA256()
        var sinceCheck = 0
        do {
            try checkFreeSpace(in: directory, beyond: max(Int64(checkEvery), expectedBytes ?? 0))
            while let chunk = try next() {
                if sinceCheck >= checkEvery {
                    sinceCheck = 0
                    try checkFreeSpace(in: directory, beyond: Int64(checkEvery))
                }
                sinceCheck += chunk.count
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
            close(reader)
            rmdir(directory)
            throw error as? ServerJobError ?? ServerJobError(.storage, "reading the archive failed: \(error)")
        }
        rmdir(directory)
        return RestoreSpool(readDescriptor: reader, sha256: Hex.encode(hasher.finalize()))
    }

    /// Throws unless the volume holds `bytes` more and still the reserve.
    private static func checkFreeSpace(in directory: String, beyond bytes: Int64) throws(ServerJobError) {
        guard let available = BackupStorage.freeBytes(at: directory) else {
            throw ServerJobError(.storage, "cannot read the free space of \(directory) for the restore's private copy", retryable: true)
        }
        let needed = bytes > Int64.max - reservedFreeBytes ? Int64.max : reservedFreeBytes + bytes
        guard available >= needed else {
            throw ServerJobError(
                .storage,
                """
                the restore's private copy stopped: \(directory) has \(ServerJobProcessor.megabytes(available)) free, and the copy needs \
                \(ServerJobProcessor.megabytes(bytes)) more while leaving \(ServerJobProcessor.megabytes(reservedFreeBytes)); free space there \
                or point TMPDIR at a larger volume (not a tmpfs: that is memory)
                """, retryable: false)
        }
    }

    func remove() {
        close(readDescriptor)
    }
}
