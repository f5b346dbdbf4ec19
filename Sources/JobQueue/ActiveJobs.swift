import Synchronization

/// The jobs a worker is running: their lock tokens (for renewal) and how to cancel them.
final class ActiveJobs: Sendable {
    struct Entry: Sendable {
        let token: String
        let cancel: @Sendable () -> Void
    }

    private let entries = Mutex<[String: Entry]>([:])

    func insert(_ id: String, _ entry: Entry) { entries.withLock { $0[id] = entry } }
    func remove(_ id: String) { _ = entries.withLock { $0.removeValue(forKey: id) } }
    var count: Int { entries.withLock { $0.count } }
    var tokens: [(id: String, token: String)] { entries.withLock { $0.map { ($0.key, $0.value.token) } } }

    /// Whether `id` still runs under `token` (a job that just finished is not a lost lock).
    func isHeld(_ id: String, token: String) -> Bool {
        entries.withLock { $0[id]?.token == token }
    }

    func cancel(_ id: String) {
        let entry = entries.withLock { $0[id] }
        entry?.cancel()
    }

    func cancelAll() {
        let all = entries.withLock { Array($0.values) }
        for entry in all { entry.cancel() }
    }
}

/// Set once by a timer that cancelled an attempt, so the failure reads "timed out".
final class ExpiryFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}
