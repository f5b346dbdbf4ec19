extension RedisConnection {
    /// Runs a script by SHA1 (EVALSHA); when Redis does not know it (NOSCRIPT, e.g. after a restart
    /// or SCRIPT FLUSH) it runs it once with EVAL, which also caches it. EVAL rather than
    /// SCRIPT LOAD + EVALSHA, because a flush between those two would fail the call again.
    /// Error replies from the script are returned.
    public func evalScript(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) throws(RedisError) -> RESPValue {
        let reply = try send(Self.evalShaCommand(script, keys: keys, arguments: arguments))
        guard Self.isNoScript(reply) else { return reply }
        return try send(Self.evalSourceCommand(script, keys: keys, arguments: arguments))
    }

    /// Runs several script calls in one pipeline; the calls that met NOSCRIPT are sent again with
    /// EVAL (in their original order).
    public func pipelineScripts(_ calls: [(script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument])]) throws(RedisError) -> [RESPValue] {
        let commands = calls.map { Self.evalShaCommand($0.script, keys: $0.keys, arguments: $0.arguments) }
        var replies = try pipeline(commands)
        let missing = replies.indices.filter { Self.isNoScript(replies[$0]) }
        guard !missing.isEmpty else { return replies }
        let retried = try pipeline(missing.map { Self.evalSourceCommand(calls[$0].script, keys: calls[$0].keys, arguments: calls[$0].arguments) })
        for (position, index) in missing.enumerated() {
            replies[index] = retried[position]
        }
        return replies
    }

    static func evalShaCommand(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) -> [RedisArgument] {
        scriptCommand(["EVALSHA", RedisArgument(script.sha1)], keys: keys, arguments: arguments)
    }

    static func evalSourceCommand(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) -> [RedisArgument] {
        scriptCommand(["EVAL", RedisArgument(script.source)], keys: keys, arguments: arguments)
    }

    private static func scriptCommand(_ head: [RedisArgument], keys: [RedisArgument], arguments: [RedisArgument]) -> [RedisArgument] {
        var command = head
        command.reserveCapacity(3 + keys.count + arguments.count)
        command.append(RedisArgument(keys.count))
        command.append(contentsOf: keys)
        command.append(contentsOf: arguments)
        return command
    }

    static func isNoScript(_ reply: RESPValue) -> Bool {
        reply.errorMessage?.hasPrefix("NOSCRIPT") == true
    }
}
