import Crypto
import ErrorCodes
import Foundation
import SSHClient
import TestSupport
import Testing

@Suite struct SSHExecTests {
    @Test func exitCodesAndStderr() async throws {
        let session = try await connectWithDefaultKey()
        let failed = try await session.run("echo out; echo 'went wrong' >&2; exit 3")
        #expect(failed.exitStatus == 3)
        #expect(failed.stdout == "out\n")
        #expect(failed.stderr == "went wrong\n")
        #expect(try await session.run("true").exitStatus == 0)
        // The same session serves command after command.
        for index in 0..<5 {
            #expect(try await session.run("echo \(index)").stdout == "\(index)\n")
        }
        await session.close()
    }

    /// The server is outside: an escape sequence in its stderr reaches no message or log as one.
    @Test func stderrShowsEscapeSequencesAndKeepsLineBreaks() async throws {
        let session = try await connectWithDefaultKey()
        let failed = try await session.run(#"printf 'tar: x\033]0;owned\007\n\tgone\r\n' >&2; exit 2"#)
        #expect(failed.stderr == "tar: x\\u{1B}]0;owned\\u{7}\n\tgone\\u{D}\n", "\(failed.stderr.debugDescription)")
        #expect(failed.stdout.isEmpty && failed.exitStatus == 2)
        await session.close()
    }

    @Test func stderrIsBounded() async throws {
        let session = try await connectWithDefaultKey()
        let result = try await session.perform { session in
            try session.exec("head -c 1000000 /dev/zero >&2", options: SSHExecOptions(maxStderrBytes: 1000)) { _ in }
        }
        #expect(result.stderr.count == 1000)
        #expect(result.stderrByteCount == 1_000_000)
        #expect(result.stderrTruncated)
        await session.close()
    }

    @Test(.exclusive) func twoHundredMegabyteStreamKeepsMemoryFlat() async throws {
        let session = try await connectWithDefaultKey()
        let size = 200 * 1024 * 1024
        let before = TestEnvironment.residentBytes()
        let (result, received, peak, digest) = try await session.perform { session in
            var received = 0
            var peak = 0
            var hasher = SHA256()
            let result = try session.exec("head -c \(size) /dev/urandom | tee >(sha256sum >&2)", options: SSHExecOptions(timeout: .seconds(120))) { chunk in
                received += chunk.count
                hasher.update(bufferPointer: chunk)
                if received % (16 * 1024 * 1024) < chunk.count { peak = max(peak, TestEnvironment.residentBytes()) }
            }
            let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            return (result, received, peak, digest)
        }
        #expect(result.exitStatus == 0)
        #expect(received == size)
        #expect(result.stdoutByteCount == size)
        // The remote sha256sum of what it sent matches what arrived.
        #expect(result.stderrText.hasPrefix(digest))
        let growth = max(peak, TestEnvironment.residentBytes()) - before
        #expect(growth < 64 * 1024 * 1024, "resident memory grew by \(growth / 1024 / 1024) MiB while streaming 200 MiB")
        await session.close()
    }

    @Test func stdinStreamsToTheRemoteCommand() async throws {
        let session = try await connectWithDefaultKey()
        let (result, output, expected) = try await session.perform { session in
            var hasher = SHA256()
            var remaining = 8 * 1024 * 1024
            var output: [UInt8] = []
            let result = try session.exec(
                "sha256sum",
                stdin: {
                    guard remaining > 0 else { return nil }
                    let chunk = [UInt8](repeating: UInt8(remaining % 251), count: min(remaining, 100_000))
                    remaining -= chunk.count
                    hasher.update(data: chunk)
                    return chunk
                }
            ) { output.append(contentsOf: $0) }
            let expected = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            return (result, String(decoding: output, as: UTF8.self), expected)
        }
        #expect(result.exitStatus == 0)
        #expect(result.stdinByteCount == 8 * 1024 * 1024)
        #expect(output.hasPrefix(expected))
        await session.close()
    }

    @Test func commandTimeoutEndsSleepSixty() async throws {
        let session = try await connectWithDefaultKey()
        let clock = ContinuousClock()
        let start = clock.now
        let error = try await #require(throws: SSHError.self, "sleep 60 should time out") {
            _ = try await session.run("sleep 60", timeout: .seconds(2))
        }
        #expect(error.code == .commandTimedOut)
        #expect(error.isRetryable)
        #expect(clock.now - start < .seconds(15))
        await session.close()
    }

    @Test func idleTimeoutEndsASilentCommand() async throws {
        let session = try await connectWithDefaultKey()
        let error = try await #require(throws: SSHError.self, "a silent command should hit the idle timeout") {
            _ = try await session.perform { session in
                try session.exec("echo start; sleep 60", options: SSHExecOptions(idleTimeout: .seconds(1))) { _ in }
            }
        }
        #expect(error.code == .idleTimedOut)
        await session.close()
    }

    @Test func sinkErrorsEndTheCommandAndPropagate() async throws {
        struct DiskFull: Error {}
        let session = try await connectWithDefaultKey()
        await #expect(throws: DiskFull.self) {
            try await session.perform { session in
                try session.exec("yes") { _ in throw DiskFull() }
            }
        }
        // A fresh session works afterwards.
        let again = try await connectWithDefaultKey()
        #expect(try await again.run("echo ok").stdout == "ok\n")
        await again.close()
        await session.close()
    }
}
