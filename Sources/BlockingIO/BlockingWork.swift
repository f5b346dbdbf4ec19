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

    public static func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
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
