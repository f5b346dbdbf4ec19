import ErrorCodes
import RedisClient
import TestSupport
import Testing

@Suite struct RedisBlockingTests {
    @Test func blockingPopTimesOutWithNull() async throws {
        let redis = try makeConnection()
        let key = RedisArgument(TestEnvironment.uniqueName("marker"))
        let clock = ContinuousClock()
        let started = clock.now
        let reply = try await redis.blockingCommand(["BZPOPMIN", key, "0.3"], serverTimeout: .milliseconds(300))
        #expect(reply.isNull)
        #expect(clock.now - started >= .milliseconds(250))
    }

    @Test func blockingPopReturnsWhenAMemberArrives() async throws {
        let name = TestEnvironment.uniqueName("waiter")
        let waiter = try makeConnection(clientName: name)
        let producer = try makeConnection()
        let key = RedisArgument(TestEnvironment.uniqueName("marker"))
        // A long server timeout: on a loaded machine seeing the wait in CLIENT LIST can take seconds.
        let task = Task { try await waiter.blockingCommand(["BZPOPMIN", key, "30"], serverTimeout: .seconds(30)) }
        #expect(try await blocked(name))
        try await producer.command(["ZADD", key, "0", "0"])
        let reply = try await task.value
        #expect(reply.array?.count == 3)
        #expect(reply.array?[1].string == "0")
    }

    @Test func cancellingABlockingPopInterruptsItAtOnce() async throws {
        let name = TestEnvironment.uniqueName("waiter")
        let redis = try makeConnection(clientName: name)
        let key = RedisArgument(TestEnvironment.uniqueName("marker"))
        let clock = ContinuousClock()
        let task = Task { try await redis.blockingCommand(["BZPOPMIN", key, "30"], serverTimeout: .seconds(30)) }
        #expect(try await blocked(name))
        // Counted from the cancel: connecting and blocking can take seconds on a loaded machine.
        let started = clock.now
        task.cancel()
        let error = try await #require(throws: RedisError.self, "the wait should have been interrupted") {
            _ = try await task.value
        }
        #expect(error.code == .interrupted)
        #expect(clock.now - started < .seconds(15))  // far below the 30 s the wait asked for
        // The connection comes back for the next command.
        #expect(try await redis.command("PING").string == "PONG")
    }

    @Test func interruptFromAnotherTaskEndsTheWait() async throws {
        let name = TestEnvironment.uniqueName("waiter")
        let redis = try makeConnection(clientName: name)
        let key = RedisArgument(TestEnvironment.uniqueName("marker"))
        let task = Task { try await redis.blockingCommand(["BZPOPMIN", key, "30"], serverTimeout: .seconds(30)) }
        #expect(try await blocked(name))
        redis.interrupt()
        await #expect(throws: RedisError.self) { try await task.value }
    }

    @Test func interruptBeforeTheWaitEndsItAtOnce() async throws {
        let redis = try makeConnection()
        #expect(try await redis.command("PING").string == "PONG")
        redis.interrupt()  // e.g. shutdown racing a worker that is about to block
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: RedisError.self) {
            try await redis.blockingCommand(["BZPOPMIN", RedisArgument(TestEnvironment.uniqueName("marker")), "30"], serverTimeout: .seconds(30))
        }
        #expect(clock.now - started < .seconds(5))
        // Only that one wait was refused.
        let value = try await redis.blockingCommand(["BZPOPMIN", RedisArgument(TestEnvironment.uniqueName("marker")), "0.1"], serverTimeout: .seconds(1))
        #expect(value.isNull)
    }
}
