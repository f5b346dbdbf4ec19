import Synchronization

/// The attempts a worker is running, by lock token (unique per fetch: a job whose lock was lost
/// and that this same worker took over runs twice, under two tokens): their job ids, for
/// renewal, and how to cancel them.
final class ActiveJobs: Sendable {
    struct Entry: Sendable {
        let id: String
        let cancel: @Sendable () -> Void
    }

    private let entries = Mutex<[String: Entry]>([:])

    func insert(token: String, _ entry: Entry) { entries.withLock { $0[token] = entry } }
    func remove(token: String) { _ = entries.withLock { $0.removeValue(forKey: token) } }
    var count: Int { entries.withLock { $0.count } }
    var tokens: [(id: String, token: String)] { entries.withLock { $0.map { ($0.value.id, $0.key) } } }

    /// Cancels the attempt running under `token`; returns its job id (nil: it already finished).
    func cancel(token: String) -> String? {
        let entry = entries.withLock { $0[token] }
        entry?.cancel()
        return entry?.id
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
