package import Crypto

extension ArchiveManifest {
    /// The manifest of a sealed archive is sealed too: its paths, sizes and per-file hashes say a
    /// lot about the data. Under a key derived from the archive's data key (never the data key
    /// itself: its chunk counters would repeat).
    package func sealed(with dataKey: SymmetricKey) throws -> [UInt8] {
        var sealer = try ArchiveSealer(dataKey: Self.manifestKey(dataKey))
        var out: [UInt8] = []
        try encoded().withUnsafeBytes { bytes in try sealer.seal(bytes) { out.append(contentsOf: $0) } }
        try sealer.finish { out.append(contentsOf: $0) }
        return out
    }

    package init(sealed bytes: [UInt8], dataKey: SymmetricKey) throws {
        var opener = try ArchiveOpener(dataKey: Self.manifestKey(dataKey))
        var plain: [UInt8] = []
        try bytes.withUnsafeBytes { sealed in try opener.open(sealed) { plain.append(contentsOf: $0) } }
        try opener.finish { plain.append(contentsOf: $0) }
        try self.init(decoding: plain)
    }

    static func manifestKey(_ dataKey: SymmetricKey) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: dataKey, info: Array("medicineman archive manifest v1".utf8), outputByteCount: 32)
    }
}
