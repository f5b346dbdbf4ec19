import Crypto
import SSHClient

/// The archive as it left the SSH session: tar's result, what was stored and the new snapshot.
struct StreamedArchive: Sendable {
    var result: SSHExecResult
    var sha256: String
    var storedBytes: Int64
    var tarSnapshot: [UInt8]?
}

extension BackupRunner {
    /// Runs `tar` for `backup` on the session's thread and passes what is to be stored to `store`:
    /// sealed when the request carries a data key, with the incremental snapshot uploaded first
    /// and read back after when it carries one. Every storage backend streams through here.
    static func stream(
        _ backup: BackupRequest, timeout: Duration, on session: isolated SSHSession, received: (Int) -> Void,
        store: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) throws -> StreamedArchive {
        let snapshotPath = try backup.tarSnapshot.map { try TarSnapshotTransfer.upload($0, on: session) }
        do {
            let command = try tarCommand(
                paths: backup.paths, exclusions: backup.exclusions, compression: backup.compression,
                listedIncremental: snapshotPath)
            let sink = SinkBox(try ArchiveStreamSink(dataKey: backup.dataKey, store: store))
            // Sealing, hashing and storing run on a writer thread; this thread only reads.
            let writer = ArchiveWriterThread { chunk in try sink.sink.write(chunk) }
            let result: SSHExecResult
            do {
                result = try session.exec(command, options: SSHExecOptions(timeout: timeout, idleTimeout: .seconds(300), maxStderrBytes: 16 * 1024)) { chunk in
                    try writer.submit(chunk)
                    received(chunk.count)
                }
                try writer.finish()
            } catch {
                writer.abandon()
                throw error
            }
            let digest = try sink.sink.finish()
            let snapshot = try snapshotPath.flatMap { try TarSnapshotTransfer.fetch(from: $0, on: session) }
            return StreamedArchive(result: result, sha256: digest, storedBytes: sink.sink.storedBytes, tarSnapshot: snapshot)
        } catch {
            if let snapshotPath { TarSnapshotTransfer.remove(snapshotPath, on: session) }
            throw error
        }
    }
}

/// The stream's sink, used by the writer thread while the stream runs and by the session's thread
/// after the writer finished.
private final class SinkBox: @unchecked Sendable {
    var sink: ArchiveStreamSink

    init(_ sink: ArchiveStreamSink) {
        self.sink = sink
    }
}
