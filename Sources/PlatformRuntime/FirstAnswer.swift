import Synchronization

/// Waits for `body` at most `timeout`. Unlike a task group, it does not wait for a body that hangs
/// (e.g. a connect stuck in a C library): the body keeps running detached and its late answer is
/// dropped.
enum FirstAnswer {
    struct TimedOut: Error, CustomStringConvertible {
        let timeout: Duration
        var description: String { "no answer within \(timeout)" }
    }

    static func race<Value: Sendable>(
        timeout: Duration,
        _ body: @escaping @Sendable () async throws -> Value
    ) async -> Result<Value, any Error> {
        let slot = Mutex<CheckedContinuation<Result<Value, any Error>, Never>?>(nil)
        let finish: @Sendable (Result<Value, any Error>) -> Void = { result in
            slot.withLock { continuation in
                continuation?.resume(returning: result)
                continuation = nil
            }
        }
        let timer = Mutex<Task<Void, Never>?>(nil)
        let answer = await withCheckedContinuation { continuation in
            slot.withLock { $0 = continuation }
            let work = Task {
                do { finish(.success(try await body())) } catch { finish(.failure(error)) }
            }
            timer.withLock {
                $0 = Task {
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    // The answer first: cancelled, the body may throw at once, and its
                    // CancellationError must not become the answer instead.
                    finish(.failure(TimedOut(timeout: timeout)))
                    work.cancel()
                }
            }
        }
        // A body that answered in time must not leave its timer sleeping out the timeout (one per
        // `/ready` probe and dependency otherwise).
        timer.withLock { $0?.cancel() }
        return answer
    }
}
