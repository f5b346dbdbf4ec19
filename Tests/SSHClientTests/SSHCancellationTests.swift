import ErrorCodes
import Foundation
import SSHClient
import Synchronization
import TestSupport
import Testing

/// Cancelling the task that runs a remote command closes the channel and the session within
/// moments, and the remote command ends with them.
@Suite struct SSHCancellationTests {
    func connect() async throws -> SSHSession {
        try await connectWithDefaultKey()
    }

    /// Whether a process whose command line holds `marker` still runs on the test host.
    func remoteProcessRuns(_ marker: String) async throws -> Bool {
        let probe = try await connect()
        // The probe's own shell holds the marker too (in its pattern): count the others.
        let output = try await probe.run("ps -eo pid=,args= | grep -F -- '\(marker)' | grep -v -e grep -e 'ps -eo' | wc -l")
        await probe.close()
        return (Int(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0
    }

    @Test func cancellingPerformClosesTheSessionAtOnceAndEndsTheRemoteCommand() async throws {
        let session = try await connect()
        let marker = "mm-cancel-\(UUID().uuidString.prefix(8).lowercased())"
        let received = ReceivedBytes()
        let streaming = Task {
            try await session.perform { session in
                try session.exec("ln -sf /bin/cat /tmp/\(marker) && exec /tmp/\(marker) /dev/zero") { chunk in received.add(chunk.count) }
            }
        }
        #expect(try await eventually(timeout: .seconds(2)) { received.total >= 1_000_000 }, "the stream never started")
        #expect(try await remoteProcessRuns(marker), "the probe does not see the running command")
        let cancelled = ContinuousClock.now
        streaming.cancel()
        let outcome = await streaming.result
        let took = ContinuousClock.now - cancelled
        #expect(took < .seconds(2), "cancellation took \(took)")
        guard case .failure(let error as SSHError) = outcome else { Issue.record("expected SSHError.cancelled, got \(outcome)"); return }
        #expect(error.code == .cancelled && !error.isRetryable)
        #expect(await session.isConnected == false)
        #expect(try await eventually(timeout: .seconds(4), every: .milliseconds(100)) { try await !remoteProcessRuns(marker) }, "the remote command outlived the session")
    }

    @Test func cancellingACommandCalledDirectlyEndsItToo() async throws {
        let session = try await connect()
        let marker = "mm-quiet-\(UUID().uuidString.prefix(8).lowercased())"
        // The shell stays the parent (two commands), so its arguments carry the marker.
        let quiet = Task { try await session.run("sleep 30; : \(marker)", timeout: .seconds(60)) }
        #expect(try await eventually(every: .milliseconds(100)) { try await remoteProcessRuns(marker) }, "the command never started")
        let cancelled = ContinuousClock.now
        quiet.cancel()
        let outcome = await quiet.result
        #expect(ContinuousClock.now - cancelled < .seconds(2))
        guard case .failure(let error as SSHError) = outcome else { Issue.record("expected SSHError.cancelled, got \(outcome)"); return }
        #expect(error.code == .cancelled)
    }

    @Test func aCancelledTaskStartsNoCommand() async throws {
        let session = try await connect()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await session.perform { try $0.run("echo never") }
        }
        guard case .failure(let error as SSHError) = await task.result else { Issue.record("a cancelled task ran a command"); return }
        #expect(error.code == .cancelled)
    }
}

/// Bytes counted from the session's thread, read from the test's.
final class ReceivedBytes: Sendable {
    private let count = Mutex(0)
    func add(_ bytes: Int) { count.withLock { $0 += bytes } }
    var total: Int { count.withLock { $0 } }
}
