import CLibSSH2
import ErrorCodes

/// Limits for one remote command.
public struct SSHExecOptions: Sendable {
    /// Longest the command may run; nil for no limit.
    public var timeout: Duration?
    /// Longest the command may go without sending or accepting data; nil for no limit.
    public var idleTimeout: Duration?
    /// Stderr kept for the result (the first bytes; the rest is counted, not stored).
    public var maxStderrBytes: Int

    public init(timeout: Duration? = nil, idleTimeout: Duration? = nil, maxStderrBytes: Int = 64 * 1024) {
        self.timeout = timeout
        self.idleTimeout = idleTimeout
        self.maxStderrBytes = maxStderrBytes
    }
}

/// How a remote command ended.
public struct SSHExecResult: Sendable {
    /// Exit status; nil when the command was killed by a signal.
    public var exitStatus: Int32?
    /// Signal name (`TERM`, `KILL`) when the command died of one.
    public var exitSignal: String?
    /// The first `maxStderrBytes` of stderr.
    public var stderr: [UInt8]
    public var stderrByteCount: Int
    public var stdoutByteCount: Int
    public var stdinByteCount: Int

    public init(
        exitStatus: Int32?, exitSignal: String? = nil, stderr: [UInt8] = [], stderrByteCount: Int? = nil,
        stdoutByteCount: Int = 0, stdinByteCount: Int = 0
    ) {
        self.exitStatus = exitStatus
        self.exitSignal = exitSignal
        self.stderr = stderr
        self.stderrByteCount = stderrByteCount ?? stderr.count
        self.stdoutByteCount = stdoutByteCount
        self.stdinByteCount = stdinByteCount
    }

    /// Stderr as text for messages and logs: the server is outside, so what a terminal would act
    /// on (escape sequences) is shown as escapes; line breaks stay.
    public var stderrText: String { String(decoding: stderr, as: UTF8.self).withVisibleControls(keepingLineBreaks: true) }
    public var stderrTruncated: Bool { stderrByteCount > stderr.count }
    public var succeeded: Bool { exitStatus == 0 }
}

/// A command's whole output, for short commands (probes, checks).
public struct SSHCommandOutput: Sendable {
    public var stdout: String
    /// As `SSHExecResult.stderrText`: escape sequences shown, line breaks kept.
    public var stderr: String
    public var exitStatus: Int32?
    public var stdoutTruncated: Bool
}

extension SSHSession {
    static let windowSize: UInt32 = 8 * 1024 * 1024
    static let packetSize: UInt32 = 32768
    static let readChunkSize = 256 * 1024

    /// Runs `command` on the server, streaming stdout into `stdout` chunk by chunk.
    ///
    /// Memory stays bounded by one chunk whatever the output size; `stdin`, when given, is asked
    /// for chunks until it returns nil, and then the remote side sees end of file. Errors thrown
    /// by the sinks end the command and are rethrown as they are.
    func execUntraced(
        _ command: String,
        options: SSHExecOptions = SSHExecOptions(),
        stdin: (() throws -> [UInt8]?)? = nil,
        stdout: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> SSHExecResult {
        guard let session else { throw SSHError(.notConnected, "the SSH session is closed; connect first") }
        let label = "\(configuration.host):\(configuration.port)"
        let deadline = options.timeout.map { ContinuousClock.now + $0 }
        let timedOut = SSHError(.commandTimedOut, "command on \(label) ran longer than \(options.timeout ?? .zero) and was abandoned")
        let openDeadline = deadline ?? ContinuousClock.now + configuration.connectTimeout

        let channel = try openChannel(session, until: openDeadline, expired: timedOut, label: label)
        var finished = false
        defer { release(channel, cleanly: finished) }
        try retrying(until: openDeadline, expired: timedOut) {
            libssh2_channel_process_startup(channel, "exec", 4, command, UInt32(command.utf8.count))
        }

        var result = SSHExecResult(exitStatus: nil, exitSignal: nil, stderr: [], stderrByteCount: 0, stdoutByteCount: 0, stdinByteCount: 0)
        var buffer = [UInt8](repeating: 0, count: Self.readChunkSize)
        var input: [UInt8] = []
        var inputOffset = 0
        var inputDone = stdin == nil
        var eofSent = false
        var idleDeadline = options.idleTimeout.map { ContinuousClock.now + $0 }

        while true {
            try checkCancellation("the command on \(label)")
            var progressed = false
            if !inputDone, inputOffset == input.count, let stdin {
                if let next = try stdin() {
                    input = next
                    inputOffset = 0
                } else {
                    inputDone = true
                }
            }
            if inputOffset < input.count {
                let written = input.withUnsafeBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return libssh2_channel_write_ex(channel, 0, base.advanced(by: inputOffset).assumingMemoryBound(to: CChar.self), input.count - inputOffset)
                }
                if written > 0 {
                    inputOffset += written
                    result.stdinByteCount += written
                    progressed = true
                } else if written < 0, written != Int(LIBSSH2_ERROR_EAGAIN) {
                    throw sessionError(Int32(written), during: "writing to the command on \(label)")
                }
            }
            if inputDone, !eofSent {
                let status = libssh2_channel_send_eof(channel)
                if status == 0 {
                    eofSent = true
                } else if status != LIBSSH2_ERROR_EAGAIN {
                    throw sessionError(status, during: "closing the command's input on \(label)")
                }
            }

            // Drain what stdout has before looking at stderr: each read that finds nothing costs a
            // recv(2), and a bulk transfer is nearly all stdout. Bounded so stdin and stderr still turn.
            for _ in 0..<64 {
                let outCount = try read(channel, stream: 0, into: &buffer, label: label)
                guard outCount > 0 else { break }
                result.stdoutByteCount += outCount
                try buffer.withUnsafeBytes { try stdout(UnsafeRawBufferPointer(rebasing: $0[0..<outCount])) }
                progressed = true
            }
            let errCount = try read(channel, stream: SSH_EXTENDED_DATA_STDERR, into: &buffer, label: label)
            if errCount > 0 {
                let room = max(0, options.maxStderrBytes - result.stderr.count)
                result.stderr.append(contentsOf: buffer[0..<min(room, errCount)])
                result.stderrByteCount += errCount
                progressed = true
            }

            if progressed {
                idleDeadline = options.idleTimeout.map { ContinuousClock.now + $0 }
                continue
            }
            if libssh2_channel_eof(channel) == 1 { break }
            let now = ContinuousClock.now
            if let deadline, now >= deadline { throw timedOut }
            if let idleDeadline, now >= idleDeadline {
                throw SSHError(.idleTimedOut, "command on \(label) sent and accepted no data for \(options.idleTimeout ?? .zero)")
            }
            var secondsToNext: Int32 = 0
            _ = libssh2_keepalive_send(session, &secondsToNext)
            let waitUntil = [deadline, idleDeadline].compactMap { $0 }.min()
            try waitForSocket(
                until: waitUntil,
                expired: waitUntil == idleDeadline && idleDeadline != nil
                    ? SSHError(.idleTimedOut, "command on \(label) sent and accepted no data for \(options.idleTimeout ?? .zero)")
                    : timedOut)
        }

        // The command is done; closing gets a short budget of its own.
        let closeDeadline = ContinuousClock.now + .seconds(5)
        let closeTimedOut = SSHError(.timedOut, "closing the channel on \(label) took longer than 5 s")
        try retrying(until: closeDeadline, expired: closeTimedOut) { libssh2_channel_close(channel) }
        try retrying(until: closeDeadline, expired: closeTimedOut) { libssh2_channel_wait_closed(channel) }
        finished = true
        Self.readExit(channel, session: session, into: &result)
        return result
    }

