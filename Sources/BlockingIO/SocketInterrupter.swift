#if canImport(Glibc)
    import Glibc
#endif
import Synchronization

/// Unblocks a thread stuck in a blocking socket call, from any other thread.
///
/// A blocking C call cannot be cancelled, but `shutdown(2)` on its socket makes it return at once
/// with an error. The file descriptor is registered while a call may block and cleared before the
/// socket is closed, so a late interrupt never hits a reused descriptor. An interrupt that comes
/// while nothing is armed is kept and refuses the next `arm`, so a wait that was about to start
/// ends at once instead of running its full timeout.
public final class SocketInterrupter: Sendable {
    private struct State {
        var fd: Int32 = -1
        /// An interrupt arrived while no call was armed.
        var pending = false
        /// An interrupt shut the armed socket down.
        var fired = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Registers the socket that the next blocking call uses. Returns false (and forgets the
    /// request) when an interrupt is pending: the caller must not block then.
    public func arm(fd: Int32) -> Bool {
        state.withLock { state in
            if state.pending {
                state.pending = false
                return false
            }
            state = State(fd: fd, pending: false, fired: false)
            return true
        }
    }

    /// Forgets the socket; call before closing it.
    public func disarm() {
        state.withLock { state in
            state.fd = -1
            state.fired = false
        }
    }

    /// Shuts the registered socket down so the blocked call returns, or leaves the interrupt
    /// pending for the next call when none is blocked.
    public func interrupt() {
        state.withLock { state in
            if state.fd >= 0 {
                state.fired = true
                _ = shutdown(state.fd, Int32(SHUT_RDWR))
            } else {
                state.pending = true
            }
        }
    }

    /// Whether `interrupt()` shut the armed socket down (read before `disarm`).
    public var wasInterrupted: Bool {
        state.withLock { $0.fired }
    }
}
