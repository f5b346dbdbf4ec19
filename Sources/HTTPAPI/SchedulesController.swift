import Foundation
import Hummingbird
import JSONSupport
import JobQueue
import Records
import ServerJobs

/// `/api/schedules`: durable cron schedules of backups; `POST /api/schedules/:id/run` runs one now.
struct SchedulesController: Sendable {
    let domain: DomainDependencies

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.get("schedules", use: list)
        group.post("schedules", use: create)
        group.get("schedules/:id", use: show)
        group.put("schedules/:id", use: replace)
        group.patch("schedules/:id", use: change)
        group.delete("schedules/:id", use: remove)
        group.post("schedules/:id/run", use: runNow)
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> APISuccess<PageOf<BackupSchedule>> {
        _ = try context.require(.viewer)
        let serverId = try Paging.queryUUID(request, "serverId")
        return APISuccess("schedules", try await domain.schedules.list(try Paging.page(request), serverId: serverId))
    }

    @Sendable func show(_ request: Request, context: APIRequestContext) async throws -> APISuccess<ScheduleResource> {
        _ = try context.require(.viewer)
        let schedule = try await find(context)
        return APISuccess("schedule \(schedule.id.lowercasedString)", try resource(schedule))
    }

    @Sendable func create(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<APISuccess<ScheduleResource>> {
        let identity = try context.require(.admin)
        let (definition, timing) = try await request.decodeJSON(as: ScheduleBody.self, context: context).definition(over: nil)
        try await domain.requireServer(definition.serverId, field: "serverId")
        if let host = definition.drill.serverId { try await domain.requireServer(host, field: "drill.serverId") }
        let schedule = try await domain.schedules.create(definition, nextRunAt: timing.nextRuns(after: domain.clock(), count: 1).first)
        try await domain.audit.record(
            identity, "schedule.create", resource: schedule.id.lowercasedString,
            ["cron": .string(schedule.cron), "timezone": .string(schedule.timezone)])
        return EditedResponse(status: .created, response: APISuccess("schedule created", try resource(schedule)))
    }

    @Sendable func replace(_ request: Request, context: APIRequestContext) async throws -> APISuccess<ScheduleResource> {
        try await edit(request, context: context, partial: false)
    }

    @Sendable func change(_ request: Request, context: APIRequestContext) async throws -> APISuccess<ScheduleResource> {
        try await edit(request, context: context, partial: true)
    }

    /// The next run is computed again from now, so a schedule enabled after a pause does not
    /// catch up on what it missed while disabled.
    private func edit(_ request: Request, context: APIRequestContext, partial: Bool) async throws -> APISuccess<ScheduleResource> {
        let identity = try context.require(.admin)
        let current = try await find(context)
        let body = try await request.decodeJSON(as: ScheduleBody.self, context: context)
        let (definition, timing) = try body.definition(over: partial ? current.definition : nil)
        if definition.serverId != current.serverId { try await domain.requireServer(definition.serverId, field: "serverId") }
        if let host = definition.drill.serverId, host != current.drill.serverId { try await domain.requireServer(host, field: "drill.serverId") }
        let schedule = try await domain.schedules.replace(id: current.id, with: definition, nextRunAt: timing.nextRuns(after: domain.clock(), count: 1).first)
        try await domain.audit.record(
            identity, "schedule.update", resource: schedule.id.lowercasedString,
            [
                "cron": .string(schedule.cron), "enabled": .bool(schedule.enabled),
                "drillServerId": schedule.drill.serverId.map { .string($0.lowercasedString) } ?? .null,
            ])
        return APISuccess("schedule updated", try resource(schedule))
    }

    @Sendable func remove(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JSONValue> {
        let identity = try context.require(.admin)
        let id = try Paging.uuid(context, "id")
        guard try await domain.schedules.delete(id: id) else { throw APIError.notFound("schedule \(id)") }
        try await domain.audit.record(identity, "schedule.delete", resource: id.lowercasedString)
        return APISuccess("schedule deleted; its backups stay", ["id": .string(id.lowercasedString)])
    }

    /// Runs the schedule's backup now, as one of its own (its retention applies).
    @Sendable func runNow(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<APISuccess<JobAccepted>> {
        let identity = try context.require(.operator)
        let schedule = try await find(context)
        let now = Date(timeIntervalSince1970: domain.clock().timeIntervalSince1970.rounded(.down))
        let (backup, _) = try await domain.backups.createScheduled(
            id: ScheduleRunID.make(scheduleId: schedule.id, dueAt: now), schedule: schedule, dueAt: now,
            metadata: ["trigger": "run-now", "requestedBy": .string(identity.username)])
        let jobId = try await domain.launcher.enqueueScheduled(backup)
        try await domain.audit.record(
            identity, "schedule.run", resource: schedule.id.lowercasedString,
            ["backupId": .string(backup.id.lowercasedString)])
        return EditedResponse(status: .accepted, response: APISuccess("scheduled backup queued", JobAccepted(recordId: backup.id, jobId: jobId)))
    }

    private func find(_ context: APIRequestContext) async throws -> BackupSchedule {
        let id = try Paging.uuid(context, "id")
        guard let schedule = try await domain.schedules.find(id: id) else { throw APIError.notFound("schedule \(id)") }
        return schedule
    }

    private func resource(_ schedule: BackupSchedule) throws -> ScheduleResource {
        let timing = try? ScheduleTiming(cron: schedule.cron, timezone: schedule.timezone)
        return ScheduleResource(schedule: schedule, nextRuns: timing?.nextRuns(after: domain.clock(), count: 3) ?? [])
    }
}
