import BlockingIO
import Crypto
import Foundation
import Records

/// Checks a stored archive: its SHA-256 is computed again from disk and `tar` lists it.
public enum ArchiveVerifier {
    public struct Result: Sendable, Equatable {
        public var verified: Bool
        /// Why verification failed.
        public var reason: String?
    }

    /// Verifies a backup's stored archive, resolved through `storage` (never a file outside it).
    public static func verify(_ backup: Backup, in storage: BackupStorage) async -> Result {
        do {
            if let store = try storage.objectStore(for: backup) {
                let reader = try await storage.objectReader(of: backup, in: store)
                return await verify(reader: reader, sha256: backup.sha256 ?? "", compression: backup.compression)
            }
        } catch {
            return Result(verified: false, reason: error.message)
        }
        let resolved = await BlockingWork.run { Swift.Result { () throws(ServerJobError) -> String in try storage.archivePath(of: backup) } }
        switch resolved {
        case .success(let path): return await verify(path: path, sha256: backup.sha256 ?? "", compression: backup.compression)
        case .failure(let error): return Result(verified: false, reason: error.message)
        }
    }

    public static func verify(path: String, sha256 expected: String, compression: Compression) async -> Result {
        await BlockingWork.run {
            guard let actual = try? sha256(of: path) else { return Result(verified: false, reason: "the archive \(path) cannot be read") }
            guard actual == expected else {
                return Result(verified: false, reason: "SHA-256 mismatch: stored \(expected.prefix(12))…, file has \(actual.prefix(12))…")
            }
            let (status, errors) = listArchive(path: path, compression: compression)
            guard status == 0 else { return Result(verified: false, reason: "tar cannot list the archive (exit \(status)): \(errors.prefix(300))") }
            return Result(verified: true, reason: nil)
        }
    }

    /// Streams the file through SHA-256 in 1 MiB reads.
    public static func sha256(of path: String) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// A just-made archive, where it was stored.
    public static func verify(_ outcome: BackupOutcome, compression: Compression, in storage: BackupStorage) async -> Result {
        guard let store = storage.objectStore, let key = outcome.objectKey else {
            return await verify(path: outcome.localPath, sha256: outcome.sha256, compression: compression)
        }
        do {
            guard let size = try await store.size(of: key), size == outcome.size else {
                return Result(verified: false, reason: "the object \(key) is missing or not the \(outcome.size) bytes that were uploaded")
            }
            return await verify(reader: ObjectRangeReader(store: store, key: key, size: size), sha256: outcome.sha256, compression: compression)
        } catch {
            return Result(verified: false, reason: error.message)
        }
    }

    static func listArchive(path: String, compression: Compression, standardInput: FileHandle? = nil) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["tar", "--list", "--file=\(path)"]
        switch compression {
        case .gzip: arguments.append("--gzip")
        case .zstd: arguments.append("--zstd")
        case .none: break
        }
        process.arguments = arguments
        let errorFile = NSTemporaryDirectory() + "/mm-verify-\(UUID().uuidString).err"
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorFile) }
        process.standardInput = standardInput ?? FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: errorFile)
        do { try process.run() } catch { return (-1, "cannot run tar: \(error)") }
        try? standardInput?.close()  // the child has its own copy; tar must see end of input once ours closes
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "")
    }
}
