import Crypto
import Foundation
import Logging
import Records
import SSHClient
import Synchronization

extension BackupRunner {
    /// Streams `tar` straight into a multipart upload: the SSH thread hashes each chunk and
    /// hands full parts to the uploader (waiting while enough are in flight), nothing is written
    /// locally. The object exists only once `CompleteMultipartUpload` succeeds, after the fence;
    /// any failure or cancellation aborts the upload.
    func runToObjectStore(_ backup: BackupRequest, command: String, store: ObjectStore, session: SSHSession,
                          fence: @escaping @Sendable () async throws -> Void,
                          progress: @escaping @Sendable (Int64) async -> Void) async throws(ServerJobError) -> BackupOutcome {
        let relative = BackupStorage.relativeName(for: backup, at: Date())
        let key = store.settings.prefix + relative
        let upload = try await ObjectUpload.start(store: store, key: key)
        let received = Atomic<Int64>(0)
        let reporter = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { break }
                await progress(received.load(ordering: .relaxed))
            }
        }
        defer { reporter.cancel() }
        do {
            let (result, digest) = try await session.perform { session in
                var hasher = SHA256()
                let result = try session.exec(command, options: SSHExecOptions(idleTimeout: .seconds(300), maxStderrBytes: 16 * 1024)) { chunk in
                    hasher.update(bufferPointer: chunk)
                    try upload.write(chunk)
                    received.add(Int64(chunk.count), ordering: .relaxed)
                }
                if (result.exitStatus ?? 2) <= 1 { try upload.flush() }
                return (result, hasher.finalize().map { String(format: "%02x", $0) }.joined())
            }
            let warning = try Self.judge(result)
            let parts = try await upload.complete(fence: fence)
            await progress(received.load(ordering: .relaxed))
            logger.debug("archive uploaded", metadata: ["key": "\(key)", "parts": "\(parts)", "peakBytes": "\(upload.peakBytes)"])
            return BackupOutcome(storedPath: relative, localPath: "", size: received.load(ordering: .relaxed), sha256: digest, warning: warning,
                                 objectKey: key, peakBufferedBytes: upload.peakBytes)
        } catch {
            await upload.abort()
            throw Self.classify(error)
        }
    }
}
