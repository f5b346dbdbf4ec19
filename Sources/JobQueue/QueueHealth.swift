/// Whether a queue is being served, and if not, why: what `GET /api/metrics/queues` shows and
/// what `queue.unhealthy` / `queue.recovered` notifications follow.
public struct QueueHealth: Codable, Sendable, Equatable {
    /// `ok` or `degraded`.
    public var status: String
    public var reasons: [String]

    public var isDegraded: Bool { status != "ok" }

    /// A queue is degraded while paused, while jobs sit in the legacy `paused` list (a BullMQ v5
    /// peer paused it; no worker takes them until it is resumed), while jobs wait with no worker
    /// connected, or when its oldest waiting job has waited longer than `maxWait`.
    public static func assess(
        paused: Bool, legacyPaused: Int = 0, waiting: Int, workers: Int, oldestWait: Duration?,
        maxWait: Duration = .seconds(600)
    ) -> QueueHealth {
        var reasons: [String] = []
        if paused { reasons.append("the queue is paused") }
        if legacyPaused > 0 {
            reasons.append("\(legacyPaused) job(s) sit in the legacy `paused` list a BullMQ v5 peer left; resume the queue to move them back to wait")
        }
        if waiting > 0, workers == 0 { reasons.append("\(waiting) job(s) wait and no worker is connected") }
        if let oldestWait, oldestWait > maxWait {
            reasons.append("the oldest waiting job has waited \(oldestWait.components.seconds / 60) minute(s)")
        }
        return QueueHealth(status: reasons.isEmpty ? "ok" : "degraded", reasons: reasons)
    }
}
