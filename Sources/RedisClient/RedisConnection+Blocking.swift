import BlockingIO
import CHiredis
public import ErrorCodes

extension RedisConnection {
    /// Runs a command that blocks on the server (BZPOPMIN, BLMOVE, XREAD BLOCK) for up to `serverTimeout`.
    ///
    /// The socket's read timeout is stretched to `serverTimeout` plus the command timeout for this
    /// one call, so a slow server still fails instead of hanging. Cancelling the calling task (or
    /// calling `interrupt()`) shuts the socket down: the wait ends at once with `interrupted` and
    /// the next command reconnects. Use a connection of its own for blocking commands.
    public func blockingCommand(_ arguments: [RedisArgument], serverTimeout: Duration) async throws(RedisError) -> RESPValue {
        let result: Result<RESPValue, RedisError> = await withTaskCancellationHandler {
            do throws(RedisError) {
                return .success(try blockingSend(arguments, serverTimeout: serverTimeout))
            } catch {
                return .failure(error)
            }
        } onCancel: {
            interrupter.interrupt()
        }
        return try result.get().throwingServerError()
    }

    private func blockingSend(_ arguments: [RedisArgument], serverTimeout: Duration) throws(RedisError) -> RESPValue {
        let context = try connectedContext()
        // An interrupt or cancellation that came before `arm` found no socket to shut down; honour it here.
        guard interrupter.arm(fd: context.pointee.fd) else {
            throw RedisError(.interrupted, "blocking wait interrupted before it started")
        }
        if Task.isCancelled {
            interrupter.disarm()
            throw RedisError(.interrupted, "blocking wait cancelled before it started")
        }
        _ = redisSetTimeout(context, Self.timeval(serverTimeout + configuration.commandTimeout))
        let raw = Self.withArgv(arguments) { argc, argv, lengths in
            redisCommandArgv(context, argc, argv, lengths)
        }
        guard let raw else { throw failure(context, during: arguments) }
        interrupter.disarm()
        _ = redisSetTimeout(context, Self.timeval(configuration.commandTimeout))
        defer { freeReplyObject(raw) }
        return RESPValue(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Ends a blocking wait in progress on this connection, from any task or thread.
    public nonisolated func interrupt() {
        interrupter.interrupt()
    }
}
