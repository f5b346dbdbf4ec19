extension RedisClusterRouter {
    /// Sends one command to its slot's node, following redirects; error replies are returned.
    /// `then` (e.g. WAIT) follows on the same connection once the command was not redirected.
    func send(_ arguments: [RedisArgument], then: [RedisArgument]? = nil) async throws -> RESPValue {
        let slot = RedisCommandKey.slot(of: arguments)
        var asking: RedisEndpoint?
        var last = RESPValue.null
        for _ in 0...Self.maxRedirects {
            let target: RedisEndpoint
            if let asking { target = asking } else { target = try await endpoint(forSlot: slot) }
            let reply: RESPValue
            do {
                reply = try await pool(for: target).withConnection { [asking] connection in
                    if asking != nil { _ = try await connection.send(["ASKING"]) }
                    let reply = try await connection.send(arguments)
                    if let then, RedisClusterRedirect(reply) == nil { _ = try await connection.send(then) }
                    return reply
                }
            } catch {
                noteFailure(error)
                throw error
            }
            guard let redirect = RedisClusterRedirect(reply) else { return reply }
            last = reply
            try await follow(redirect)
            asking = redirect.kind == .ask ? redirect.endpoint : nil
        }
        throw Self.tooManyRedirects(arguments, last: last)
    }

    /// Sends `arguments` to every master and returns their replies (e.g. CLIENT LIST, SCRIPT LOAD).
    func sendToEveryMaster(_ arguments: [RedisArgument]) async throws -> [RESPValue] {
        var replies: [RESPValue] = []
        for master in try await masters() {
            do {
                replies.append(try await pool(for: master).withConnection { try await $0.send(arguments) })
            } catch {
                noteFailure(error)
                throw error
            }
        }
        return replies
    }

    /// A blocking command (BZPOPMIN, XREAD BLOCK) on a connection of its own: the connection is
    /// pointed at the slot's node first, and again after a redirect.
    func blockingCommand(on connection: RedisConnection, _ arguments: [RedisArgument], serverTimeout: Duration) async throws -> RESPValue {
        let slot = RedisCommandKey.slot(of: arguments)
        var asking: RedisEndpoint?
        var last = RESPValue.null
        for _ in 0...Self.maxRedirects {
            let target: RedisEndpoint
            if let asking { target = asking } else { target = try await endpoint(forSlot: slot) }
            await connection.retarget(to: target)
            let redirect: RedisClusterRedirect
            do {
                if asking != nil { _ = try await connection.send(["ASKING"]) }
                return try await connection.blockingCommand(arguments, serverTimeout: serverTimeout)
            } catch {
                guard error.code == .serverError, let found = RedisClusterRedirect(errorMessage: error.message) else {
                    noteFailure(error)
                    throw error
                }
                redirect = found
            }
            last = .error(redirect.kind == .moved ? "MOVED" : "ASK")
            try await follow(redirect)
            asking = redirect.kind == .ask ? redirect.endpoint : nil
        }
        throw Self.tooManyRedirects(arguments, last: last)
    }
}
