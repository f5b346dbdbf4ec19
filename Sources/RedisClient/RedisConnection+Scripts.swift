extension RedisConnection {
    /// Runs a script by SHA1 (EVALSHA); when Redis does not know it (NOSCRIPT, e.g. after a restart
    /// or SCRIPT FLUSH) it loads it and runs it again. Error replies from the script are returned.
    public func evalScript(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) throws(RedisError) -> RESPValue {
        let call = Self.evalShaCommand(script, keys: keys, arguments: arguments)
        let reply = try send(call)
        guard Self.isNoScript(reply) else { return reply }
        try loadScript(script)
        return try send(call)
    }

    /// Runs several script calls in one pipeline; scripts Redis does not know are loaded and the
    /// calls that met NOSCRIPT are sent again (in their original order).
    public func pipelineScripts(_ calls: [(script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument])]) throws(RedisError) -> [RESPValue] {
        let commands = calls.map { Self.evalShaCommand($0.script, keys: $0.keys, arguments: $0.arguments) }
        var replies = try pipeline(commands)
        let missing = replies.indices.filter { Self.isNoScript(replies[$0]) }
        guard !missing.isEmpty else { return replies }
        var loaded = Set<String>()
        for index in missing where loaded.insert(calls[index].script.sha1).inserted {
            try loadScript(calls[index].script)
        }
        let retried = try pipeline(missing.map { commands[$0] })
        for (position, index) in missing.enumerated() {
            replies[index] = retried[position]
        }
        return replies
    }

    /// SCRIPT LOAD; checks that Redis computed the same SHA1.
    public func loadScript(_ script: RedisScript) throws(RedisError) {
        let reply = try command(["SCRIPT", "LOAD", RedisArgument(script.source)])
        guard reply.string == script.sha1 else {
            throw RedisError(.unexpectedReply, "SCRIPT LOAD of \(script.name) returned \(reply.string ?? "nothing"), expected \(script.sha1)")
        }
    }

    static func evalShaCommand(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) -> [RedisArgument] {
        var command: [RedisArgument] = ["EVALSHA", RedisArgument(script.sha1), RedisArgument(keys.count)]
        command.reserveCapacity(3 + keys.count + arguments.count)
        command.append(contentsOf: keys)
        command.append(contentsOf: arguments)
        return command
    }

    static func isNoScript(_ reply: RESPValue) -> Bool {
        reply.errorMessage?.hasPrefix("NOSCRIPT") == true
    }
}
