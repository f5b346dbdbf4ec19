import NIOPosix
import Synchronization

/// A fixed number of threads for CPU-heavy or blocking calls (bcrypt, file hashes) with a bound
/// on the calls admitted at once: past `maxAdmitted` a call fails at once with `Saturated`
/// instead of queueing without end, so callers can answer "busy" (503).
public final class BlockingPool: Sendable {
    /// Thrown when `maxAdmitted` calls are already running or waiting.
    public struct Saturated: Error, Sendable {}

    public let threads: Int
    public let maxAdmitted: Int
    private let pool: NIOThreadPool
    private let admitted = Atomic<Int>(0)

    public init(threads: Int, maxAdmitted: Int) {
        self.threads = max(1, threads)
        self.maxAdmitted = max(self.threads, maxAdmitted)
        pool = NIOThreadPool(numberOfThreads: self.threads)
        pool.start()
    }

    deinit {
        pool.shutdownGracefully { _ in }
    }

    /// Calls running or waiting now.
    public var load: Int { admitted.load(ordering: .relaxed) }

    public func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async throws -> Result {
        guard admitted.add(1, ordering: .relaxed).newValue <= maxAdmitted else {
            admitted.subtract(1, ordering: .relaxed)
            throw Saturated()
        }
        defer { admitted.subtract(1, ordering: .relaxed) }
        return try await pool.runIfActive { work() }
    }

    /// For password hashing: two threads (bcrypt is CPU-bound; more would only queue on the
    /// cores) and at most 64 attempts admitted at once per process.
    public static let passwordHashing = BlockingPool(threads: 2, maxAdmitted: 64)
}
