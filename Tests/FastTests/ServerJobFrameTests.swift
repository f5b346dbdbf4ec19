import Foundation
import InMemoryStores
import JobQueue
import Records
import ServerJobs
import Testing

/// The frame every job attempt runs in, over in-memory stores: what it records and what it tells
/// the queue for each way an attempt can end.
@Suite struct ServerJobFrameTests {
    let servers = InMemoryServerStore()
    let lease: InMemoryLease
    let attempts = InMemoryJobAttempts()
    let connector = ScriptedConnector()
    let failures = FinalFailures()

    init(leaseDuration: Duration = .seconds(60)) {
        lease = InMemoryLease(duration: leaseDuration)
    }

    func frame() -> ServerJobFrame<ScriptedConnector> {
        ServerJobFrame(
            servers: servers, lease: lease, attempts: attempts, connector: connector, busyRetryDelay: .seconds(5), logger: quietLogger(),
            workerName: "worker-a")
    }

    func run<Result: Sendable>(
        _ server: Server, _ attempt: FakeAttempt = FakeAttempt(),
        _ work: @escaping @Sendable (Server, ScriptedConnector.Session) async throws -> Result
    ) async throws -> Result {
        try await frame().run(server.id, attempt: attempt, onFinalFailure: { await failures.record($0) }, work)
    }

    @Test func aSuccessfulAttemptIsRecordedAndGivesEverythingBack() async throws {
        let server = makeServer()
        await servers.put(server)
        let attempt = FakeAttempt(name: .fullScan)
        let answer = try await run(server, attempt) { seen, session in
            #expect(seen == server && session.server == server)
            return "inventory"
        }
        #expect(answer == "inventory")
        let recorded = await attempts.attempts
        #expect(recorded.count == 1)
        #expect(recorded.first?.state == .completed && recorded.first?.jobName == "scan:full" && recorded.first?.worker == "worker-a")
        #expect(recorded.first?.attempt == 1)
        #expect(await lease.holders.isEmpty)
        #expect(await connector.opened == 1)
        #expect(await connector.closedCount == 1)
        #expect(await failures.messages.isEmpty)
    }

    @Test func aServerThatNoLongerExistsFailsTheRecordAtOnce() async throws {
        let server = makeServer()
        await #expect(throws: UnrecoverableError.self) { try await run(server) { _, _ in "never" } }
        #expect(await failures.messages == ["the server no longer exists"])
        #expect(await attempts.attempts.isEmpty)
    }

    @Test func aCredentialThatNoLongerOpensFailsTheAttemptForGood() async throws {
        let server = makeServer()
        await servers.put(server)
        await servers.failingToOpen(RecordError(.invalid, field: "credential", "sealed with a key this process does not have"))
        await #expect(throws: UnrecoverableError.self) { try await run(server) { _, _ in "never" } }
        #expect(await failures.messages.first?.contains("does not have") == true)
        #expect(await attempts.attempts.map(\.state) == [.failed])
        #expect(await lease.holders.isEmpty)
        // Only the attempt that still owns the job fails the record.
        await #expect(throws: UnrecoverableError.self) { try await run(server, FakeAttempt(lockHeld: false)) { _, _ in "never" } }
        #expect(await failures.messages.count == 1)
    }

    @Test func aDatabaseErrorReadingTheServerIsNotTakenForABadCredential() async throws {
        let server = makeServer()
        await servers.put(server)
        await servers.failing(RecordError(.unavailable, field: nil, "connection refused"))
        let outage = await #expect(throws: RecordError.self) { try await run(server) { _, _ in "never" } }
        #expect(outage?.kind == .unavailable)
        await servers.failing(RecordError(.internalFailure, field: nil, "canceling statement due to statement timeout"))
        let failure = await #expect(throws: RecordError.self) { try await run(server) { _, _ in "never" } }
        #expect(failure?.kind == .internalFailure)
        #expect(await failures.messages.isEmpty)
        #expect(await lease.holders.isEmpty)
        #expect(await attempts.attempts.isEmpty)
    }

    @Test func aBusyServerPostponesTheJobWithoutUsingAnAttempt() async throws {
        let server = makeServer()
        await servers.put(server)
        await lease.hold(server.id, for: "another job's token")
        let error = await #expect(throws: PostponeJob.self) { try await run(server) { _, _ in "never" } }
        #expect(error?.delay == .seconds(5) && error?.reason.contains("web-1") == true)
        #expect(await attempts.attempts.isEmpty)
        #expect(await lease.holders[server.id] == "another job's token")
    }

