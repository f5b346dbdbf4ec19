import HTTPAPI
import Logging
import Notifications
import Records
import ServerJobs
import Tracing

/// The composition root: every repository, the job dispatcher, archive storage and keys and the
/// SSH connector, built once per process from its resources. The HTTP layer's
/// `DomainDependencies` and the job processor's `Dependencies` are views of it, so each part is
/// wired in one place.
public struct PlatformServices: Sendable {
    public let resources: PlatformResources
    public let vault: CredentialVault
    public let servers: ServerRepository
    public let backups: BackupRepository
    public let schedules: BackupScheduleRepository
    public let scans: ScanRepository
    public let updates: UpdateRepository
    public let attempts: JobAttemptRepository
    public let audit: AuditLogRepository
    public let users: UserRepository
    public let ledger: RecordLedger
    public let webhooks: WebhookRepository
    public let deliveries: WebhookDeliveryRepository
    public let storage: BackupStorage
    public let archiveKeys: ArchiveKeys
    public let dispatcher: ServerJobDispatcher
    public let connector: ServerConnector

    public var configuration: PlatformConfiguration { resources.configuration }
    public var launcher: ServerJobLauncher { ServerJobLauncher(dispatcher: dispatcher, backups: backups, scans: scans, updates: updates) }

    public init(resources: PlatformResources, vault: CredentialVault, jobMetrics: ServerJobMetrics, tracer: any Tracer, logger: Logger) throws {
        let database = resources.postgres
        let configuration = resources.configuration
        self.resources = resources
        self.vault = vault
        servers = ServerRepository(database: database, vault: vault)
        backups = BackupRepository(database: database)
        schedules = BackupScheduleRepository(database: database)
        scans = ScanRepository(database: database)
        updates = UpdateRepository(database: database)
        attempts = JobAttemptRepository(database: database)
        audit = AuditLogRepository(database: database)
        users = UserRepository(database: database)
        ledger = RecordLedger(database: database)
        webhooks = WebhookRepository(database: database, vault: vault)
        deliveries = WebhookDeliveryRepository(database: database)
        storage = configuration.backupStorage()
        archiveKeys = ArchiveKeys(
            vault: vault, sealNewArchives: configuration.encryptBackups, settings: PlatformSettingsRepository(database: database))
        dispatcher = try ServerJobDispatcher(
            redis: resources.redis, prefix: configuration.queuePrefix, onEnqueued: { jobMetrics.recordEnqueued($0) }, tracer: tracer)
        connector = ServerConnector(servers: servers, logger: logger, onOutcome: { jobMetrics.recordSSHConnection($0) }, tracer: tracer)
    }

    /// The HTTP layer's view.
    func domain(sessions: SessionTokens, identityCache: IdentityCache) -> DomainDependencies {
        DomainDependencies(
            servers: servers, backups: backups, schedules: schedules, scans: scans, updates: updates, audit: audit,
            dispatcher: dispatcher, connector: connector, storage: storage, users: users, sessions: sessions,
            identityCache: identityCache, loginThrottle: LoginThrottle(redis: resources.redis, limits: configuration.loginLimits),
            webhooks: WebhookDependencies(
                webhooks: webhooks, deliveries: deliveries, addressGuard: WebhookAddressGuard(allowPrivate: configuration.webhookAllowPrivate)),
            archiveKeys: archiveKeys)
    }

    /// The job processor's view; `lease` holds one job per server at a time.
    func processorDependencies(lease: ServerLease, notifier: any Notifier) -> ServerJobProcessor.Dependencies {
        ServerJobProcessor.Dependencies(
            servers: servers, backups: backups, scans: scans, updates: updates, attempts: attempts, lease: lease, storage: storage,
            connector: connector, schedules: schedules, notifier: notifier, archiveKeys: archiveKeys)
    }
}
