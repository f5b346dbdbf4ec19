import Crypto
import Foundation
import Logging
import Records
import SSHClient
import Synchronization

extension BackupRunner {
    /// Streams `tar` straight into a multipart upload: the SSH thread seals and hashes each chunk
    /// (`stream`) and hands full parts to the uploader (waiting while enough are in flight), nothing is written
    /// locally. The object exists only once `CompleteMultipartUpload` succeeds, after the fence;
    /// any failure or cancellation aborts the upload.
    func runToObjectStore(
        _ backup: BackupRequest, store: ObjectStore, session: SSHSession,
        fence: @escaping @Sendable () async throws -> Void,
        progress: @escaping @Sendable (Int64) async -> Void
    ) async throws(ServerJobError) -> BackupOutcome {
        let relative = BackupStorage.relativeName(for: backup, at: Date())
        let key = store.settings.prefix + relative
        let upload = try await ObjectUpload.start(store: store, key: key)
        let received = ByteCounter()
        do {
            let archive = try await Self.reportingProgress(received, to: progress) {
                try await session.perform { [timeout] session in
                    let streamed = try Self.stream(backup, timeout: timeout, on: session, received: { received.add($0) }) { try upload.write($0) }
                    if (streamed.result.exitStatus ?? 2) <= 1 { try upload.flush() }
                    return streamed
                }
            }
            let warning = try Self.judge(archive.result)
            let parts = try await upload.complete(fence: fence)
            await progress(received.value)
            logger.debug("archive uploaded", metadata: ["key": "\(key)", "parts": "\(parts)", "peakBytes": "\(upload.peakBytes)"])
            return BackupOutcome(
                storedPath: relative, localPath: "", size: archive.storedBytes, sha256: archive.sha256, warning: warning,
                objectKey: key, peakBufferedBytes: upload.peakBytes, tarSnapshot: archive.tarSnapshot)
        } catch {
            await upload.abort()
            throw Self.classify(error)
        }
    }
}
