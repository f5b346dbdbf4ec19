public import Crypto
public import Foundation

extension CredentialVault {
    /// Seals an archive's data key; the backup's id is the associated data, so a sealed key copied
    /// to another backup's row does not open there, nor as a credential or webhook secret.
    public func sealArchiveKey(_ dataKey: SymmetricKey, backupId: UUID) throws(RecordError) -> SealedCredential {
        try seal(bytes: dataKey.withUnsafeBytes { Array($0) }, associatedData: Self.archiveAssociatedData(backupId))
    }

    public func openArchiveKey(_ sealed: SealedCredential, backupId: UUID) throws(RecordError) -> SymmetricKey {
        let bytes = try open(
            bytes: sealed, associatedData: Self.archiveAssociatedData(backupId), field: "archive",
            what: "the archive's data key does not decrypt: it was altered, copied from another backup, or sealed under another key")
        guard bytes.count == 32 else { throw RecordError(.invalid, field: "archive", "the archive's data key has the wrong length") }
        return SymmetricKey(data: bytes)
    }

    private static func archiveAssociatedData(_ backupId: UUID) -> [UInt8] {
        Array("medicineman archive data key v1:\(backupId.lowercasedString)".utf8)
    }
}
