public import Foundation
public import JSONSupport
import PostgresClient

/// How many backups a schedule keeps: the newest `keepLast`, plus the newest of each of the last
/// `daily` days, `weekly` weeks and `monthly` months.
public struct RetentionPolicy: Sendable, Codable, Equatable {
    public var keepLast: Int?
    public var daily: Int?
    public var weekly: Int?
    public var monthly: Int?

    public init(keepLast: Int? = nil, daily: Int? = nil, weekly: Int? = nil, monthly: Int? = nil) {
        self.keepLast = keepLast
        self.daily = daily
        self.weekly = weekly
        self.monthly = monthly
    }
}

/// How often a schedule proves its backups restore: a drill every `everyBackups` completed
/// backups and/or every `everyDays` days, on the backup's server or on `serverId` (a drill host).
public struct RestoreDrillPolicy: Sendable, Codable, Equatable {
    public var everyBackups: Int?
    public var everyDays: Int?
    @LowercaseOptionalUUID public var serverId: UUID?

    public init(everyBackups: Int? = nil, everyDays: Int? = nil, serverId: UUID? = nil) {
        self.everyBackups = everyBackups
        self.everyDays = everyDays
        self.serverId = serverId
    }

    public var isEnabled: Bool { everyBackups != nil || everyDays != nil }
}

/// A schedule: the definition it was created or last replaced with, and what the platform keeps
/// about its runs. Both read as the schedule's own fields (`schedule.cron`, `schedule.lastRunAt`),
/// and the API and the row show them as one flat object.
@dynamicMemberLookup
public struct BackupSchedule: Sendable, Equatable {
    public var definition: ScheduleDefinition
    public var bookkeeping: Bookkeeping

    public struct Bookkeeping: Sendable, Codable, Equatable {
        @LowercaseUUID public var id: UUID
        public var lastRunAt: Date?
        public var nextRunAt: Date?
        public var lastStatus: String?
        public var lastError: String?
        /// Occurrences missed while no scheduler ran; only the latest of each gap ran.
        public var skippedRuns: Int64 = 0
        public var lastSkippedAt: Date?
        public var createdAt: Date
        public var updatedAt: Date
    }

    static let columns = """
        id, server_id, cron, timezone, paths, exclusions, compression, backup_type, full_every_days,
        json_build_object('keepLast', keep_last, 'daily', keep_daily, 'weekly', keep_weekly, 'monthly', keep_monthly) AS retention,
        json_build_object('everyBackups', drill_every_backups, 'everyDays', drill_every_days, 'serverId', drill_server_id) AS drill,
        enabled, last_run_at, next_run_at, last_status, last_error, skipped_runs, last_skipped_at, created_at, updated_at
        """

    /// A new schedule as its row starts out (the fast test tier's stores make them).
    public init(id: UUID = UUID(), _ definition: ScheduleDefinition, nextRunAt: Date?, at date: Date = Date()) {
        self.definition = definition
        bookkeeping = Bookkeeping(id: id, nextRunAt: nextRunAt, createdAt: date, updatedAt: date)
    }

    public subscript<Value>(dynamicMember field: WritableKeyPath<ScheduleDefinition, Value>) -> Value {
        get { definition[keyPath: field] }
        set { definition[keyPath: field] = newValue }
    }

    public subscript<Value>(dynamicMember field: WritableKeyPath<Bookkeeping, Value>) -> Value {
        get { bookkeeping[keyPath: field] }
        set { bookkeeping[keyPath: field] = newValue }
    }

    /// The metadata a backup of this schedule starts with: the occurrence's, plus what the schedule asks for.
    public func backupMetadata(_ occurrence: JSONValue) -> JSONValue {
        guard case .object(var fields) = occurrence else { return occurrence }
        fields["requestedType"] = .string(definition.backupType.rawValue)
        if let days = definition.fullEveryDays { fields["fullEveryDays"] = .int(Int64(days)) }
        return .object(fields)
    }
}

extension BackupSchedule: Codable {
    public init(from decoder: any Decoder) throws {
        definition = try ScheduleDefinition(from: decoder)
        bookkeeping = try Bookkeeping(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try definition.encode(to: encoder)
        try bookkeeping.encode(to: encoder)
    }
}

/// The fields a schedule is created or replaced with.
public struct ScheduleDefinition: Sendable, Codable, Equatable {
    @LowercaseUUID public var serverId: UUID
    public var cron: String
    public var timezone: String
    public var paths: [String]
    public var exclusions: [String]
    public var compression: Compression
    /// full, or incremental with a full backup every `fullEveryDays` days (or when the chain breaks).
    public var backupType: BackupType
    public var fullEveryDays: Int?
    public var retention: RetentionPolicy
    public var drill: RestoreDrillPolicy
    public var enabled: Bool

    public init(
        serverId: UUID, cron: String, timezone: String = "UTC", paths: [String], exclusions: [String] = [],
        compression: Compression = .gzip, backupType: BackupType = .full, fullEveryDays: Int? = nil,
        retention: RetentionPolicy = RetentionPolicy(), drill: RestoreDrillPolicy = RestoreDrillPolicy(), enabled: Bool = true
    ) {
        self.drill = drill
        self.backupType = backupType
        self.fullEveryDays = fullEveryDays
        self.serverId = serverId
        self.cron = cron
        self.timezone = timezone
        self.paths = paths
        self.exclusions = exclusions
        self.compression = compression
        self.retention = retention
        self.enabled = enabled
    }
}

extension BackupSchedule: RowRecord {}
