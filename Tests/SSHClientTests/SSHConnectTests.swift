import ErrorCodes
import Foundation
import SSHClient
import TestSupport
import Testing

@Suite struct SSHConnectTests {
    @Test(arguments: ["id_ed25519", "id_rsa", "id_ecdsa"])
    func privateKeyAuthentication(key: String) async throws {
        let session = try await SSHSession.connect(try sshConfiguration(try testKey(key)), logger: testLogger())
        let output = try await session.run("whoami")
        #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == (try TestEnvironment.require("MM_TEST_SSH_USER")))
        await session.close()
    }

    @Test func passphraseProtectedKey() async throws {
        let session = try await SSHSession.connect(
            try sshConfiguration(try testKey("id_ed25519_pass", passphrase: "correct horse")), logger: testLogger())
        #expect(try await session.run("echo ok").stdout == "ok\n")
        await session.close()
    }

    @Test func wrongPassphraseIsNotRetryable() async throws {
        let configuration = try sshConfiguration(try testKey("id_ed25519_pass", passphrase: "wrong"))
        let error = try #require(await connectionError(configuration), "a wrong passphrase should fail")
        #expect(!error.isRetryable)
    }

    @Test func passwordAuthentication() async throws {
        let password = try TestEnvironment.require("MM_TEST_SSH_PASSWORD")
        let session = try await SSHSession.connect(try sshConfiguration(.password(password)), logger: testLogger())
        #expect(try await session.run("echo ok").stdout == "ok\n")
        await session.close()
    }

    @Test func wrongPasswordIsAnAuthenticationFailureNotRetried() async throws {
        let configuration = try sshConfiguration(.password("not-the-password"))
        let error = try #require(await connectionError(configuration), "a wrong password should fail")
        #expect(error.code == .authenticationFailed)
        #expect(!error.isRetryable)
        #expect(!error.message.contains("not-the-password"))
    }

    @Test func unknownKeyIsAnAuthenticationFailure() async throws {
        let configuration = try sshConfiguration(try testKey("id_unknown"))
        let error = try #require(await connectionError(configuration), "a key the server does not know should fail")
        #expect(error.code == .authenticationFailed)
        #expect(!error.isRetryable)
    }

    @Test func firstContactReportsTheFingerprintToPin() async throws {
        let session = try await SSHSession.connect(
            try sshConfiguration(try testKey("id_ed25519"), hostKey: .trustOnFirstUse), logger: testLogger())
        #expect(await session.hostKeyFingerprint == (try TestEnvironment.require("MM_TEST_SSH_FINGERPRINT")))
        await session.close()
    }

    /// Whoever intercepts a first connection must not receive the password: without a pinned key
    /// it is not sent, and the error names the key presented, for someone to check and pin.
    @Test func aPasswordIsNeverSentToAnUnpinnedHostKey() async throws {
        let password = try TestEnvironment.require("MM_TEST_SSH_PASSWORD")
        let configuration = try sshConfiguration(.password(password), hostKey: .trustOnFirstUse)
        let error = try #require(await connectionError(configuration), "an unpinned key must stop a password login")
        #expect(error.code == .hostKeyNotPinned && !error.isRetryable)
        #expect(error.message.contains(try TestEnvironment.require("MM_TEST_SSH_FINGERPRINT")) && !error.message.contains(password))
    }

    @Test func hostKeyMismatchIsItsOwnNonRetryableError() async throws {
        let wrong = HostKeyFingerprint.format(sha256: [UInt8](repeating: 7, count: 32))
        let configuration = try sshConfiguration(try testKey("id_ed25519"), hostKey: .pinned(wrong))
        let error = try #require(await connectionError(configuration), "a different host key should be refused")
        #expect(error.code == .hostKeyMismatch)
        #expect(!error.isRetryable)
        #expect(error.message.contains(try TestEnvironment.require("MM_TEST_SSH_FINGERPRINT")))
    }

    @Test func refusedPortIsRetryable() async throws {
        let configuration = try sshConfiguration(try testKey("id_ed25519"), port: 1)
        let error = try #require(await connectionError(configuration), "nothing listens on port 1")
        #expect(error.code == .connectionRefused)
        #expect(error.isRetryable)
    }

    /// The error connecting with `configuration` fails with, or nil when it connects.
    private func connectionError(_ configuration: SSHConfiguration) async -> SSHError? {
        do {
            let session = try await SSHSession.connect(configuration, logger: testLogger())
            await session.close()
            return nil
        } catch {
            return error
        }
    }

    @Test func silentServerTimesOutRetryably() async throws {
        // A listening socket that never speaks SSH: the handshake must give up on time.
        let listener = try SilentListener()
        let clock = ContinuousClock()
        let start = clock.now
        let configuration = try sshConfiguration(try testKey("id_ed25519"), port: listener.port, connectTimeout: .seconds(2))
        let error = try #require(await connectionError(configuration), "a silent server should time out")
        #expect(error.code == .timedOut)
        #expect(error.isRetryable)
        #expect(clock.now - start < .seconds(10))
        listener.close()
    }
}
