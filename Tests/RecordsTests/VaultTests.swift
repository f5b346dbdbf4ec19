import Foundation
import PostgresClient
@testable import Records
import Testing

@Suite struct VaultTests {
    private let vault: CredentialVault

    init() throws {
        vault = CredentialVault(current: try EncryptionKey(hex: testKeyHex))
    }

    @Test func sealsAndOpensForTheSameServerOnly() throws {
        let server = UUID()
        let sealed = try vault.seal("hunter2", serverId: server)
        #expect(sealed.keyId.count == 16 && !sealed.ciphertext.contains("hunter2"))
        #expect(try vault.open(sealed, serverId: server) == "hunter2")
        #expect(throws: RecordError.self) { try vault.open(sealed, serverId: UUID()) }
    }

    @Test func detectsAFlippedByte() throws {
        let server = UUID()
        let sealed = try vault.seal("hunter2", serverId: server)
        var bytes = try #require(Data(base64Encoded: String(sealed.ciphertext.dropFirst(3))))
        bytes[bytes.count / 2] ^= 0x01
        let tampered = SealedCredential(ciphertext: "v1." + bytes.base64EncodedString(), keyId: sealed.keyId)
        #expect(throws: RecordError.self) { try vault.open(tampered, serverId: server) }
    }

    @Test func wrongKeyIsExplainedWithoutKeyIds() throws {
        let server = UUID()
        let sealed = try vault.seal("hunter2", serverId: server)
        let other = CredentialVault(current: try EncryptionKey(hex: otherKeyHex))
        let error = try #require(throws: RecordError.self, "another key must not open it") {
            _ = try other.open(sealed, serverId: server)
        }
        // Key ids are public, but they help nobody reading an error and stay out of it.
        #expect(!error.message.contains(sealed.keyId) && !error.message.contains(other.currentKey.id))
        #expect(error.message.contains("ENCRYPTION_KEY_PREVIOUS"))
        // Same key id but different bytes (a forged id) still fails to open.
        let forged = SealedCredential(ciphertext: sealed.ciphertext, keyId: other.currentKey.id)
        #expect(throws: RecordError.self) { try other.open(forged, serverId: server) }
    }

    @Test(arguments: ["", "abc", String(repeating: "g", count: 64), String(repeating: "a", count: 63)])
    func malformedKeysAreRefusedClearly(hex: String) throws {
        let error = try #require(throws: RecordError.self, "'\(hex)' should be refused") {
            _ = try EncryptionKey(hex: hex)
        }
        #expect(error.field == "ENCRYPTION_KEY")
    }

    @Test func rotationKeepsEveryCredentialReadable() async throws {
        try await RecordsFixture.run { fixture in
            var ids: [UUID] = []
            for index in 0..<5 { ids.append(try await fixture.makeServer("s\(index)", credential: "secret-\(index)").id) }
            let newKey = try EncryptionKey(hex: otherKeyHex)
            #expect(try await CredentialRotation(database: fixture.database, vault: fixture.vault).rotate(to: newKey) == 5)
            let rotated = ServerRepository(database: fixture.database, vault: CredentialVault(current: newKey))
            for (index, id) in ids.enumerated() {
                #expect(try await rotated.credential(for: id).secret == "secret-\(index)")
            }
            let keyIds = try await fixture.database.query("SELECT DISTINCT credential_key_id FROM servers").rows.map { try $0.decode("credential_key_id", as: String.self) }
            #expect(keyIds == [newKey.id])
            // A process started with the old key and the new one as ENCRYPTION_KEY_PREVIOUS still reads them.
            let transitional = ServerRepository(database: fixture.database, vault: CredentialVault(current: fixture.vault.currentKey, previous: [newKey]))
            #expect(try await transitional.credential(for: ids[0]).secret == "secret-0")
            // Run again to the same key (`rotate-key --finish`), it moves nothing already there.
            let bothKeys = CredentialVault(current: newKey, previous: [fixture.vault.currentKey])
            #expect(try await CredentialRotation(database: fixture.database, vault: bothKeys).rotate(to: newKey) == 0)
        }
    }
}
