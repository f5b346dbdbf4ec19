import HTTPAPI
import JobQueue
import Logging
import Notifications
import Records
import RedisClient
import Scheduling
import ServerJobs
import ServiceLifecycle
import Tracing

/// The workers of the backup, scan and update queues, wired to the records and SSH, and the
/// background duties that go with them (scheduler, reconciler, cleanup, notifications).
enum ServerJobWorkers {
    static func make(
        resources: PlatformResources, vault: CredentialVault, queues: [ServerJobQueue], metrics: MetricsRegistry,
        jobMetrics: ServerJobMetrics, notifier: any Notifier, tracer: any Tracer, logger: Logger
    ) throws -> [Worker] {
        let configuration = resources.configuration
        let servers = ServerRepository(database: resources.postgres, vault: vault)
        let leaseDuration = min(.seconds(60), configuration.jobLockOverride ?? .seconds(60))
        let dependencies = ServerJobProcessor.Dependencies(
            servers: servers, backups: BackupRepository(database: resources.postgres), scans: ScanRepository(database: resources.postgres),
            updates: UpdateRepository(database: resources.postgres), attempts: JobAttemptRepository(database: resources.postgres),
            lease: ServerLease(redis: resources.redis, duration: leaseDuration), storage: configuration.backupStorage(),
            connector: ServerConnector(servers: servers, logger: logger, onOutcome: { jobMetrics.recordSSHConnection($0) }, tracer: tracer),
            schedules: BackupScheduleRepository(database: resources.postgres), notifier: notifier,
            archiveKeys: ArchiveKeys(
                vault: vault, sealNewArchives: configuration.encryptBackups,
                settings: PlatformSettingsRepository(database: resources.postgres)))
        let processor = ServerJobProcessor(dependencies: dependencies, logger: logger)
        return try queues.map { definition in
            let queue = try Queue(name: definition.name, prefix: configuration.queuePrefix, redis: resources.redis)
            let recorder = WorkerMetrics(factory: metrics.factory, queue: definition.name, concurrency: definition.concurrency)
            let lock = configuration.jobLockOverride ?? definition.lockDuration
            return Worker(
                queue: queue,
                options: WorkerOptions(
                    concurrency: definition.concurrency, lockDuration: lock,
                    stalledInterval: min(.seconds(30), lock),
                    shutdownGracePeriod: configuration.shutdownGrace, onEvent: { recorder.record($0) },
                    tracer: tracer,
                    // On a cluster a failover must not lose a job's start or end
                    // (a server job run twice is a second backup or update).
                    replicaWait: resources.redis.isCluster ? RedisReplicaWait() : nil),
                logger: logger, processor: { try await processor.process($0) })
        }
    }

    /// The scheduler, the record reconciler and the cleanup duty.
    static func duties(resources: PlatformResources, jobMetrics: ServerJobMetrics, notifier: any Notifier, logger: Logger) throws -> [any Service] {
        let configuration = resources.configuration
        let database = resources.postgres
        let backups = BackupRepository(database: database)
        let dispatcher = try ServerJobDispatcher(
            redis: resources.redis, prefix: configuration.queuePrefix,
            onEnqueued: { jobMetrics.recordEnqueued($0) })
        let launcher = ServerJobLauncher(
            dispatcher: dispatcher, backups: backups, scans: ScanRepository(database: database),
            updates: UpdateRepository(database: database))
        let interval = configuration.schedulerInterval
        return [
            BackupScheduler(
                schedules: BackupScheduleRepository(database: database), backups: backups, launcher: launcher,
                audit: AuditLogRepository(database: database), options: .init(interval: interval), notifier: notifier, logger: logger),
            RecordReconciler(ledger: RecordLedger(database: database), launcher: launcher, options: .init(interval: interval), logger: logger),
            RestoreDrillPlanner(
                drills: backups.drills, dispatcher: dispatcher, options: .init(interval: interval),
                logger: logger),
            MaintenanceService(
                queues: ServerJobQueue.all.compactMap { dispatcher.queue($0) },
                janitor: StorageJanitor(storage: configuration.backupStorage(), backups: backups, logger: logger),
                logger: logger),
        ]
    }

    /// The notifier that queues webhook deliveries in `notify-queue`.
    static func notifier(resources: PlatformResources, vault: CredentialVault, logger: Logger) throws -> WebhookNotifier {
        try WebhookNotifier(
            webhooks: WebhookRepository(database: resources.postgres, vault: vault),
            deliveries: WebhookDeliveryRepository(database: resources.postgres), redis: resources.redis,
            prefix: resources.configuration.queuePrefix, settings: deliverySettings(resources.configuration), logger: logger)
    }

    /// The `notify-queue` worker and the watch that announces overdue backups and queue health changes.
    static func notifications(
        resources: PlatformResources, vault: CredentialVault, notifier: WebhookNotifier, metrics: MetricsRegistry,
        logger: Logger
    ) throws -> [any Service] {
        let configuration = resources.configuration
        let settings = deliverySettings(configuration)
        let webhookMetrics = WebhookMetrics(factory: metrics.factory)
        let deliverer = WebhookDeliverer(
            webhooks: WebhookRepository(database: resources.postgres, vault: vault),
            deliveries: WebhookDeliveryRepository(database: resources.postgres), settings: settings,
            onResult: { webhookMetrics.recordDelivery(event: $0, result: $1) }, logger: logger)
        let recorder = WorkerMetrics(factory: metrics.factory, queue: NotifyQueue.name, concurrency: settings.concurrency)
        let queues = try ServerJobQueue.all.map { try Queue(name: $0.name, prefix: configuration.queuePrefix, redis: resources.redis) }
        return [
            WebhookDeliveryService(
                notifier: notifier, deliverer: deliverer, settings: settings, interval: configuration.schedulerInterval,
                onEvent: { recorder.record($0) }, logger: logger),
            NotificationWatch(
                schedules: BackupScheduleRepository(database: resources.postgres), queues: queues, redis: resources.redis,
                notifier: notifier, options: .init(interval: configuration.schedulerInterval), logger: logger),
        ]
    }

    static func deliverySettings(_ configuration: PlatformConfiguration) -> WebhookDeliverySettings {
        WebhookDeliverySettings(allowPrivateTargets: configuration.webhookAllowPrivate)
    }
}
