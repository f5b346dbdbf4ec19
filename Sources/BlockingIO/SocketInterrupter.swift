#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Unblocks a thread stuck in a blocking socket call, from any other thread.
///
/// A blocking C call cannot be cancelled, but `shutdown(2)` on its socket makes it return at once
/// with an error. The file descriptor is registered while a call may block and cleared before the
/// socket is closed, so a late interrupt never hits a reused descriptor.
public final class SocketInterrupter: Sendable {
    private struct State {
        var fd: Int32 = -1
        var interrupted = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Registers the socket that the next blocking call uses.
    public func arm(fd: Int32) {
        state.withLock { $0 = State(fd: fd, interrupted: false) }
    }

    /// Forgets the socket; call before closing it.
    public func disarm() {
        state.withLock { $0.fd = -1 }
    }

    /// Shuts the registered socket down so the blocked call returns; remembered until the next `arm`.
    public func interrupt() {
        state.withLock { state in
            state.interrupted = true
            if state.fd >= 0 {
                _ = shutdown(state.fd, Int32(SHUT_RDWR))
            }
        }
    }

    /// Whether `interrupt()` was called since the last `arm`.
    public var wasInterrupted: Bool {
        state.withLock { $0.interrupted }
    }
}
