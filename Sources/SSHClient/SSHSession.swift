import BlockingIO
import CLibSSH2
public import ErrorCodes
public import Logging
public import Tracing

#if canImport(Glibc)
    import Glibc
#endif

/// One SSH connection to a server over libssh2, running on a thread of its own.
///
/// libssh2 runs in non-blocking mode and every wait is a `poll(2)` with a deadline, so connect,
/// commands and idle streams all have timeouts the library itself enforces.
public actor SSHSession {
    public nonisolated let configuration: SSHConfiguration
    let logger: Logger
    /// Traces connecting and each command as client spans under the caller's context.
    nonisolated let tracer: any Tracer
    private let executor: DedicatedThreadExecutor
    // nonisolated(unsafe) only so the (nonisolated) deinit can free them: every other access is
    // isolated to the session's thread, and deinit runs when no one else holds the session.
    // (An `isolated deinit` here makes the optimizer loop in modules that use SSHSession.)
    nonisolated(unsafe) var session: OpaquePointer?
    nonisolated(unsafe) var socket: Int32 = -1
    /// The server's key fingerprint, known after `connect()`.
    public private(set) var hostKeyFingerprint: String?
    /// The server's key algorithm (`ssh-ed25519`, `ssh-rsa`, ...), known after `connect()`.
    public private(set) var hostKeyType: String?
    /// Wakes a command blocked in `poll` when the calling task is cancelled (see `perform`).
    nonisolated let interrupter = SocketInterrupter()

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    public init(configuration: SSHConfiguration, logger: Logger, tracer: any Tracer = NoOpTracer()) {
        self.configuration = configuration
        self.logger = logger
        self.tracer = tracer
        self.executor = DedicatedThreadExecutor(name: "ssh")
    }

    deinit {
        if let session {
            libssh2_session_free(session)
        }
        if socket >= 0 { Glibc.close(socket) }
        executor.shutdown()
    }

    /// Connects, checks the host key and authenticates.
    public static func connect(_ configuration: SSHConfiguration, logger: Logger) async throws(SSHError) -> SSHSession {
        let session = SSHSession(configuration: configuration, logger: logger)
        try await session.connect()
        return session
    }

    /// Connects, checks the host key against the policy and authenticates, all within the connect timeout.
    func connectUntraced() throws(SSHError) {
        guard LibSSH2.isReady else { throw SSHError(.protocolError, "libssh2 failed to initialise") }
        close()
        let config = configuration
        let label = "\(config.host):\(config.port)"
        let deadline = ContinuousClock.now + config.connectTimeout
        socket = try TCPSocket.connect(host: config.host, port: config.port, timeout: config.connectTimeout)
        guard let session = libssh2_session_init_ex(nil, nil, nil, nil) else {
            close()
            throw SSHError(.protocolError, "cannot allocate an SSH session")
        }
        self.session = session
        libssh2_session_set_blocking(session, 0)
        do {
            try preferAlgorithms(session, label: label)
            try retrying(until: deadline, expired: SSHError(.timedOut, "SSH handshake with \(label) timed out")) {
                libssh2_session_handshake(session, libssh2_socket_t(socket))
            }
            try checkHostKey(session, label: label)
            try authenticate(session, label: label, deadline: deadline)
        } catch {
            close()
            throw error
        }
        libssh2_keepalive_config(session, 0, UInt32(max(1, config.keepaliveInterval.components.seconds)))
        logger.debug("ssh connected", metadata: ["ssh.host": "\(label)", "ssh.hostkey": "\(hostKeyFingerprint ?? "")"])
    }

    public var isConnected: Bool { session != nil }

    /// Runs `body` on the session's own thread, so `exec` sinks can use local state freely and
    /// several commands run back to back without hopping threads. Cancelling the calling task
    /// shuts the socket down at once, so a command blocked on the network ends within moments:
    /// the session is closed (which ends the remote command) and `SSHError.cancelled` is thrown.
    public nonisolated func perform<Result: Sendable>(_ body: @Sendable (isolated SSHSession) throws -> Result) async throws -> Result {
        try await withTaskCancellationHandler {
            try await performArmed(body)
        } onCancel: {
            interrupter.interrupt()
        }
    }

    private func performArmed<Result: Sendable>(_ body: @Sendable (isolated SSHSession) throws -> Result) throws -> Result {
        guard socket >= 0 else { return try body(self) }  // not connected: body reports it
        guard interrupter.arm(fd: socket) else {
            close()
            throw SSHError(.cancelled, "cancelled before the command started")
        }
        defer { interrupter.disarm() }
        return try body(self)
    }

    /// Throws `cancelled` when the calling task was cancelled or the socket was interrupted.
    func checkCancellation(_ action: @autoclosure () -> String) throws(SSHError) {
        if Task.isCancelled || interrupter.wasInterrupted {
            throw SSHError(.cancelled, "\(action()) was cancelled; the session was closed")
        }
    }

    /// Ends the session politely and closes the socket.
    public func close() {
        interrupter.disarm()  // before the descriptor can be reused
        if let session {
            // Best effort; the socket is non-blocking so this never hangs.
            _ = libssh2_session_disconnect_ex(session, 11, "closing", "")
            libssh2_session_free(session)
        }
        session = nil
        if socket >= 0 { Glibc.close(socket) }
        socket = -1
    }

    // MARK: - Handshake steps

    private func preferAlgorithms(_ session: OpaquePointer, label: String) throws(SSHError) {
        guard let algorithms = configuration.algorithms else { return }
        for (method, names) in [
            (LIBSSH2_METHOD_CRYPT_CS, algorithms.ciphers), (LIBSSH2_METHOD_CRYPT_SC, algorithms.ciphers),
            (LIBSSH2_METHOD_MAC_CS, algorithms.macs), (LIBSSH2_METHOD_MAC_SC, algorithms.macs),
        ] {
            guard libssh2_session_method_pref(session, method, names) == 0 else {
                throw SSHError(.protocolError, "libssh2 supports none of the algorithms '\(names)' asked for \(label)")
            }
        }
    }

    private func checkHostKey(_ session: OpaquePointer, label: String) throws(SSHError) {
        guard let hash = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256) else {
            throw SSHError(.protocolError, "\(label) sent no host key")
        }
        let digest = hash.withMemoryRebound(to: UInt8.self, capacity: 32) { Array(UnsafeBufferPointer(start: $0, count: 32)) }
        let fingerprint = HostKeyFingerprint.format(sha256: digest)
        hostKeyFingerprint = fingerprint
        var keyLength = 0
        var keyType: Int32 = 0
        if libssh2_session_hostkey(session, &keyLength, &keyType) != nil {
            hostKeyType = Self.keyTypeName(keyType)
        }
        if case .pinned(let expected) = configuration.hostKey, HostKeyFingerprint.normalize(expected) != fingerprint {
            throw SSHError(
                .hostKeyMismatch,
                "host key of \(label) is \(fingerprint), but \(HostKeyFingerprint.normalize(expected)) is pinned; the server was reinstalled or someone is intercepting the connection. Re-pin only after checking the server"
            )
        }
        if case .trustOnFirstUse = configuration.hostKey, case .password = configuration.authentication {
            throw SSHError(
                .hostKeyNotPinned,
                "\(label) presented the host key \(fingerprint), and none is pinned: a password is sent only to a checked host key. Compare it with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the server, then pin it"
            )
        }
    }

    private func authenticate(_ session: OpaquePointer, label: String, deadline: ContinuousClock.Instant) throws(SSHError) {
        let user = configuration.username
        let expired = SSHError(.timedOut, "authentication with \(label) timed out")
        let status: Int32
        do {
            switch configuration.authentication {
            case .password(let password):
                status = try retryingStatus(until: deadline, expired: expired) {
                    libssh2_userauth_password_ex(session, user, UInt32(user.utf8.count), password, UInt32(password.utf8.count), nil)
                }
            case .privateKey(let pem, let passphrase):
                status = try retryingStatus(until: deadline, expired: expired) {
                    libssh2_userauth_publickey_frommemory(session, user, user.utf8.count, nil, 0, pem, pem.utf8.count, passphrase)
                }
            }
        }
        switch status {
        case 0:
            return
        case LIBSSH2_ERROR_AUTHENTICATION_FAILED, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
            throw SSHError(.authenticationFailed, "\(label) rejected the credentials for user '\(user)'")
        case LIBSSH2_ERROR_FILE, LIBSSH2_ERROR_KEYFILE_AUTH_FAILED:
            throw SSHError(.invalidPrivateKey, "the private key for \(label) could not be read (wrong passphrase or unsupported format)")
        default:
            throw sessionError(status, during: "authentication with \(label)")
        }
    }

    // MARK: - Non-blocking helpers

    /// Calls a libssh2 function until it stops answering EAGAIN, waiting on the socket in between.
    /// Throws for negative results; returns the non-negative one.
    @discardableResult
    func retrying(until deadline: ContinuousClock.Instant, expired: SSHError, _ call: () -> Int32) throws(SSHError) -> Int32 {
        let status = try retryingStatus(until: deadline, expired: expired, call)
        if status < 0 { throw sessionError(status, during: expired.message.replacingTimedOut()) }
        return status
    }

    /// Like `retrying` but returns negative statuses to the caller instead of throwing.
    func retryingStatus(until deadline: ContinuousClock.Instant?, expired: SSHError, _ call: () -> Int32) throws(SSHError) -> Int32 {
        while true {
            let status = call()
            guard status == LIBSSH2_ERROR_EAGAIN else { return status }
            try waitForSocket(until: deadline, expired: expired)
        }
    }

    /// Waits until the socket is ready in the direction libssh2 is blocked on, at most until `deadline`
    /// and never longer than one second (so callers re-check their own timers).
    func waitForSocket(until deadline: ContinuousClock.Instant?, expired: SSHError) throws(SSHError) {
        guard let session else { throw SSHError(.notConnected, "the SSH session is closed") }
        try checkCancellation("waiting on \(configuration.host):\(configuration.port)")
        var timeout: Int32 = 1000
        if let deadline {
            let remaining = TCPSocket.milliseconds(until: deadline)
            if remaining <= 0 { throw expired }
            timeout = min(timeout, remaining)
        }
        let directions = libssh2_session_block_directions(session)
        var events: Int16 = 0
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
        if events == 0 { events = Int16(POLLIN) }
        var descriptor = pollfd(fd: socket, events: events, revents: 0)
        _ = poll(&descriptor, 1, timeout)
    }

    /// Maps a libssh2 error code to an `SSHError` with the library's own message.
    func sessionError(_ status: Int32, during action: String) -> SSHError {
        // A socket shut down by a cancellation fails libssh2 calls: report the cancellation.
        if interrupter.wasInterrupted || Task.isCancelled { return SSHError(.cancelled, "\(action) was cancelled; the session was closed") }
        var message = "libssh2 error \(status)"
        if let session {
            var text: UnsafeMutablePointer<CChar>?
            var length: Int32 = 0
            _ = libssh2_session_last_error(session, &text, &length, 0)
            if let text, length > 0 { message = String(cString: text) }
        }
        switch status {
        case LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_SOCKET_DISCONNECT, LIBSSH2_ERROR_BANNER_RECV, LIBSSH2_ERROR_BANNER_SEND:
            return SSHError(.connectionReset, "\(action): connection lost (\(message))")
        case LIBSSH2_ERROR_TIMEOUT, LIBSSH2_ERROR_SOCKET_TIMEOUT:
            return SSHError(.timedOut, "\(action) timed out (\(message))")
        case LIBSSH2_ERROR_CHANNEL_FAILURE, LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED, LIBSSH2_ERROR_CHANNEL_UNKNOWN, LIBSSH2_ERROR_CHANNEL_CLOSED:
            return SSHError(.channelFailed, "\(action): \(message)")
        default:
            return SSHError(.protocolError, "\(action): \(message)")
        }
    }

    static func keyTypeName(_ type: Int32) -> String {
        switch type {
        case 1: return "ssh-rsa"
        case 2: return "ssh-dss"
        case 3: return "ecdsa-sha2-nistp256"
        case 4: return "ecdsa-sha2-nistp384"
        case 5: return "ecdsa-sha2-nistp521"
        case 6: return "ssh-ed25519"
        default: return "unknown"
        }
    }
}

extension String {
    /// "handshake with x timed out" → "handshake with x", for messages about other failures.
    fileprivate func replacingTimedOut() -> String {
        hasSuffix(" timed out") ? String(dropLast(10)) : self
    }
}
