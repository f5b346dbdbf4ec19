import Foundation
import Hummingbird
import JSONSupport
import Records
import ServerJobs

/// `/api/backups`, `/api/scans`, `/api/updates`: what jobs produced.
struct RecordsController: Sendable {
    let domain: DomainDependencies

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.get("backups", use: listBackups)
        group.get("backups/:id", use: showBackup)
        group.post("backups/:id/verify", use: verifyBackup)
        group.post("backups/:id/restore", use: restoreBackup)
        group.delete("backups/:id", use: deleteBackup)
        group.get("scans", use: listScans)
        group.get("scans/:id", use: showScan)
        group.get("updates", use: listUpdates)
        group.get("updates/:id", use: showUpdate)
    }

    struct ScanDetail: Encodable, Sendable {
        var scan: Scan
        var findings: ScanFindings
    }

    @Sendable func listBackups(_ request: Request, context: APIRequestContext) async throws -> APISuccess<PageOf<Backup>> {
        try await list("backup", request, context) { try await domain.backups.list($0, serverId: $1, status: $2) }
    }

    @Sendable func showBackup(_ request: Request, context: APIRequestContext) async throws -> APISuccess<Backup> {
        APISuccess("backup", try await show("backup", context) { try await domain.backups.find(id: $0) })
    }

    /// One page of records, filtered by `serverId` and `status` (viewer).
    private func list<Record: Sendable & Codable>(
        _ noun: String, _ request: Request, _ context: APIRequestContext,
        _ fetch: (Page, UUID?, RecordStatus?) async throws -> PageOf<Record>
    ) async throws -> APISuccess<PageOf<Record>> {
        _ = try context.require(.viewer)
        let (serverId, status) = try filters(request)
        let page = try await fetch(try Paging.page(request), serverId, status)
        return APISuccess("\(page.items.count) \(noun)(s)", page)
    }

    /// The record the path's `:id` names (viewer); 404 when there is none.
    private func show<Record>(_ noun: String, _ context: APIRequestContext, _ find: (UUID) async throws -> Record?) async throws -> Record {
        _ = try context.require(.viewer)
        let id = try Paging.uuid(context, "id")
        guard let record = try await find(id) else { throw APIError.notFound("\(noun) \(id)") }
        return record
    }

    struct RestoreBody: Decodable, Sendable {
        var target: String?
        var allowRootTarget: Bool?
        /// Only these member paths (1-1000, as `GET /api/backups/:id/files` lists them).
        var paths: [String]?
    }

    /// Recomputes the stored archive's SHA-256 and lists it; records the verdict.
    @Sendable func verifyBackup(_ request: Request, context: APIRequestContext) async throws -> APISuccess<Backup> {
        let identity = try context.require(.operator)
        let backup = try await completedBackup(context)
        let slot = try domain.archiveReads.acquire()
        let check = await ArchiveVerifier.verify(backup, in: domain.storage, dataKey: try await domain.dataKey(for: backup))
        withExtendedLifetime(slot) {}
        try await domain.backups.setVerification(id: backup.id, check.verified ? .verified : .failed, error: check.reason)
        try await domain.audit.record(identity, "backup.verify", resource: backup.id.lowercasedString, ["verified": .bool(check.verified)])
        guard let updated = try await domain.backups.find(id: backup.id) else { throw APIError.notFound("backup \(backup.id)") }
        return APISuccess(check.verified ? "backup verified" : "verification failed: \(check.reason ?? "")", updated)
    }

    /// Queues a restore of the archive to a directory on its server (202).
    @Sendable func restoreBackup(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<APISuccess<JobAccepted>> {
        let identity = try context.require(.operator)
        let backup = try await completedBackup(context)
        let body = try await request.decodeJSON(as: RestoreBody.self, context: context)
        // Without a target the job unpacks into a fresh private directory on the server and names
        // it in its result. A given one is checked here for form only: the server resolves it
        // (symlinks, `/proc/self/root`) and refuses `/` without allowRootTarget.
        if let target = body.target {
            do { try ShellArgument.validatePath(target, field: "target") } catch { throw APIError.validation("target", error.message) }
            if URL(fileURLWithPath: target).standardized.path == "/" && body.allowRootTarget != true {
                throw APIError.validation("target", "restoring over / needs allowRootTarget: true")
            }
        }
        if let paths = body.paths { try await BackupFilesController(domain: domain).checkSelection(paths, of: backup) }
        let payload = ServerJobPayload(
            recordId: backup.id.lowercasedString, serverId: backup.serverId.lowercasedString,
            target: body.target, allowRootTarget: body.allowRootTarget, paths: body.paths)
        let jobId = try await domain.dispatcher.enqueue(.restore, recordId: backup.id, jobId: "restore-" + UUID().lowercasedString, payload: payload)
        try await domain.audit.record(
            identity, "backup.restore", resource: backup.id.lowercasedString,
            ["target": body.target.map(JSONValue.string) ?? .null, "paths": .int(Int64(body.paths?.count ?? 0))])
        return EditedResponse(status: .accepted, response: APISuccess("restore queued", JobAccepted(recordId: backup.id, jobId: jobId)))
    }

    /// Deletes the record, then its archive, like retention: through `BackupStorage.removeArchive`,
    /// which deletes nothing outside `BACKUP_DIR` and no file another row names.
    @Sendable func deleteBackup(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JSONValue> {
        let identity = try context.require(.operator)
        let id = try Paging.uuid(context, "id")
        guard let backup = try await domain.backups.find(id: id) else { throw APIError.notFound("backup \(id)") }
        if backup.status == .running {
            throw APIError(.conflict, code: "backup_running", "backup \(id) is running; delete it once it has finished")
        }
        guard try await domain.backups.delete(id: id) else { throw APIError.notFound("backup \(id)") }
        let removal = await domain.storage.removeArchive(of: backup, backups: domain.backups, logger: context.logger)
        var details: [String: JSONValue] = ["fileRemoved": .bool(removal.fileRemoved)]
        if case .kept(let reason) = removal { details["fileKept"] = .string(reason) }
        try await domain.audit.record(identity, "backup.delete", resource: id.lowercasedString, .object(details))
        details["id"] = .string(id.lowercasedString)
        return APISuccess(removal.fileRemoved || removal == .missing ? "backup deleted" : "backup deleted; its archive was left in place", .object(details))
    }

    private func completedBackup(_ context: APIRequestContext) async throws -> Backup {
        let id = try Paging.uuid(context, "id")
        guard let backup = try await domain.backups.find(id: id) else { throw APIError.notFound("backup \(id)") }
        guard backup.status == .completed, backup.filePath != nil, backup.sha256 != nil else {
            throw APIError(.conflict, code: "backup_not_completed", "backup \(id) has no completed archive yet")
        }
        return backup
    }

    @Sendable func listScans(_ request: Request, context: APIRequestContext) async throws -> APISuccess<PageOf<Scan>> {
        try await list("scan", request, context) { try await domain.scans.list($0, serverId: $1, status: $2) }
    }

    @Sendable func showScan(_ request: Request, context: APIRequestContext) async throws -> APISuccess<ScanDetail> {
        let scan = try await show("scan", context) { try await domain.scans.find(id: $0) }
        return APISuccess("scan", ScanDetail(scan: scan, findings: try await domain.scans.findings(scanId: scan.id)))
    }

    @Sendable func listUpdates(_ request: Request, context: APIRequestContext) async throws -> APISuccess<PageOf<Update>> {
        try await list("update", request, context) { try await domain.updates.list($0, serverId: $1, status: $2) }
    }

    @Sendable func showUpdate(_ request: Request, context: APIRequestContext) async throws -> APISuccess<Update> {
        APISuccess("update", try await show("update", context) { try await domain.updates.find(id: $0) })
    }

    private func filters(_ request: Request) throws -> (UUID?, RecordStatus?) {
        let parameters = request.uri.queryParameters
        let serverId = try Paging.queryUUID(request, "serverId")
        var status: RecordStatus?
        if let text = parameters["status"].map(String.init) {
            guard let value = RecordStatus(rawValue: text) else {
                throw APIError.validation("status", "status must be pending, running, completed or failed")
            }
            status = value
        }
        return (serverId, status)
    }
}
