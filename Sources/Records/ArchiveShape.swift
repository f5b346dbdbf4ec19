public import Foundation

/// What a completed archive is: full or incremental (and where in its chain), the GNU tar
/// snapshot the next incremental starts from, and its sealed data key when it is encrypted.
public struct ArchiveShape: Sendable, Equatable {
    public var type: BackupType
    public var base: UUID?
    public var chainPosition: Int
    public var tarSnapshot: [UInt8]?
    public var dataKey: SealedCredential?

    public init(type: BackupType = .full, base: UUID? = nil, chainPosition: Int = 0, tarSnapshot: [UInt8]? = nil, dataKey: SealedCredential? = nil) {
        self.type = type
        self.base = base
        self.chainPosition = chainPosition
        self.tarSnapshot = tarSnapshot
        self.dataKey = dataKey
    }
}