    /// Runs a short command and returns its output as text (stdout capped at `maxOutputBytes`).
    public func run(_ command: String, timeout: Duration = .seconds(30), maxOutputBytes: Int = 8 * 1024 * 1024) throws -> SSHCommandOutput {
        var output: [UInt8] = []
        var truncated = false
        let result = try exec(command, options: SSHExecOptions(timeout: timeout)) { chunk in
            let room = maxOutputBytes - output.count
            if chunk.count > room { truncated = true }
            output.append(contentsOf: chunk.prefix(max(0, room)))
        }
        return SSHCommandOutput(
            stdout: String(decoding: output, as: UTF8.self),
            stderr: result.stderrText,
            exitStatus: result.exitStatus,
            stdoutTruncated: truncated
        )
    }

    // MARK: - Channel plumbing

    private func openChannel(_ session: OpaquePointer, until deadline: ContinuousClock.Instant, expired: SSHError, label: String) throws(SSHError) -> OpaquePointer {
        while true {
            if let channel = libssh2_channel_open_ex(session, "session", 7, Self.windowSize, Self.packetSize, nil, 0) {
                return channel
            }
            let status = libssh2_session_last_errno(session)
            guard status == LIBSSH2_ERROR_EAGAIN else {
                throw sessionError(status, during: "opening a channel on \(label)")
            }
            try waitForSocket(until: deadline, expired: expired)
        }
    }

    /// Reads what is available on one stream; 0 when nothing is (EAGAIN) or at end of stream.
    private func read(_ channel: OpaquePointer, stream: Int32, into buffer: inout [UInt8], label: String) throws(SSHError) -> Int {
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return libssh2_channel_read_ex(channel, stream, base.assumingMemoryBound(to: CChar.self), raw.count)
        }
        if count >= 0 { return count }
        if count == Int(LIBSSH2_ERROR_EAGAIN) { return 0 }
        throw sessionError(Int32(count), during: "reading from the command on \(label)")
    }

    /// Frees the channel. After an abandoned command the channel may be mid-transfer, so the whole
    /// session is closed rather than left in a state the next command would trip over.
    private func release(_ channel: OpaquePointer, cleanly: Bool) {
        if !cleanly {
            close()
            return
        }
        var attempts = 0
        while libssh2_channel_free(channel) == LIBSSH2_ERROR_EAGAIN, attempts < 50 {
            attempts += 1
            try? waitForSocket(until: ContinuousClock.now + .milliseconds(100), expired: SSHError(.timedOut, "freeing a channel"))
        }
    }

    private static func readExit(_ channel: OpaquePointer, session: OpaquePointer, into result: inout SSHExecResult) {
        var signal: UnsafeMutablePointer<CChar>?
        var signalLength = 0
        _ = libssh2_channel_get_exit_signal(channel, &signal, &signalLength, nil, nil, nil, nil)
        if let signal, signalLength > 0 {
            result.exitSignal = String(decoding: UnsafeRawBufferPointer(start: signal, count: signalLength), as: UTF8.self)
            libssh2_free(session, signal)
        } else {
            result.exitStatus = libssh2_channel_get_exit_status(channel)
        }
    }
}
