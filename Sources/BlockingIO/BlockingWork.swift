import Foundation

/// Runs one CPU-heavy or blocking call (bcrypt, a file hash) on a thread of its own, so it never
/// occupies Swift's cooperative pool.
public enum BlockingWork {
    public static func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.name = "blocking-work"
            thread.start()
        }
    }
}
