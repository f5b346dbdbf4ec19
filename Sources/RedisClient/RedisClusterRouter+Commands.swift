import ErrorCodes

extension RedisClusterRouter {
    /// Sends one command to its slot's node, following redirects; error replies are returned.
    /// `then` (e.g. WAIT) follows on the same connection once the command was not redirected.
    func send(_ arguments: [RedisArgument], then: [RedisArgument]? = nil) async throws -> RESPValue {
        try await routed(arguments) { target, asking in
            let reply: RESPValue
            do {
                reply = try await pool(for: target).withConnection { connection in
                    if asking { _ = try await connection.send(["ASKING"]) }
                    let reply = try await connection.send(arguments)
                    if let then, RedisClusterRedirect(reply) == nil { _ = try await connection.send(then) }
                    return reply
                }
            } catch {
                noteFailure(error)
                throw error
            }
            guard let redirect = RedisClusterRedirect(reply) else { return .answered(reply) }
            return .redirected(redirect, reply: reply)
        }
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
        try await routed(arguments) { target, asking in
            await connection.retarget(to: target)
            do {
                if asking { _ = try await connection.send(["ASKING"]) }
                return .answered(try await connection.blockingCommand(arguments, serverTimeout: serverTimeout))
            } catch {
                if let error = error as? RedisError, error.code == .serverError, let redirect = RedisClusterRedirect(errorMessage: error.message) {
                    return .redirected(redirect, reply: .error(redirect.kind == .moved ? "MOVED" : "ASK"))
                }
                noteFailure(error)
                throw error
            }
        }
    }

    /// What one try of a routed command met: the answer, or a redirect (with the reply that said so).
    private enum RoutedAttempt {
        case answered(RESPValue)
        case redirected(RedisClusterRedirect, reply: RESPValue)
    }

    /// Runs `attempt` against the node of the command's slot (with ASKING when an ASK redirect
    /// pointed elsewhere), following MOVED and ASK at most `maxRedirects` times.
    private func routed(
        _ arguments: [RedisArgument], _ attempt: (_ target: RedisEndpoint, _ asking: Bool) async throws -> RoutedAttempt
    ) async throws -> RESPValue {
        let slot = RedisCommandKey.slot(of: arguments)
        var asking: RedisEndpoint?
        var last = RESPValue.null
        for _ in 0...Self.maxRedirects {
            let target: RedisEndpoint
            if let asking { target = asking } else { target = try await endpoint(forSlot: slot) }
            switch try await attempt(target, asking != nil) {
            case .answered(let reply):
                return reply
            case .redirected(let redirect, let reply):
                last = reply
                try await follow(redirect)
                asking = redirect.kind == .ask ? redirect.endpoint : nil
            }
        }
        throw Self.tooManyRedirects(arguments, last: last)
    }
}
