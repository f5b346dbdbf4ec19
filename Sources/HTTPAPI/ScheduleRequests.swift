import Foundation
import JobQueue
import Records

/// `POST /api/schedules` and `PUT|PATCH /api/schedules/:id` body; for PATCH every field is optional.
struct ScheduleBody: Decodable, Sendable {
    /// Restore drills: every `everyBackups` completed backups and/or every `everyDays` days, on
    /// the backup's server or on `serverId`. `{}` turns drills off.
    struct Drill: Decodable, Sendable {
        var everyBackups: Int?
        var everyDays: Int?
        var serverId: String?
    }

    var serverId: String?
    var cron: String?
    var timezone: String?
    var paths: [String]?
    var exclusions: [String]?
    var compression: String?
    var backupType: String?
    var fullEveryDays: Int?
    var retention: RetentionPolicy?
    var drill: Drill?
    var enabled: Bool?

    /// The definition this body describes, on top of `current` (PATCH) or from scratch.
    func definition(over current: ScheduleDefinition?) throws -> (ScheduleDefinition, ScheduleTiming) {
        guard let serverText = serverId ?? current?.serverId.uuidString else { throw APIError.validation("serverId", "serverId is required") }
        guard let server = UUID(uuidString: serverText) else { throw APIError.validation("serverId", "serverId must be a UUID") }
        guard let cron = cron ?? current?.cron else { throw APIError.validation("cron", "cron is required, e.g. \"30 2 * * *\" or \"@daily\"") }
        let timezone = timezone ?? current?.timezone ?? "UTC"
        let timing: ScheduleTiming
        do { timing = try ScheduleTiming(cron: cron, timezone: timezone) } catch { throw APIError.validation(error.field, error.message) }
        guard let paths = paths ?? current?.paths else { throw APIError.validation("paths", "paths is required: 1 to 100 absolute paths") }
        let backup = try BackupRequestBody(
            paths: paths, exclusions: exclusions ?? current?.exclusions,
            compression: compression ?? current?.compression.rawValue
        ).validated()
        let retention = try self.retention.map(Self.validated) ?? current?.retention ?? RetentionPolicy()
        guard let type = BackupType(rawValue: backupType ?? current?.backupType.rawValue ?? "full") else {
            throw APIError.validation("backupType", "backupType must be full or incremental")
        }
        let fullEvery = fullEveryDays ?? current?.fullEveryDays
        if let fullEvery, !(1...366).contains(fullEvery) { throw APIError.validation("fullEveryDays", "fullEveryDays must be 1 to 366") }
        let definition = ScheduleDefinition(
            serverId: server, cron: timing.expression, timezone: timezone,
            paths: backup.paths, exclusions: backup.exclusions, compression: backup.compression,
            backupType: type, fullEveryDays: fullEvery, retention: retention,
            drill: try drill.map(Self.validated) ?? current?.drill ?? RestoreDrillPolicy(),
            enabled: enabled ?? current?.enabled ?? true)
        return (definition, timing)
    }

    static func validated(_ drill: Drill) throws -> RestoreDrillPolicy {
        if let every = drill.everyBackups, !(1...1000).contains(every) { throw APIError.validation("drill.everyBackups", "drill.everyBackups must be 1 to 1000") }
        if let every = drill.everyDays, !(1...366).contains(every) { throw APIError.validation("drill.everyDays", "drill.everyDays must be 1 to 366") }
        var host: UUID?
        if let text = drill.serverId {
            guard let id = UUID(uuidString: text) else { throw APIError.validation("drill.serverId", "drill.serverId must be a server's UUID") }
            host = id
        }
        return RestoreDrillPolicy(everyBackups: drill.everyBackups, everyDays: drill.everyDays, serverId: host)
    }

    static func validated(_ retention: RetentionPolicy) throws -> RetentionPolicy {
        for (name, value) in [("keepLast", retention.keepLast), ("daily", retention.daily), ("weekly", retention.weekly), ("monthly", retention.monthly)] {
            if let value, !(1...1000).contains(value) { throw APIError.validation("retention.\(name)", "retention.\(name) must be 1 to 1000") }
        }
        return retention
    }
}

/// A schedule as the API shows it: its fields plus its next three run times.
struct ScheduleResource: Encodable, Sendable {
    let schedule: BackupSchedule
    let nextRuns: [Date]

    enum CodingKeys: String, CodingKey { case nextRuns }

    func encode(to encoder: any Encoder) throws {
        try schedule.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(nextRuns, forKey: .nextRuns)
    }
}
