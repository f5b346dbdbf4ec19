package import Foundation
package import JobQueue
import JSONSupport
package import Logging
package import Records
package import RedisClient
package import ServerJobs
import ServiceLifecycle

/// The periodic duty behind the notifications no job writes: `backup.overdue` (a schedule with no
/// success within its period plus slack, once per overdue episode) and `queue.unhealthy` /
/// `queue.recovered` (transitions of the health `GET /api/metrics/queues` shows). What was last
/// announced lives in Redis and is swapped atomically (`SET … GET`), so however many processes
/// run this duty, each episode and each transition is announced once.
package struct NotificationWatch: PeriodicService {
    package struct Options: Sendable {
        package var interval: Duration
        /// Redis key prefix of the announced states.
        package var keyPrefix: String
        /// How long an overdue episode is remembered; still overdue after that, it is announced again.
        package var episodeMemory: Duration

        package init(interval: Duration = .seconds(15), keyPrefix: String = "medicineman", episodeMemory: Duration = .seconds(30 * 86_400)) {
            self.interval = interval
            self.keyPrefix = keyPrefix
            self.episodeMemory = episodeMemory
        }
    }

    let schedules: BackupScheduleRepository
    let queues: [Queue]
    let redis: RedisConnectionPool
    let notifier: any Notifier
    let options: Options
    let logger: Logger
    package let duty: PeriodicDuty

    package init(
        schedules: BackupScheduleRepository, queues: [Queue], redis: RedisConnectionPool, notifier: any Notifier,
        options: Options = Options(), clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.schedules = schedules
        self.queues = queues
        self.redis = redis
        self.notifier = notifier
        self.options = options
        self.logger = logger
        duty = PeriodicDuty("notification watch", interval: options.interval, clock: clock, logger: logger)
    }

    package func pass(now: Date) async {
        await checkOverdueBackups(now: now)
        await checkQueueHealth()
    }

    /// Announces every schedule that became overdue since it was last announced; returns how many.
    @discardableResult
    package func checkOverdueBackups(now: Date) async -> Int {
        var announced = 0
        do {
            for (server, schedule, lastSuccess) in try await schedules.enabledWithLastSuccess() {
                guard let timing = try? ScheduleTiming(cron: schedule.cron, timezone: schedule.timezone) else { continue }
                let period = timing.period(after: now)
                // The episode is named by the success it counts from: a new success ends it.
                let since = lastSuccess ?? schedule.createdAt
                guard now.timeIntervalSince(since) > ScheduleTiming.overdueAfter(period: period) else { continue }
                let episode = String(Int64(since.timeIntervalSince1970 * 1000))
                let key = "\(options.keyPrefix):notify:backup-overdue:\(schedule.id.lowercasedString)"
                guard try await swap(key, to: episode, expiring: options.episodeMemory) != episode else { continue }
                let last = lastSuccess.map { "the last success was \($0.ISO8601Format())" } ?? "it never succeeded"
                await notifier.notify(
                    NotificationEvent(
                        .backupOverdue, summary: "Backups of \(server) are overdue: \(last)",
                        data: [
                            "scheduleId": .string(schedule.id.lowercasedString), "serverId": .string(schedule.serverId.lowercasedString),
                            "server": .string(server), "cron": .string(schedule.cron), "timezone": .string(schedule.timezone),
                            "lastSuccessAt": lastSuccess.map { .string($0.ISO8601Format()) } ?? .null,
                            "periodSeconds": .int(Int64(period)), "overdueAfterSeconds": .int(Int64(ScheduleTiming.overdueAfter(period: period))),
                        ], occurredAt: now))
                announced += 1
            }
        } catch {
            logger.error("checking for overdue backups failed", metadata: ["error": "\(error)"])
        }
        return announced
    }

    /// Announces queues whose health changed since it was last announced; returns how many.
    @discardableResult
    package func checkQueueHealth() async -> Int {
        var announced = 0
        do {
            for reading in try await QueueObservation.observe(queues) {
                let state = reading.health.isDegraded ? "degraded" : "ok"
                let key = "\(options.keyPrefix):notify:queue-health:\(reading.queue)"
                // Nothing announced yet counts as healthy: a queue degraded at first sight is news.
                guard (try await swap(key, to: state, expiring: nil) ?? "ok") != state else { continue }
                let event =
                    reading.health.isDegraded
                    ? NotificationEvent(
                        .queueUnhealthy, summary: "Queue \(reading.queue) is unhealthy: " + reading.health.reasons.joined(separator: "; "),
                        data: ["queue": .string(reading.queue), "reasons": .array(reading.health.reasons.map { .string($0) })])
                    : NotificationEvent(.queueRecovered, summary: "Queue \(reading.queue) has recovered", data: ["queue": .string(reading.queue)])
                await notifier.notify(event)
                announced += 1
            }
        } catch {
            logger.error("checking queue health failed", metadata: ["error": "\(error)"])
        }
        return announced
    }

    /// Sets `key` to `value` and returns what it held, in one command.
    private func swap(_ key: String, to value: String, expiring: Duration?) async throws -> String? {
        var command: [RedisArgument] = ["SET", RedisArgument(key), RedisArgument(value), "GET"]
        if let expiring { command += ["EX", RedisArgument(Int(expiring.components.seconds))] }
        return try await redis.command(command).string
    }
}
