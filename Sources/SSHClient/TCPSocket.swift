import ErrorCodes

#if canImport(Glibc)
    import BlockingIO
    import Glibc
#endif

/// Opens a TCP connection with a deadline and classifies why it failed.
enum TCPSocket {
    /// Tries each address of `host` in turn; returns a connected, non-blocking socket.
    static func connect(host: String, port: Int, timeout: Duration) throws(SSHError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            let reason = String(cString: gai_strerror(status))
            throw SSHError(.hostNotFound, "cannot resolve \(host): \(reason)")
        }
        defer { freeaddrinfo(list) }

        let deadline = ContinuousClock.now + timeout
        var lastError = SSHError(.hostUnreachable, "no address for \(host)")
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let address = entry {
            entry = address.pointee.ai_next
            do {
                return try connect(address.pointee, deadline: deadline, label: "\(host):\(port)")
            } catch {
                lastError = error
                if error.code == .timedOut { break }
            }
        }
        throw lastError
    }

    private static func connect(_ address: addrinfo, deadline: ContinuousClock.Instant, label: String) throws(SSHError) -> Int32 {
        let fd = socket(address.ai_family, address.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), address.ai_protocol)
        guard fd >= 0 else { throw SSHError(.hostUnreachable, "cannot create a socket for \(label): \(errnoText())") }
        var nodelay: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &nodelay, socklen_t(MemoryLayout<Int32>.size))
        if Glibc.connect(fd, address.ai_addr, address.ai_addrlen) == 0 { return fd }
        guard errno == EINPROGRESS else {
            let error = classify(errno, label: label)
            close(fd)
            throw error
        }
        var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let remaining = milliseconds(until: deadline)
        let ready = remaining > 0 ? poll(&descriptor, 1, remaining) : 0
        guard ready > 0 else {
            close(fd)
            throw SSHError(.timedOut, "connecting to \(label) timed out")
        }
        var socketError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
        guard socketError == 0 else {
            close(fd)
            throw classify(socketError, label: label)
        }
        return fd
    }

    static func classify(_ code: Int32, label: String) -> SSHError {
        let text = String(cString: strerror(code))
        switch code {
        case ECONNREFUSED: return SSHError(.connectionRefused, "\(label) refused the connection")
        case ETIMEDOUT: return SSHError(.timedOut, "connecting to \(label) timed out")
        case ECONNRESET, EPIPE: return SSHError(.connectionReset, "\(label) reset the connection")
        default: return SSHError(.hostUnreachable, "cannot reach \(label): \(text)")
        }
    }

    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        Int32(clamping: max(0, (deadline - .now).wholeMilliseconds))
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