    @Test func anUnreachableServerIsRetriedAndTheRecordFailedOnlyAfterTheLastAttempt() async throws {
        let server = makeServer()
        await servers.put(server)
        await connector.failing(server.id, with: ServerJobError(.unreachable, "connection refused"))
        await #expect(throws: RetryableJobFailure.self) { try await run(server, FakeAttempt(attemptsMade: 0)) { _, _ in "never" } }
        #expect(await failures.messages.isEmpty)
        await #expect(throws: RetryableJobFailure.self) { try await run(server, FakeAttempt(attemptsMade: 2)) { _, _ in "never" } }
        #expect(await failures.messages == ["connection refused"])
        let recorded = await attempts.attempts
        #expect(recorded.map(\.state) == [.failed, .failed] && recorded.map(\.attempt) == [1, 3])
        #expect(recorded.allSatisfy { $0.error == "connection refused" })
        #expect(await lease.holders.isEmpty)
    }

    @Test func aRejectedKeyFailsForGoodOnTheFirstAttempt() async throws {
        let server = makeServer()
        await servers.put(server)
        await connector.failing(server.id, with: ServerJobError(.authentication, "the server refused the key"))
        await #expect(throws: UnrecoverableError.self) { try await run(server, FakeAttempt(attemptsMade: 0)) { _, _ in "never" } }
        #expect(await failures.messages == ["the server refused the key"])
    }

    @Test func anAttemptThatLostTheJobsLockLeavesTheRecordAlone() async throws {
        let server = makeServer()
        await servers.put(server)
        await connector.failing(server.id, with: ServerJobError(.authentication, "refused"))
        await #expect(throws: UnrecoverableError.self) { try await run(server, FakeAttempt(lockHeld: false)) { _, _ in "never" } }
        // Another worker owns the job now: its outcome, not this one's, goes on record.
        #expect(await failures.messages.isEmpty)
    }

    @Test func workThatFailsClosesTheSessionAndReleasesTheLease() async throws {
        let server = makeServer()
        await servers.put(server)
        await #expect(throws: RetryableJobFailure.self) {
            try await run(server) { _, _ -> String in throw ServerJobError(.remoteCommand, "tar exited 2", retryable: true) }
        }
        #expect(await connector.closedCount == 1)
        #expect(await lease.holders.isEmpty)
        #expect(await attempts.attempts.first?.error == "tar exited 2")
    }

    @Test func aDatabaseOutageWaitsWithoutSpendingTheAttempt() async throws {
        let server = makeServer()
        await servers.put(server)
        let outage = RecordError(.unavailable, field: nil, "connection refused")
        let error = await #expect(throws: RecordError.self) { try await run(server) { _, _ -> String in throw outage } }
        #expect(error?.kind == .unavailable)
        #expect(await failures.messages.isEmpty)
        #expect(await lease.holders.isEmpty)
    }

    @Test func cancellationRecordsTheAttemptCancelledAndWritesNoOutcome() async throws {
        let server = makeServer()
        await servers.put(server)
        await #expect(throws: CancellationError.self) { try await run(server) { _, _ -> String in throw CancellationError() } }
        #expect(await attempts.attempts.first?.state == .cancelled)
        #expect(await failures.messages.isEmpty)
        #expect(await lease.holders.isEmpty)
    }

    @Test func losingTheServersLeaseStopsTheWorkAndPostponesTheJob() async throws {
        let short = ServerJobFrameTests(leaseDuration: .milliseconds(30))
        let server = makeServer()
        await short.servers.put(server)
        let started = AsyncStream<Void>.makeStream()
        let outcome = Task {
            try await short.run(server) { _, _ -> String in
                started.continuation.yield()
                // Runs until the frame cancels it; a renewal finding the lease gone does.
                try await Task.sleep(for: .seconds(600))
                return "never"
            }
        }
        for await _ in started.stream { break }
        await short.lease.revoke(server.id)
        let result = await outcome.result
        #expect(throws: PostponeJob.self) { try result.get() }
        #expect(await short.attempts.attempts.first?.state == .cancelled)
        #expect(await short.connector.closedCount == 1)
        #expect(await short.failures.messages.isEmpty)
    }

    @Test func theLeaseIsRenewedWhileLongWorkRuns() async throws {
        let short = ServerJobFrameTests(leaseDuration: .milliseconds(30))
        let server = makeServer()
        await short.servers.put(server)
        let answer = try await short.run(server) { _, _ -> String in
            // Work that outlasts several renewal periods, however slow the machine is.
            while await short.lease.renewals < 3 { try await Task.sleep(for: .milliseconds(5)) }
            return "done"
        }
        #expect(answer == "done")
        #expect(await short.attempts.attempts.first?.state == .completed)
    }
}
