import Crypto
import Foundation
import JobQueue
import Records
import SSHClient

extension ServerJobProcessor {
    func backup(_ id: UUID, context: JobContext) async throws -> JSONValue {
        let backups = dependencies.backups
        guard let record = try await backups.find(id: id) else { throw UnrecoverableError("backup \(id) has no record; nothing to do") }
        if record.status == .completed { return ["backupId": .string(id.lowercasedString), "alreadyCompleted": true] }
        let runner = BackupRunner(
            storage: dependencies.storage, logger: logger, reservedFreeBytes: dependencies.reservedFreeBytes, timeout: dependencies.backupTimeout)
        do {
            try await requireFreeSpace(for: record)
        } catch  where error.isRetryable {
            throw RetryableJobFailure(message: error.message)
        } catch {
            try await backups.markFailed(id: id, error: error.message)
            await reportScheduled(record, status: "failed", error: error.message)
            await announceBackupFailed(record, error: error.message)
            throw UnrecoverableError(error.message)
        }
        let stored = try await withServer(
            record.serverId, context: context,
            onFinalFailure: { message in
                try await backups.markFailed(id: id, error: message)
                await reportScheduled(record, status: "failed", error: message)
                await announceBackupFailed(record, error: message)
            }
        ) { _, session in
            try await backups.markRunning(id: id, jobId: context.job.id)
            try? await context.updateProgress(["phase": "transfer", "bytes": 0])
            let plan = try await BackupPlanner(backups: backups).plan(record, requested: record.requestedType, fullEveryDays: record.fullEveryDays)
            let dataKey = try await dependencies.archiveKeys?.newDataKey(for: id)
            var request = BackupRequest(record)
            request.dataKey = dataKey?.key
            request.tarSnapshot = plan.tarSnapshot
            let outcome = try await runner.run(
                request, on: session, attempt: Self.attemptTag(context.token),
                fence: { try await self.requireLock(context) }
            ) { bytes in
                try? await context.updateProgress(["phase": "transfer", "bytes": .int(bytes)])
            }
            try await requireLock(context)
            let shape = ArchiveShape(
                type: plan.type, base: plan.base, chainPosition: plan.chainPosition, tarSnapshot: outcome.tarSnapshot,
                dataKey: dataKey?.sealed)
            let warning = [outcome.warning, plan.fullBecause.map { "full backup instead of incremental: \($0)" }].compactMap { $0 }.joined(separator: "; ")
            _ = try await backups.markCompleted(
                id: id, filePath: outcome.storedPath, size: outcome.size, sha256: outcome.sha256,
                warning: warning.isEmpty ? nil : warning,
                storage: outcome.objectKey == nil ? .directory : .objectStore, shape: shape)
            return StoredArchive(outcome: outcome, type: plan.type, dataKey: dataKey?.key)
        }
        // The server's lease and SSH session are released: verifying reads only the stored archive.
        let outcome = stored.outcome
        try? await context.updateProgress(["phase": "verify", "bytes": .int(outcome.size), "percent": 95])
        let check = await ArchiveVerifier.verify(outcome, compression: record.compression, dataKey: stored.dataKey, in: dependencies.storage)
        try await backups.setVerification(id: id, check.verified ? .verified : .failed, error: check.reason)
        try? await context.updateProgress(["phase": "done", "bytes": .int(outcome.size), "percent": 100])
        let result: JSONValue = [
            "backupId": .string(id.lowercasedString), "size": .int(outcome.size), "sha256": .string(outcome.sha256),
            "verified": .bool(check.verified), "type": .string(stored.type.rawValue), "encrypted": .bool(stored.dataKey != nil),
        ]
        await reportScheduled(record, status: "completed", error: nil)
        await announceBackupCompleted(record, result: result)
        return result
    }

