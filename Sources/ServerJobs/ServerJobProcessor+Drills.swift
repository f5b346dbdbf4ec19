import ArchiveFormat
import BlockingIO
import Crypto
import Foundation
import JobQueue
import Records

extension ServerJobProcessor {
    /// Runs a restore drill: the drilled backup's chain restored on its server (or the drill
    /// host) and compared with its file list. Differences pass the job and fail the drill; a
    /// restore that cannot run fails both, after the last attempt.
    func drill(_ id: UUID, context: JobContext) async throws -> JSONValue {
        let drills = dependencies.backups.drills
        guard let drill = try await drills.find(id: id) else { throw UnrecoverableError("restore drill \(id) has no record; nothing to do") }
        let idText = id.lowercasedString
        if drill.status.isFinished { return ["drillId": .string(idText), "alreadyFinished": true, "status": .string(drill.status.rawValue)] }
        let failDrill: @Sendable (String) async throws -> Void = { message in
            if let finished = try await drills.finish(id: id, counts: nil, error: message) { await announceDrillFailed(finished) }
        }
        guard let backupId = drill.backupId, let backup = try await dependencies.backups.find(id: backupId) else {
            try await failDrill("the backup to drill no longer exists")
            throw UnrecoverableError("restore drill \(id): the backup no longer exists")
        }
        let chain: [Backup]
        let keys: [UUID: SymmetricKey]
        let expected: BackupTree
        do {
            chain = try await dependencies.backups.chain(endingAt: backup.id)
            keys = try await dataKeys(for: chain)
            expected = try await expectedTree(of: chain, dataKeys: keys)
        } catch {
            let message = (error as? ServerJobError)?.message ?? "\(error)"
            try await failDrill(message)
            throw UnrecoverableError(message)
        }
        let check = try await withServer(drill.drillServerId ?? backup.serverId, context: context, onFinalFailure: failDrill) { _, session in
            try await drills.markRunning(id: id, jobId: context.job.id)
            try? await context.updateProgress(["phase": "restore", "percent": 0])
            let check = try await RestoreDrillRunner(storage: dependencies.storage)
                .run(chain, dataKeys: keys, expected: expected, drillId: id, on: session)
            try await requireLock(context)
            return check
        }
        let counts = RestoreDrillCounts(
            expected: check.expectedCount, matched: check.matched, missing: check.missing, changed: check.changed,
            extra: check.extra, hashed: check.hashed)
        let problems = check.differences.map { RestoreDrillProblem(path: $0.path, problem: $0.problem) }
        let finished = try await drills.finish(id: id, counts: counts, problems: problems)
        if let finished, finished.status == .failed { await announceDrillFailed(finished) }
        try? await context.updateProgress(["phase": "done", "percent": 100])
        return [
            "drillId": .string(idText), "status": .string(counts.passed ? "passed" : "failed"), "expected": .int(Int64(counts.expected)),
            "matched": .int(Int64(counts.matched)), "missing": .int(Int64(counts.missing)), "changed": .int(Int64(counts.changed)),
            "extra": .int(Int64(counts.extra)), "hashed": .int(Int64(counts.hashed)),
        ]
    }

    /// What a restore of `chain` leaves, from the file lists stored beside its archives.
    func expectedTree(of chain: [Backup], dataKeys: [UUID: SymmetricKey]) async throws -> BackupTree {
        let manifests = try await checkedManifests(of: chain, dataKeys: dataKeys)
        return await BlockingWork.run { BackupTree(chain: manifests) }
    }

    /// The chain's file lists, after checking from them that no later archive writes through a
    /// symlink an earlier one left (a crafted incremental could reach outside the target). A
    /// chain with a link that is not completed or has no file list is refused until it is verified.
    func checkedManifests(of chain: [Backup], dataKeys: [UUID: SymmetricKey]) async throws -> [ArchiveManifest] {
        var manifests: [ArchiveManifest] = []
        for link in chain {
            let id = link.id.lowercasedString
            guard link.status == .completed else {
                throw ServerJobError(.invalidRequest, "backup \(id) has no completed archive to restore", retryable: false)
            }
            guard let manifest = try await dependencies.storage.manifest(of: link, dataKey: dataKeys[link.id]) else {
                throw ServerJobError(
                    .invalidRequest, "backup \(id) has no file list yet, which restoring its chain needs; verify it first (POST /api/backups/\(id)/verify)",
                    retryable: false)
            }
            manifests.append(manifest)
        }
        try await Self.refuseSymlinkTraversal(in: manifests, of: chain)
        return manifests
    }

    static func refuseSymlinkTraversal(in manifests: [ArchiveManifest], of chain: [Backup]) async throws(ServerJobError) {
        // A chain replays its dump directories' rename records; a file list from before they
        // were kept cannot say whether one leads through a link.
        if chain.count > 1, let index = manifests.indices.first(where: { !manifests[$0].recordsRenames && manifests[$0].entries.contains { $0.children != nil } }),
            index < chain.count
        {
            let id = chain[index].id.lowercasedString
            throw ServerJobError(
                .invalidRequest,
                "backup \(id)'s file list is from an earlier version and does not record renames, which restoring its chain checks; "
                    + "verify it again first (POST /api/backups/\(id)/verify)", retryable: false)
        }
        guard let found = await BlockingWork.run({ BackupTree.symlinkTraversal(in: manifests) }), found.archive < chain.count else { return }
        let id = chain[found.archive].id.lowercasedString
        if found.symlink.isEmpty, found.path.isEmpty {
            throw ServerJobError(
                .invalidRequest,
                "backup \(id) holds records its file list could not keep (a directory of too many names, too many renames, or a name too long or not UTF-8); refusing to restore the chain",
                retryable: false)
        }
        guard !found.symlink.isEmpty else {
            throw ServerJobError(
                .invalidRequest, "backup \(id) names \(found.path), which tar would resolve outside the restore's directory or through a link; refusing to restore the chain",
                retryable: false)
        }
        throw ServerJobError(
            .invalidRequest,
            """
            backup \(id) writes \(found.path) through the symlink \(found.symlink) (to \(found.linkTarget)) \
            that its chain left; refusing to restore the chain
            """, retryable: false)
    }
}
