import Foundation
import NIOPosix

/// Runs one CPU-heavy or blocking call (a file hash, a directory walk, a DNS lookup) on a bounded
/// pool of threads, so it never occupies Swift's cooperative pool and the process never starts
/// a thread per call: past `threadCount` running calls, the next waits its turn.
public enum BlockingWork {
    /// Enough for the long calls the platform bounds elsewhere (8 API archive reads, the backup
    /// workers' verifications) with room for the short ones.
    public static let threadCount = 16

    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: threadCount)
        pool.start()
        return pool
    }()

    /// Runs `work` on the pool and returns what it returns, or throws what it throws (typed: a
    /// closure that throws nothing needs no `try`).
    public static func run<Success: Sendable, Failure: Error>(_ work: @escaping @Sendable () throws(Failure) -> Success) async throws(Failure) -> Success {
        try await outcome { Swift.Result { () throws(Failure) -> Success in try work() } }.get()
    }

    private static func outcome<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        do {
            return try await pool.runIfActive(work)
        } catch {
            // The pool is never shut down; should it refuse anyway, the call still gets a thread.
            return await withCheckedContinuation { continuation in
                Thread.detachNewThread { continuation.resume(returning: work()) }
            }
        }
    }
}
