import Foundation
import Hummingbird
import JSONSupport
import Records
import ServerJobs

/// `/api/drills` and `POST /api/backups/:id/drill`: restore drills, proof that a backup restores
/// to what its file list says.
struct DrillsController: Sendable {
    let domain: DomainDependencies

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.post("backups/:id/drill", use: startDrill)
        group.get("drills", use: listDrills)
        group.get("drills/:id", use: showDrill)
    }

    struct DrillBody: Decodable, Sendable {
        /// A drill host to restore on instead of the backup's own server.
        var serverId: String?
    }

    /// Queues a drill of a completed backup (202); the body is optional. Restoring on another
    /// server (`serverId`) hands it this server's files, so it takes an admin; 409 while a drill of
    /// the backup is queued or running.
    @Sendable func startDrill(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<APISuccess<JobAccepted>> {
        let identity = try context.require(.operator)
        let id = try Paging.uuid(context, "id")
        let body = try await request.decodeOptionalJSON(as: DrillBody.self, context: context)
        guard let backup = try await domain.backups.find(id: id) else { throw APIError.notFound("backup \(id.lowercasedString)") }
        guard backup.status == .completed, backup.filePath != nil, backup.sha256 != nil else {
            throw APIError(.conflict, code: "backup_not_completed", "backup \(id.lowercasedString) has no completed archive to drill")
        }
        if body?.serverId != nil, identity.role != .admin {
            throw APIError(.forbidden, code: "forbidden", "restoring a drill on another server (serverId) needs the admin role")
        }
        let host = try await drillHost(body?.serverId, field: "serverId")
        let drill = try await domain.backups.drills.create(serverId: backup.serverId, backupId: backup.id, drillServerId: host)
        let jobId = try await domain.dispatcher.enqueue(.drill, recordId: drill.id, serverId: backup.serverId)
        try await domain.audit.record(
            identity, "backup.drill", resource: backup.id.lowercasedString,
            ["drillId": .string(drill.id.lowercasedString), "drillServerId": host.map { .string($0.lowercasedString) } ?? .null])
        return EditedResponse(status: .accepted, response: APISuccess("restore drill queued", JobAccepted(recordId: drill.id, jobId: jobId)))
    }

    /// A drill host named in a request: a UUID of an existing server, or nil.
    func drillHost(_ text: String?, field: String) async throws -> UUID? {
        guard let text else { return nil }
        guard let id = UUID(uuidString: text) else { throw APIError.validation(field, "\(field) must be a server's UUID") }
        try await domain.requireServer(id, field: field)
        return id
    }

    @Sendable func listDrills(_ request: Request, context: APIRequestContext) async throws -> APISuccess<PageOf<RestoreDrill>> {
        _ = try context.require(.viewer)
        var status: RestoreDrillStatus?
        if let text = request.uri.queryParameters["status"].map(String.init) {
            guard let value = RestoreDrillStatus(rawValue: text) else { throw APIError.validation("status", "status must be queued, running, passed or failed") }
            status = value
        }
        let page = try await domain.backups.drills.list(
            try Paging.page(request), serverId: try Paging.queryUUID(request, "serverId"),
            backupId: try Paging.queryUUID(request, "backupId"),
            scheduleId: try Paging.queryUUID(request, "scheduleId"), status: status)
        return APISuccess("\(page.items.count) restore drill(s)", page)
    }

    @Sendable func showDrill(_ request: Request, context: APIRequestContext) async throws -> APISuccess<RestoreDrill> {
        _ = try context.require(.viewer)
        let id = try Paging.uuid(context, "id")
        guard let drill = try await domain.backups.drills.find(id: id) else { throw APIError.notFound("restore drill \(id.lowercasedString)") }
        return APISuccess("restore drill", drill)
    }

}
