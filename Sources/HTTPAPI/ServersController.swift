import Foundation
import Hummingbird
import JSONSupport
import Records
import ServerJobs
import SSHClient

/// `/api/servers`: servers (credentials write-only), connection tests, and starting backups,
/// scans and updates (202 with the record id and job id).
struct ServersController: Sendable {
    let domain: DomainDependencies

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.get("servers", use: list)
        group.post("servers", use: create)
        group.get("servers/:id", use: show)
        group.patch("servers/:id", use: update)
        group.put("servers/:id", use: update)
        group.delete("servers/:id", use: remove)
        group.post("servers/:id/test", use: test)
        group.post("servers/:id/backup", use: backup)
        group.post("servers/:id/scan", use: scan)
        group.post("servers/:id/update", use: startUpdate)
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> APISuccess<PageOf<Server>> {
        _ = try context.require(.viewer)
        let page = try Paging.page(request)
        let servers = try await domain.servers.list(page, tag: request.uri.queryParameters["tag"].map(String.init))
        return APISuccess("\(servers.items.count) server(s)", servers)
    }

    @Sendable func create(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<APISuccess<Server>> {
        let identity = try context.require(.admin)
        let body = try await request.decodeJSON(as: CreateServerRequest.self, context: context)
        let server = try await domain.servers.create(try body.validated())
        try await domain.audit.record(identity, "server.create", resource: server.id.lowercasedString, ["name": .string(server.name)])
        let message =
            server.authType == .password && server.hostKeyFingerprint == nil
            ? "server \(server.name) created; it gets no password until its host key is pinned: test the connection, check the key it shows on the server, then PATCH hostKeyFingerprint"
            : "server \(server.name) created"
        return EditedResponse(status: .created, response: APISuccess(message, server))
    }

    @Sendable func show(_ request: Request, context: APIRequestContext) async throws -> APISuccess<Server> {
        _ = try context.require(.viewer)
        return APISuccess("server", try await server(context))
    }

    @Sendable func update(_ request: Request, context: APIRequestContext) async throws -> APISuccess<Server> {
        let identity = try context.require(.admin)
        let id = try Paging.uuid(context, "id")
        let (body, authType) = try await request.decodeJSON(as: UpdateServerRequest.self, context: context).validated()
        let updated = try await domain.servers.update(
            id: id, name: body.name, host: body.host, port: body.port, username: body.username, authType: authType,
            credential: body.credential, tags: body.tags, description: body.description, hostKeyFingerprint: body.hostKeyFingerprint)
        var details: [String: JSONValue] = ["credentialChanged": .bool(body.credential != nil)]
        if let pinned = body.hostKeyFingerprint { details["hostKeyPinned"] = .string(pinned) }
        try await domain.audit.record(identity, "server.update", resource: id.lowercasedString, .object(details))
        return APISuccess("server \(updated.name) updated", updated)
    }

    @Sendable func remove(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JSONValue> {
        let identity = try context.require(.admin)
        let id = try Paging.uuid(context, "id")
        guard try await domain.servers.delete(id: id) else { throw APIError.notFound("server \(id)") }
        try await domain.audit.record(identity, "server.delete", resource: id.lowercasedString)
        return APISuccess("server deleted", ["id": .string(id.lowercasedString)])
    }

    @Sendable func test(_ request: Request, context: APIRequestContext) async throws -> APISuccess<ConnectionTestResult> {
        let identity = try context.require(.operator)
        let id = try Paging.uuid(context, "id")
        // The row and its credential in one read; a database outage is the API's 503, not a failed test.
        guard let found = try await domain.servers.connectable(id: id) else { throw APIError.notFound("server \(id)") }
        let server = found.server
        let session: SSHSession
        do {
            session = try await domain.connector.connect(found)
        } catch {
            // The test ran and has an answer: the server is not reachable with these settings.
            try await domain.servers.recordCheck(id: server.id, online: false, error: error.message)
            try await domain.audit.record(identity, "server.test", resource: server.id.lowercasedString, outcome: .failure)
            let outcome = error.connectionOutcome ?? (error.code == .authentication ? .authFailed : .other)
            return APISuccess(
                "could not connect to \(server.name)",
                ConnectionTestResult(
                    reachable: false, outcome: outcome.rawValue, message: error.message, hostKeyFingerprint: error.presentedHostKey, pinned: false))
        }
        let fingerprint = await session.hostKeyFingerprint
        await session.close()
        try await domain.servers.recordCheck(id: server.id, online: true, error: nil)
        try await domain.audit.record(identity, "server.test", resource: server.id.lowercasedString)
        return APISuccess(
            "connected to \(server.name)",
            ConnectionTestResult(
                reachable: true, outcome: SSHConnectionOutcome.ok.rawValue, message: nil, hostKeyFingerprint: fingerprint,
                pinned: server.hostKeyFingerprint == nil))
    }

    @Sendable func backup(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<APISuccess<JobAccepted>> {
        try await start(request, context, as: BackupRequestBody.self, audit: "backup.start") { server, request in
            let body = try request.validated()
            let (record, jobId) = try await domain.launcher.startBackup(
                serverId: server.id, paths: body.paths, exclusions: body.exclusions,
                compression: body.compression, type: try request.requestedType())
            return JobStart(recordId: record.id, jobId: jobId, message: "backup queued", details: ["serverId": .string(server.id.lowercasedString)])
        }
    }

    @Sendable func scan(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<APISuccess<JobAccepted>> {
        try await start(request, context, as: ScanRequestBody.self, audit: "scan.start") { server, body in
            guard let type = ScanType(rawValue: body.scanType ?? "quick") else {
                throw APIError.validation("scanType", "scanType must be quick, full, services or filesystems")
            }
            let (record, jobId) = try await domain.launcher.startScan(serverId: server.id, type: type)
            return JobStart(recordId: record.id, jobId: jobId, message: "scan queued", details: ["serverId": .string(server.id.lowercasedString)])
        }
    }

    @Sendable func startUpdate(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<APISuccess<JobAccepted>> {
        try await start(request, context, as: UpdateRequestBody.self, audit: "update.start") { server, body in
            guard let mode = UpdateMode(rawValue: body.mode ?? "check") else { throw APIError.validation("mode", "mode must be check or apply") }
            let (record, jobId) = try await domain.launcher.startUpdate(serverId: server.id, mode: mode)
            return JobStart(recordId: record.id, jobId: jobId, message: "update \(mode.rawValue) queued", details: ["mode": .string(mode.rawValue)])
        }
    }

    /// A job started on a server: its record and job, the answer's message and what the audit entry notes.
    private struct JobStart {
        var recordId: UUID
        var jobId: String
        var message: String
        var details: [String: JSONValue]
    }

    /// Starts a job on the path's server (operators): decodes the body, lets `launch` queue the
    /// job, audits the start as `action`, and answers 202 with the record and job ids.
    private func start<Body: Decodable>(
        _ request: Request, _ context: APIRequestContext, as body: Body.Type, audit action: String,
        _ launch: (Server, Body) async throws -> JobStart
    ) async throws -> EditedResponse<APISuccess<JobAccepted>> {
        let identity = try context.require(.operator)
        let server = try await server(context)
        let started = try await launch(server, try await request.decodeJSON(as: Body.self, context: context))
        try await domain.audit.record(identity, action, resource: started.recordId.lowercasedString, .object(started.details))
        return EditedResponse(status: .accepted, response: APISuccess(started.message, JobAccepted(recordId: started.recordId, jobId: started.jobId)))
    }

    private func server(_ context: APIRequestContext) async throws -> Server {
        let id = try Paging.uuid(context, "id")
        guard let server = try await domain.servers.find(id: id) else { throw APIError.notFound("server \(id)") }
        return server
    }
}

/// Query and path parameter helpers shared by the controllers.
enum Paging {
    static func page(_ request: Request) throws -> Page {
        let parameters = request.uri.queryParameters
        let limit = try JobsController.integer(parameters["limit"].map(String.init), name: "limit", default: 50, range: 1...200)
        let offset = try JobsController.integer(parameters["offset"].map(String.init), name: "offset", default: 0, range: 0...10_000_000)
        return Page(limit: limit, offset: offset)
    }

    /// An optional UUID query parameter; present but malformed is a 400 naming it.
    static func queryUUID(_ request: Request, _ name: String) throws -> UUID? {
        guard let text = request.uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        guard let id = UUID(uuidString: text) else { throw APIError.validation(name, "\(name) must be a UUID") }
        return id
    }

    static func uuid(_ context: APIRequestContext, _ name: String) throws -> UUID {
        let text = try context.parameters.require(name)
        guard let id = UUID(uuidString: text) else { throw APIError.validation(name, "\(name) must be a UUID") }
        return id
    }
}