    func restore(_ id: UUID, payload: ServerJobPayload, context: JobContext) async throws -> JSONValue {
        guard let record = try await dependencies.backups.find(id: id) else { throw UnrecoverableError("backup \(id) has no record") }
        let runner = RestoreRunner(storage: dependencies.storage)
        return try await withServer(record.serverId, context: context, onFinalFailure: { _ in }) { _, session in
            try? await context.updateProgress(["phase": "restore", "percent": 0])
            // Without a target: a fresh private directory on the server; the job's result names it.
            let chain = try await dependencies.backups.chain(endingAt: record.id)
            let dataKeys = try await dataKeys(for: chain)
            if chain.count > 1 { _ = try await checkedManifests(of: chain, dataKeys: dataKeys) }
            let used = try await runner.run(
                chain, dataKeys: dataKeys, target: payload.target, allowRoot: payload.allowRootTarget ?? false,
                paths: payload.paths, on: session)
            try? await context.updateProgress(["phase": "done", "percent": 100])
            return ["backupId": .string(id.lowercasedString), "target": .string(used)]
        }
    }

    /// The data key of each sealed archive of `chain`.
    func dataKeys(for chain: [Backup]) async throws -> [UUID: SymmetricKey] {
        var dataKeys: [UUID: SymmetricKey] = [:]
        for link in chain where link.isEncrypted {
            guard let keys = dependencies.archiveKeys else {
                throw ServerJobError(.invalidRequest, "backup \(link.id) is encrypted and this process has no ENCRYPTION_KEY to open it", retryable: false)
            }
            dataKeys[link.id] = try await keys.dataKey(for: link, in: dependencies.backups)
        }
        return dataKeys
    }

    func scan(_ id: UUID, context: JobContext) async throws -> JSONValue {
        let scans = dependencies.scans
        guard let record = try await scans.find(id: id) else { throw UnrecoverableError("scan \(id) has no record; nothing to do") }
        if record.status == .completed { return ["scanId": .string(id.lowercasedString), "alreadyCompleted": true] }
        let (stored, findings, previous) = try await withServer(
            record.serverId, context: context,
            onFinalFailure: { try await scans.markFailed(id: id, error: $0) }
        ) { _, session in
            try await scans.markRunning(id: id, jobId: context.job.id)
            let outcome = try await ScanRunner().run(record.scanType, on: session) { percent in
                try? await context.updateProgress(["phase": "scan", "percent": .int(Int64(percent))])
            }
            try await requireLock(context)
            // Read while this scan is not yet complete: the previous one is then the server's
            // latest inventory, which retention never removes; once this one completes, it may.
            let previous = await previousInventory(before: record)
            return (try await scans.complete(id: id, summary: outcome.summary, findings: outcome.findings), outcome.findings, previous)
        }
        await announceScanCompleted(stored, findings: findings, previous: previous)
        return ["scanId": .string(id.lowercasedString), "durationMs": .int(stored.durationMs ?? 0)]
    }

    func update(_ id: UUID, context: JobContext) async throws -> JSONValue {
        let updates = dependencies.updates
        guard let record = try await updates.find(id: id) else { throw UnrecoverableError("update \(id) has no record; nothing to do") }
        if record.status == .completed { return ["updateId": .string(id.lowercasedString), "alreadyCompleted": true] }
        let outcome = try await withServer(
            record.serverId, context: context,
            onFinalFailure: { message in
                try await updates.markFailed(id: id, error: message)
                await announceUpdateFailed(record, error: message)
            }
        ) { _, session in
            try await updates.markRunning(id: id, jobId: context.job.id)
            let outcome = try await UpdateRunner().run(record.mode, on: session) { percent in
                try? await context.updateProgress(["phase": .string(record.mode.rawValue), "percent": .int(Int64(percent))])
            }
            try await requireLock(context)
            _ = try await updates.complete(
                id: id, packageManager: outcome.packageManager, upgradable: .array(outcome.upgradable.map { .string($0) }),
                upgraded: .array(outcome.upgraded.map { .string($0) }), rebootRequired: outcome.rebootRequired, log: outcome.log)
            return outcome
        }
        if record.mode == .apply { await announceUpdateApplied(record, outcome: outcome) }
        return [
            "updateId": .string(id.lowercasedString), "upgradable": .int(Int64(outcome.upgradable.count)),
            "upgraded": .int(Int64(outcome.upgraded.count)),
        ]
    }
}

/// What a backup's transfer left for the steps after the server is released.
struct StoredArchive: Sendable {
    var outcome: BackupOutcome
    var type: BackupType
    var dataKey: SymmetricKey?
}
