import BlockingIO
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JobQueue
import Logging
import Notifications
import PostgresClient
import Records
import RedisClient
import ServerJobs
import Synchronization
import TestSupport
import Testing

/// What a test receiver was sent, and what it answers: the scripted statuses in order, then 200.
actor ReceivedRequests {
    struct Received: Sendable {
        /// Header names in lowercase.
        var headers: [String: String]
        var body: [UInt8]
        var accepted: Bool
    }

    private(set) var requests: [Received] = []
    private var script: [Int]

    init(script: [Int] = []) {
        self.script = script
    }

    func record(headers: [String: String], body: [UInt8]) -> Int {
        let status = script.isEmpty ? 200 : script.removeFirst()
        requests.append(Received(headers: headers, body: body, accepted: (200...299).contains(status)))
        return status
    }

    var accepted: [Received] { requests.filter(\.accepted) }
}

/// Runs `body` with an HTTP receiver on 127.0.0.1: `POST /hook` records and answers from the
/// script; `POST /redirect` answers 302 towards `/hook`; `POST /drip` answers 200 and never
/// finishes its body.
func withReceiver(script: [Int] = [], _ body: @Sendable (_ port: Int, _ log: ReceivedRequests) async throws -> Void) async throws {
    let log = ReceivedRequests(script: script)
    let router = Router()
    router.post("/hook") { request, _ -> Response in
        let bytes = try await request.body.collect(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        headers["host"] = request.head.authority  // HTTP/1's Host, as HTTPTypes keeps it
        let status = await log.record(headers: headers, body: Array(bytes.readableBytesView))
        return Response(status: HTTPResponse.Status(code: status))
    }
    router.post("/redirect") { _, _ -> Response in
        Response(status: .found, headers: [.location: "/hook"])
    }
    // Answers 200 at once, then drips its body a byte every 200 ms for ever.
    router.post("/drip") { request, _ -> Response in
        _ = try await request.body.collect(upTo: 1 << 20)
        return Response(
            status: .ok,
            body: ResponseBody { writer in
                while true {
                    try await writer.write(ByteBuffer(string: "."))
                    try await Task.sleep(for: .milliseconds(200))
                }
            })
    }
    try await Application(router: router).test(.live) { client in
        try await body(try #require(client.port), log)
    }
}

/// Log lines of the notification code, kept so tests can look for secrets in them.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    var all: String { lines.withLock { $0.joined(separator: "\n") } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var logger: Logger {
        var logger = Logger(label: "test.webhooks") { _ in CapturingLogHandler { [self] in self.append($0) } }
        logger.logLevel = .trace
        return logger
    }
}

/// A migrated scratch database, notify-queue under a prefix of its own on the test Redis, and
/// the notification parts over them.
struct WebhookFixture: Sendable {
    let database: PostgresPool
    let redis: RedisConnectionPool
    let prefix: String
    let vault: CredentialVault
    let metrics = MetricsRegistry()
    let logs = CapturedLogs()
    var webhooks: WebhookRepository { WebhookRepository(database: database, vault: vault) }
    var deliveries: WebhookDeliveryRepository { WebhookDeliveryRepository(database: database) }

    /// Delivers to loopback (the test receivers) quickly: short backoff and timeout, 4 at once.
    static let testSettings = WebhookDeliverySettings(
        attempts: 5, backoff: .milliseconds(100), requestTimeout: .seconds(3), concurrency: 4,
        allowPrivateTargets: true, lockDuration: .seconds(30))

    static func run(_ body: (WebhookFixture) async throws -> Void) async throws {
        let logger = testLogger("test.webhooks.fixture", level: .critical)
        try await TestEnvironment.withMigratedDatabase(logger: logger) { pool in
            let redis = try TestEnvironment.redisPool(maxConnections: 8, logger: logger)
            let fixture = WebhookFixture(
                database: pool, redis: redis, prefix: TestEnvironment.uniqueName("mmhook"),
                vault: CredentialVault(current: try EncryptionKey(hex: String(repeating: "5a", count: 32))))
            try await withCleanup {
                try await body(fixture)
            } cleanup: {
                try? await fixture.queue().obliterate(force: true)
                await redis.close()
            }
        }
    }

    func queue() throws -> Queue { try Queue(name: NotifyQueue.name, prefix: prefix, redis: redis) }

    func notifier(_ settings: WebhookDeliverySettings = testSettings) throws -> WebhookNotifier {
        try WebhookNotifier(webhooks: webhooks, deliveries: deliveries, redis: redis, prefix: prefix, settings: settings, logger: logs.logger)
    }

    /// One test event sent, with a single attempt, to a webhook on the receiver's `path`; `body`
    /// runs while the worker delivers it (the receiver's log is what `/hook` saw).
    func deliveringOnce(
        to path: String, requestTimeout: Duration? = nil, _ body: @Sendable (CreatedWebhook, ReceivedRequests) async throws -> Void
    ) async throws {
        try await withReceiver { port, log in
            let created = try await insertWebhook(url: "http://127.0.0.1:\(port)\(path)")
            var settings = Self.testSettings
            settings.attempts = 1
            if let requestTimeout { settings.requestTimeout = requestTimeout }
            try await withWorker(settings) { notifier in
                await notifier.notify(testEvent())
                try await body(created, log)
            }
        }
    }

    /// Runs `body` while a notify-queue worker delivers with `settings`.
    func withWorker(_ settings: WebhookDeliverySettings = testSettings, _ body: (WebhookNotifier) async throws -> Void) async throws {
        let notifier = try notifier(settings)
        let deliverer = WebhookDeliverer(
            webhooks: webhooks, deliveries: deliveries, settings: settings,
            onResult: { [recorder = WebhookMetrics(factory: metrics.factory)] in recorder.recordDelivery(event: $0, result: $1) }, logger: logs.logger)
        let worker = Worker(
            queue: notifier.queue,
            options: WorkerOptions(
                concurrency: settings.concurrency, lockDuration: settings.lockDuration,
                drainDelay: .milliseconds(200)),
            logger: logs.logger, processor: { try await deliverer.process($0) })
        let running = Task { try await worker.runUntilClosed() }
        try await withCleanup {
            try await body(notifier)
        } cleanup: {
            worker.close()
            try await running.value
        }
    }

    /// Waits (up to `timeout`) until `condition` holds for the webhook's deliveries; returns them.
    @discardableResult
    func waitForDeliveries(
        of webhook: UUID, timeout: Duration = .seconds(30),
        until condition: @Sendable ([WebhookDelivery]) -> Bool
    ) async throws -> [WebhookDelivery] {
        let met = try await eventualValue(timeout: timeout, every: .milliseconds(50)) {
            let items = try await deliveries.list(webhookId: webhook).items
            return condition(items) ? items : nil
        }
        if let met { return met }
        return try await deliveries.list(webhookId: webhook).items
    }

    /// A webhook row written directly (bypassing the API's checks), as a careless operator or an
    /// older version might have left one.
    func insertWebhook(url: String, events: [String] = ["backup.failed"], format: WebhookFormat = .json) async throws -> CreatedWebhook {
        try await webhooks.create(url: url, events: events, format: format, enabled: true)
    }
}

/// An event for tests.
func testEvent(_ name: NotificationEventName = .backupFailed, summary: String = "Backup of web-1 failed: disk full") -> NotificationEvent {
    NotificationEvent(name, summary: summary, data: ["server": "web-1", "error": "disk full"])
}
