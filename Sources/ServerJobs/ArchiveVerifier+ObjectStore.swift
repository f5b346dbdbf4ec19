import BlockingIO
import Crypto
import Foundation
import Records

extension ArchiveVerifier {
    /// Reads the object once in ranges on a thread of its own: every byte goes through SHA-256
    /// and into `tar --list` (over a socket pair, written with MSG_NOSIGNAL, so a tar that gives
    /// up early is an error, not a SIGPIPE).
    static func verify(reader: ObjectRangeReader, sha256 expected: String, compression: Compression) async -> Result {
        await BlockingWork.run {
            var pair: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
                reader.cancel()
                return Result(verified: false, reason: "cannot make a socket pair for tar: \(String(cString: strerror(errno)))")
            }
            let feed = pair[0]
            let tarEnd = pair[1]
            let listing = ListingBox()
            let tar = Thread {
                listing.outcome = listArchive(path: "-", compression: compression, standardInput: FileHandle(fileDescriptor: tarEnd, closeOnDealloc: true))
                listing.done.signal()
            }
            tar.start()
            var hasher = SHA256()
            var readError: String?
            var tarGone = false
            while true {
                let chunk: [UInt8]?
                do { chunk = try reader.next() } catch {
                    readError = (error as? ServerJobError)?.message ?? "\(error)"
                    break
                }
                guard let chunk else { break }
                hasher.update(data: chunk)
                if !tarGone, !sendAll(chunk, to: feed) { tarGone = true }
            }
            reader.cancel()
            close(feed)
            listing.done.wait()
            if let readError { return Result(verified: false, reason: "the archive cannot be read from the object store: \(readError)") }
            let actual = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            guard actual == expected else {
                return Result(verified: false, reason: "SHA-256 mismatch: stored \(expected.prefix(12))…, object has \(actual.prefix(12))…")
            }
            let (status, errors) = listing.outcome ?? (-1, "tar did not run")
            guard status == 0 else { return Result(verified: false, reason: "tar cannot list the archive (exit \(status)): \(errors.prefix(300))") }
            return Result(verified: true, reason: nil)
        }
    }

    /// Writes all of `bytes`; false once the reader is gone.
    private static func sendAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        bytes.withUnsafeBytes { buffer in
            guard var base = buffer.baseAddress else { return true }
            var remaining = buffer.count
            while remaining > 0 {
                let sent = send(descriptor, base, remaining, Int32(MSG_NOSIGNAL))
                if sent < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                remaining -= sent
                base += sent
            }
            return true
        }
    }

    private final class ListingBox: @unchecked Sendable {
        // @unchecked: written by the tar thread before `done` is signalled, read after.
        var outcome: (Int32, String)?
        let done = DispatchSemaphore(value: 0)
    }
}
