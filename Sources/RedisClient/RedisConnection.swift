import BlockingIO
import CHiredis
public import ErrorCodes
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One connection to Redis over hiredis, running on a thread of its own.
///
/// The actor's executor is a dedicated thread, so hiredis' blocking calls never run on the
/// cooperative pool. The connection is opened lazily and reopened after a failure: a command in
/// flight when the server goes away fails with a retryable `connectionLost`, and the next command
/// connects again. Commands are never retried here, because they may not be idempotent.
public actor RedisConnection {
    public let configuration: RedisConfiguration
    let logger: Logger
    private let executor: DedicatedThreadExecutor
    private var context: UnsafeMutablePointer<redisContext>?
    /// The server this connection talks to: the configuration's, or the cluster node it was pointed at.
    public private(set) var endpoint: RedisEndpoint
    /// Interrupts a blocking wait (BZPOPMIN) from another thread.
    let interrupter = SocketInterrupter()

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    public init(configuration: RedisConfiguration, logger: Logger) {
        self.configuration = configuration
        self.endpoint = RedisEndpoint(host: configuration.host, port: configuration.port)
        self.logger = logger
        self.executor = DedicatedThreadExecutor(name: "redis")
    }

    isolated deinit {
        if let context { redisFree(context) }
        executor.shutdown()
    }

    /// Whether a live connection is open now (no I/O is done to find out).
    public var isConnected: Bool { context != nil }

    /// Opens the connection now instead of on the first command.
    public func connect() throws(RedisError) {
        _ = try connectedContext()
    }

    /// Points the connection at another server (a cluster node); an open connection to a
    /// different one is closed and the next command connects to `endpoint`.
    public func retarget(to endpoint: RedisEndpoint) {
        guard endpoint != self.endpoint else { return }
        dropContext()
        self.endpoint = endpoint
    }

    /// Closes the connection; the next command opens a new one.
    public func close() {
        dropContext()
    }

    /// Sends one command and waits for its reply. An error reply is returned as `.error`, not thrown.
    public func send(_ arguments: [RedisArgument]) throws(RedisError) -> RESPValue {
        try Self.requireWords(arguments)
        let context = try connectedContext()
        let raw = Self.withArgv(arguments) { argc, argv, lengths in
            redisCommandArgv(context, argc, argv, lengths)
        }
        guard let raw else { throw failure(context, during: arguments) }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return RESPValue(reply)
    }

    /// Sends a command and throws a `serverError` when Redis answers with an error reply.
    @discardableResult
    public func command(_ arguments: [RedisArgument]) throws(RedisError) -> RESPValue {
        try send(arguments).throwingServerError()
    }

    /// Sends a command given as words: `command("SET", "k", "v")`.
    @discardableResult
    public func command(_ words: String...) throws(RedisError) -> RESPValue {
        try command(words.map { RedisArgument($0) })
    }

    /// Sends many commands in one write and reads all their replies (pipelining).
    ///
    /// Replies come back in order; error replies are values in the result, not thrown. Large
    /// batches are written in slices so the client's buffers stay bounded.
    public func pipeline(_ commands: [[RedisArgument]]) throws(RedisError) -> [RESPValue] {
        var replies: [RESPValue] = []
        replies.reserveCapacity(commands.count)
        let sliceSize = 4096
        var start = 0
        while start < commands.count {
            let end = min(start + sliceSize, commands.count)
            try pipelineSlice(commands[start..<end], into: &replies)
            start = end
        }
        return replies
    }

    private func pipelineSlice(_ commands: ArraySlice<[RedisArgument]>, into replies: inout [RESPValue]) throws(RedisError) {
        for arguments in commands { try Self.requireWords(arguments) }
        let context = try connectedContext()
        for arguments in commands {
            let status = Self.withArgv(arguments) { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            guard status == REDIS_OK else { throw failure(context, during: arguments) }
        }
        for _ in commands.indices {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
                throw failure(context, during: nil)
            }
            replies.append(RESPValue(raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
    }

    // MARK: - Connection management

    func connectedContext() throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        if let context { return context }
        let config = configuration
        guard let context = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), Self.timeval(config.connectTimeout)) else {
            throw RedisError(.connectionFailed, "could not allocate a connection to \(serverDescription)")
        }
        if context.pointee.err != 0 {
            let message = Self.errorText(context)
            redisFree(context)
            throw RedisError(.connectionFailed, "cannot connect to \(serverDescription): \(message)")
        }
        _ = redisSetTimeout(context, Self.timeval(config.commandTimeout))
        _ = redisEnableKeepAlive(context)
        self.context = context
        do {
            try authenticateAndSelect()
        } catch {
            dropContext()
            throw RedisError(.connectionFailed, "\(serverDescription): \(error.message)")
        }
        logger.debug("redis connected", metadata: ["redis.server": "\(endpoint)"])
        return context
    }

    private func authenticateAndSelect() throws(RedisError) {
        if let password = configuration.password {
            var auth: [RedisArgument] = ["AUTH"]
            if let username = configuration.username { auth.append(RedisArgument(username)) }
            auth.append(RedisArgument(password))
            // AUTH's reply never echoes the password; the message names only the failure.
            if case .error(let message) = try send(auth) {
                throw RedisError(.connectionFailed, "authentication rejected: \(message)")
            }
        }
        if configuration.database != 0 {
            try command(["SELECT", RedisArgument(configuration.database)])
        }
        if let name = configuration.clientName {
            try command(["CLIENT", "SETNAME", RedisArgument(name)])
        }
    }

    /// The server for messages, the password left out.
    var serverDescription: String {
        configuration.isCluster ? "redis cluster node \(endpoint)" : configuration.redactedDescription
    }

    func dropContext() {
        interrupter.disarm()
        if let context { redisFree(context) }
        context = nil
    }

    /// Turns hiredis' error state into a `RedisError` and drops the now unusable connection.
    func failure(_ context: UnsafeMutablePointer<redisContext>, during arguments: [RedisArgument]?) -> RedisError {
        let code = context.pointee.err
        let savedErrno = errno
        let message = Self.errorText(context)
        let interrupted = interrupter.wasInterrupted
        dropContext()
        let commandName = arguments?.first.map { String(decoding: $0.bytes, as: UTF8.self) } ?? "pipeline"
        if interrupted {
            return RedisError(.interrupted, "\(commandName) was interrupted")
        }
        switch code {
        case REDIS_ERR_IO where savedErrno == EAGAIN || savedErrno == EWOULDBLOCK || message.contains("temporarily unavailable"):
            return RedisError(.timedOut, "\(commandName) got no reply within \(configuration.commandTimeout) from \(serverDescription)")
        case REDIS_ERR_IO, REDIS_ERR_EOF:
            return RedisError(.connectionLost, "connection to \(serverDescription) lost during \(commandName): \(message); the next command reconnects")
        case REDIS_ERR_PROTOCOL:
            return RedisError(.protocolError, "protocol error during \(commandName): \(message)")
        default:
            return RedisError(.connectionLost, "\(commandName) failed: \(message)")
        }
    }

    // MARK: - C helpers

    static func timeval(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }

    static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Lays the arguments out as the argv/argvlen arrays hiredis wants, without copying each one twice.
    static func requireWords(_ arguments: [RedisArgument]) throws(RedisError) {
        guard !arguments.isEmpty else { throw RedisError(.invalidCommand, "a Redis command needs at least one word") }
    }

    /// Lays `arguments` (never empty) out as hiredis' argc/argv/argvlen.
    static func withArgv<Result>(
        _ arguments: [RedisArgument],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Result
    ) -> Result {
        var joined: [UInt8] = []
        joined.reserveCapacity(arguments.reduce(0) { $0 + $1.bytes.count } + 1)
        var offsets: [Int] = []
        offsets.reserveCapacity(arguments.count)
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(joined.count)
            lengths.append(argument.bytes.count)
            joined.append(contentsOf: argument.bytes)
        }
        joined.append(0)
        return joined.withUnsafeBufferPointer { buffer in
            // `joined` always holds the trailing NUL and callers pass at least one word, so
            // none of these buffers is empty and their base addresses exist.
            guard let joinedBase = buffer.baseAddress else { preconditionFailure("argv storage is never empty") }
            let base = UnsafeRawPointer(joinedBase).assumingMemoryBound(to: CChar.self)
            var argv = offsets.map { Optional(base + $0) }
            return argv.withUnsafeMutableBufferPointer { argvBuffer in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    guard let argvBase = argvBuffer.baseAddress, let lengthBase = lengthBuffer.baseAddress else {
                        preconditionFailure("withArgv needs at least one word; callers check with requireWords")
                    }
                    return body(Int32(arguments.count), argvBase, lengthBase)
                }
            }
        }
    }
}

extension RESPValue {
    /// Copies a hiredis reply tree into Swift values (the caller frees the C reply).
    init(_ reply: UnsafeMutablePointer<redisReply>) {
        let reply = reply.pointee
        switch reply.type {
        case REDIS_REPLY_STRING:
            self = .bulkString(Self.copyBytes(reply.str, reply.len))
        case REDIS_REPLY_STATUS:
            self = .simpleString(String(decoding: Self.copyBytes(reply.str, reply.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.copyBytes(reply.str, reply.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int(reply.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RESPValue] = []
            elements.reserveCapacity(reply.elements)
            for index in 0..<reply.elements {
                if let element = reply.element[index] {
                    elements.append(RESPValue(element))
                } else {
                    elements.append(.null)
                }
            }
            self = .array(elements)
        default:
            self = .null
        }
    }

    private static func copyBytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }
}
