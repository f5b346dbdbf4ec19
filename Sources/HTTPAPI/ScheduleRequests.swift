import Foundation
import Records
import Scheduling

/// `POST /api/schedules` and `PUT|PATCH /api/schedules/:id` body; for PATCH every field is optional.
struct ScheduleBody: Decodable, Sendable {
    struct Retention: Decodable, Sendable {
        var keepLast: Int?
        var daily: Int?
        var weekly: Int?
        var monthly: Int?
    }

    var serverId: String?
    var cron: String?
    var timezone: String?
    var paths: [String]?
    var exclusions: [String]?
    var compression: String?
    var backupType: String?
    var fullEveryDays: Int?
    var retention: Retention?
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
        let backup = try BackupRequestBody(paths: paths, exclusions: exclusions ?? current?.exclusions,
                                           compression: compression ?? current?.compression.rawValue).validated()
        let retention = try self.retention.map(Self.validated) ?? current?.retention ?? RetentionPolicy()
        guard let type = BackupType(rawValue: backupType ?? current?.backupType.rawValue ?? "full") else {
            throw APIError.validation("backupType", "backupType must be full or incremental")
        }
        let fullEvery = fullEveryDays ?? current?.fullEveryDays
        if let fullEvery, !(1...366).contains(fullEvery) { throw APIError.validation("fullEveryDays", "fullEveryDays must be 1 to 366") }
        let definition = ScheduleDefinition(serverId: server, cron: timing.expression, timezone: timezone,
                                            paths: backup.paths, exclusions: backup.exclusions, compression: backup.compression,
                                            backupType: type, fullEveryDays: fullEvery, retention: retention, enabled: enabled ?? current?.enabled ?? true)
        return (definition, timing)
    }

    static func validated(_ retention: Retention) throws -> RetentionPolicy {
        for (name, value) in [("keepLast", retention.keepLast), ("daily", retention.daily), ("weekly", retention.weekly), ("monthly", retention.monthly)] {
            if let value, !(1...1000).contains(value) { throw APIError.validation("retention.\(name)", "retention.\(name) must be 1 to 1000") }
        }
        return RetentionPolicy(keepLast: retention.keepLast, daily: retention.daily, weekly: retention.weekly, monthly: retention.monthly)
    }
}

extension ScheduleDefinition {
    init(_ schedule: BackupSchedule) {
        self.init(serverId: schedule.serverId, cron: schedule.cron, timezone: schedule.timezone, paths: schedule.paths,
                  exclusions: schedule.exclusions, compression: schedule.compression, backupType: schedule.backupType,
                  fullEveryDays: schedule.fullEveryDays, retention: schedule.retention, enabled: schedule.enabled)
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
