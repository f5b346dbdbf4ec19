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
        services: PlatformServices, queues: [ServerJobQueue], metrics: MetricsRegistry, notifier: any Notifier, tracer: any Tracer,
        logger: Logger
    ) throws -> [Worker] {
        let configuration = services.configuration
        let redis = services.resources.redis
        let leaseDuration = min(.seconds(60), configuration.jobLockOverride ?? .seconds(60))
        let processor = ServerJobProcessor(
            dependencies: services.processorDependencies(lease: ServerLease(redis: redis, duration: leaseDuration), notifier: notifier),
            logger: logger)
        return try queues.map { definition in
            let queue = try Queue(name: definition.name, prefix: configuration.queuePrefix, redis: redis)
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
                    replicaWait: redis.isCluster ? RedisReplicaWait() : nil),
                logger: logger, processor: { try await processor.process($0) })
        }
    }

    /// The scheduler, the record reconciler, the drill planner and the cleanup duty.
    static func duties(services: PlatformServices, notifier: any Notifier, logger: Logger) -> [any Service] {
        let interval = services.configuration.schedulerInterval
        let launcher = services.launcher
        let queues = services.dispatcher.allQueues
        return [
            BackupScheduler(
                schedules: services.schedules, backups: services.backups, launcher: launcher, audit: services.audit,
                options: .init(interval: interval), notifier: notifier, logger: logger),
            RecordReconciler(ledger: services.ledger, launcher: launcher, queues: queues, options: .init(interval: interval), logger: logger),
            RestoreDrillPlanner(drills: services.backups.drills, dispatcher: services.dispatcher, options: .init(interval: interval), logger: logger),
            MaintenanceService(
                queues: queues,
                janitor: StorageJanitor(storage: services.storage, backups: services.backups, logger: logger),
                history: HistoryPruner(database: services.resources.postgres),
                options: .init(historyRetentionDays: services.configuration.historyRetention), logger: logger),
        ]
    }

    /// The notifier that queues webhook deliveries in `notify-queue`.
    static func notifier(services: PlatformServices, logger: Logger) throws -> WebhookNotifier {
        try WebhookNotifier(
            webhooks: services.webhooks, deliveries: services.deliveries, redis: services.resources.redis,
            prefix: services.configuration.queuePrefix, settings: deliverySettings(services.configuration), logger: logger)
    }

    /// The `notify-queue` worker and the watch that announces overdue backups and queue health changes.
    static func notifications(services: PlatformServices, notifier: WebhookNotifier, metrics: MetricsRegistry, logger: Logger) throws -> [any Service] {
        let configuration = services.configuration
        let settings = deliverySettings(configuration)
        let webhookMetrics = WebhookMetrics(factory: metrics.factory)
        let deliverer = WebhookDeliverer(
            webhooks: services.webhooks, deliveries: services.deliveries, settings: settings,
            onResult: { webhookMetrics.recordDelivery(event: $0, result: $1) }, logger: logger)
        let recorder = WorkerMetrics(factory: metrics.factory, queue: NotifyQueue.name, concurrency: settings.concurrency, knownNames: [NotifyQueue.jobName])
        let queues = services.dispatcher.allQueues
        return [
            WebhookDeliveryService(
                notifier: notifier, deliverer: deliverer, settings: settings, interval: configuration.schedulerInterval,
                onEvent: { recorder.record($0) }, logger: logger),
            NotificationWatch(
                schedules: services.schedules, queues: queues, redis: services.resources.redis,
                notifier: notifier, options: .init(interval: configuration.schedulerInterval), logger: logger),
        ]
    }

    static func deliverySettings(_ configuration: PlatformConfiguration) -> WebhookDeliverySettings {
        WebhookDeliverySettings(allowPrivateTargets: configuration.webhookAllowPrivate)
    }
}
