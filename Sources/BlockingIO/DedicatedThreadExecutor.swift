import DequeModule
import Foundation

/// A serial executor that runs every job on one thread of its own.
///
/// hiredis, libpq and libssh2 block the calling thread. An actor whose `unownedExecutor` is one of
/// these runs all of its methods on that thread, so blocking C calls never occupy NIO's event loops
/// or Swift's cooperative pool, and the C handle is only ever touched from one thread.
public final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var jobs = Deque<UnownedJob>()
    private var stopping = false

    /// - Parameter name: thread name shown in debuggers and `top -H` (kept short; Linux allows 15 bytes).
    public init(name: String) {
        let thread = Thread { [self] in self.runLoop() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets the thread finish the jobs already queued and then exit.
    ///
    /// Called from the owning actor's `deinit`: once the actor is gone nothing can enqueue to it.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func runLoop() {
        Self.blockBrokenPipeSignal()
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping {
                condition.wait()
            }
            guard let job = jobs.popFirst() else {
                condition.unlock()
                return
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }

    /// A C client writing to a socket its peer has closed gets EPIPE on this thread instead of a
    /// SIGPIPE that would end the process: hiredis sends with plain write(2), and a Redis that
    /// restarted or killed the connection must be an error the client reconnects after, not a crash.
    private static func blockBrokenPipeSignal() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }
}
