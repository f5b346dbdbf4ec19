import Foundation
import Hummingbird
import JSONSupport
import Records

/// `/api/backups`, `/api/scans`, `/api/updates`: what jobs produced.
struct RecordsController: Sendable {
    let domain: DomainDependencies

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.get("backups", use: listBackups)
        group.get("backups/:id", use: showBackup)
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
        _ = try context.require(.viewer)
        let (serverId, status) = try filters(request)
        let page = try await domain.backups.list(try Paging.page(request), serverId: serverId, status: status)
        return APISuccess("\(page.items.count) backup(s)", page)
    }

    @Sendable func showBackup(_ request: Request, context: APIRequestContext) async throws -> APISuccess<Backup> {
        _ = try context.require(.viewer)
        let id = try Paging.uuid(context, "id")
        guard let backup = try await domain.backups.find(id: id) else { throw APIError.notFound("backup \(id)") }
        return APISuccess("backup", backup)
    }

    @Sendable func listScans(_ request: Request, context: APIRequestContext) async throws -> APISuccess<PageOf<Scan>> {
        _ = try context.require(.viewer)
        let (serverId, status) = try filters(request)
        let page = try await domain.scans.list(try Paging.page(request), serverId: serverId, status: status)
        return APISuccess("\(page.items.count) scan(s)", page)
    }

    @Sendable func showScan(_ request: Request, context: APIRequestContext) async throws -> APISuccess<ScanDetail> {
        _ = try context.require(.viewer)
        let id = try Paging.uuid(context, "id")
        guard let scan = try await domain.scans.find(id: id) else { throw APIError.notFound("scan \(id)") }
        return APISuccess("scan", ScanDetail(scan: scan, findings: try await domain.scans.findings(scanId: id)))
    }

    @Sendable func listUpdates(_ request: Request, context: APIRequestContext) async throws -> APISuccess<PageOf<Update>> {
        _ = try context.require(.viewer)
        let (serverId, status) = try filters(request)
        let page = try await domain.updates.list(try Paging.page(request), serverId: serverId, status: status)
        return APISuccess("\(page.items.count) update(s)", page)
    }

    @Sendable func showUpdate(_ request: Request, context: APIRequestContext) async throws -> APISuccess<Update> {
        _ = try context.require(.viewer)
        let id = try Paging.uuid(context, "id")
        guard let update = try await domain.updates.find(id: id) else { throw APIError.notFound("update \(id)") }
        return APISuccess("update", update)
    }

    private func filters(_ request: Request) throws -> (UUID?, RecordStatus?) {
        let parameters = request.uri.queryParameters
        var serverId: UUID?
        if let text = parameters["serverId"].map(String.init) {
            guard let id = UUID(uuidString: text) else { throw APIError.validation("serverId", "serverId must be a UUID") }
            serverId = id
        }
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
