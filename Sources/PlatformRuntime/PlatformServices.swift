package import HTTPAPI
package import Logging
import Notifications
package import Records
package import ServerJobs
package import Tracing

/// The composition root: every repository, the job dispatcher, archive storage and keys and the
/// SSH connector, built once per process from its resources. The HTTP layer's
/// `DomainDependencies` and the job processor's `Dependencies` are views of it, so each part is
/// wired in one place.
package struct PlatformServices: Sendable {
    package let resources: PlatformResources
    package let vault: CredentialVault
    package let servers: ServerRepository
    package let backups: BackupRepository
    package let schedules: BackupScheduleRepository
    package let scans: ScanRepository
    package let updates: UpdateRepository
    package let attempts: JobAttemptRepository
    package let audit: AuditLogRepository
    package let users: UserRepository
    package let ledger: RecordLedger
    package let webhooks: WebhookRepository
    package let deliveries: WebhookDeliveryRepository
    package let storage: BackupStorage
    package let archiveKeys: ArchiveKeys
    package let dispatcher: ServerJobDispatcher
    package let connector: ServerConnector

    package var configuration: PlatformConfiguration { resources.configuration }
    package var launcher: ServerJobLauncher { ServerJobLauncher(dispatcher: dispatcher, backups: backups, scans: scans, updates: updates) }

    package init(resources: PlatformResources, vault: CredentialVault, jobMetrics: ServerJobMetrics, tracer: any Tracer, logger: Logger) throws {
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
            redis: resources.redis, prefix: configuration.queuePrefix, jobOptions: configuration.jobOptions, onEnqueued: { jobMetrics.recordEnqueued($0) }, tracer: tracer)
        connector = ServerConnector(servers: servers, logger: logger, onOutcome: { jobMetrics.recordSSHConnection($0) }, tracer: tracer)
    }

    /// The HTTP layer's view; `throttlingLogins` false leaves sign-in unthrottled (tests that
    /// sign in many times).
    package func domain(sessions: SessionTokens, identityCache: IdentityCache?, throttlingLogins: Bool = true) -> DomainDependencies {
        DomainDependencies(
            servers: servers, backups: backups, schedules: schedules, scans: scans, updates: updates, audit: audit,
            dispatcher: dispatcher, connector: connector, storage: storage, users: users, sessions: sessions,
            identityCache: identityCache,
            loginThrottle: throttlingLogins ? LoginThrottle(redis: resources.redis, limits: configuration.loginLimits) : nil,
            webhooks: WebhookDependencies(
                webhooks: webhooks, deliveries: deliveries, addressGuard: WebhookAddressGuard(allowPrivate: configuration.webhookAllowPrivate)),
            archiveKeys: archiveKeys)
    }

    /// The job processor's view; `lease` holds one job per server at a time.
    package func processorDependencies(lease: ServerLease, notifier: any Notifier) -> ServerJobProcessor.Dependencies {
        ServerJobProcessor.Dependencies(
            servers: servers, backups: backups, scans: scans, updates: updates, attempts: attempts, lease: lease, storage: storage,
            connector: connector, schedules: schedules, notifier: notifier, archiveKeys: archiveKeys, backupTimeout: configuration.backupTimeout)
    }
}
