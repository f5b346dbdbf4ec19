package import Foundation
package import Records
package import ServerJobs

/// The records, queues and SSH access the domain routes work with.
package struct DomainDependencies: Sendable {
    package var servers: ServerRepository
    package var backups: BackupRepository
    package var schedules: BackupScheduleRepository
    package var scans: ScanRepository
    package var updates: UpdateRepository
    package var audit: AuditLogRepository
    package var dispatcher: ServerJobDispatcher
    package var connector: ServerConnector
    /// `BACKUP_DIR`: every archive the API reads or deletes is resolved through it.
    package var storage: BackupStorage
    package var users: UserRepository
    /// Issues login JWTs; nil disables `POST /api/auth/login`.
    package var sessions: SessionTokens?
    /// The authenticator's cache; emptied when a user or token changes here.
    package var identityCache: IdentityCache?
    /// Login attempts per client and username; nil: unlimited (tests that log in many times).
    package var loginThrottle: LoginThrottle?
    /// Webhooks and their deliveries; nil serves no `/api/webhooks`.
    package var webhooks: WebhookDependencies?
    /// Opens sealed archives for verify, browse and download; nil: such archives are refused.
    package var archiveKeys: ArchiveKeys?
    /// Bounds the archive reads (verify, download) this process runs at once.
    package var archiveReads = ArchiveReadSlots()
    /// Bounds the file lists composed at once (browse, diff, selective restore): each holds a
    /// chain's manifests and its tree in memory, and any viewer may ask.
    package var treeBuilds = ArchiveReadSlots(limit: 2, what: "file-list reads")
    /// The time schedules' next runs and "run now" occurrences are counted from; tests fix it.
    package var clock: @Sendable () -> Date = { Date() }

    package init(
        servers: ServerRepository, backups: BackupRepository, schedules: BackupScheduleRepository, scans: ScanRepository, updates: UpdateRepository,
        audit: AuditLogRepository, dispatcher: ServerJobDispatcher, connector: ServerConnector, storage: BackupStorage, users: UserRepository,
        sessions: SessionTokens?, identityCache: IdentityCache? = nil, loginThrottle: LoginThrottle? = nil,
        webhooks: WebhookDependencies? = nil, archiveKeys: ArchiveKeys? = nil
    ) {
        self.webhooks = webhooks
        self.archiveKeys = archiveKeys
        self.loginThrottle = loginThrottle
        self.storage = storage
        self.identityCache = identityCache
        self.users = users
        self.sessions = sessions
        self.servers = servers
        self.backups = backups
        self.schedules = schedules
        self.scans = scans
        self.updates = updates
        self.audit = audit
        self.dispatcher = dispatcher
        self.connector = connector
    }
}

extension DomainDependencies {
    /// Records and their jobs, started together.
    package var launcher: ServerJobLauncher {
        ServerJobLauncher(dispatcher: dispatcher, backups: backups, scans: scans, updates: updates)
    }
}
