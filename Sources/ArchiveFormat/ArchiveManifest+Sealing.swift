package import Crypto

extension ArchiveManifest {
    /// In front of a sealed manifest: magic and version, then a random salt for its key.
    static let sealedMagic: [UInt8] = Array("MMMANI".utf8) + [0, 2]
    static let saltSize = 32

    /// The manifest of a sealed archive is sealed too: its paths, sizes and per-file hashes say a
    /// lot about the data. Under a key derived from the archive's data key and a fresh random salt
    /// (never the data key itself: its chunk counters would repeat). The salt is what lets a
    /// manifest be sealed again (a verification, a new manifest format) without a nonce ever
    /// repeating under its key: each seal has a key of its own.
    package func sealed(with dataKey: SymmetricKey) throws -> [UInt8] {
        var salt = [UInt8](repeating: 0, count: Self.saltSize)
        var random = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = UInt8.random(in: 0...255, using: &random) }
        var sealer = try ArchiveSealer(dataKey: Self.manifestKey(dataKey, salt: salt))
        var out = Self.sealedMagic + salt
        try encoded().withUnsafeBytes { bytes in try sealer.seal(bytes) { out.append(contentsOf: $0) } }
        try sealer.finish { out.append(contentsOf: $0) }
        return out
    }

    /// Opens a sealed manifest; one sealed before salts (it starts with the archive header) too.
    package init(sealed bytes: [UInt8], dataKey: SymmetricKey) throws {
        let salted = bytes.starts(with: Self.sealedMagic)
        let start = salted ? Self.sealedMagic.count + Self.saltSize : 0
        guard bytes.count >= start else { throw ArchiveFormatError(.truncated, "the sealed manifest ends inside its header") }
        let key = salted ? Self.manifestKey(dataKey, salt: Array(bytes[Self.sealedMagic.count..<start])) : Self.manifestKey(dataKey, salt: nil)
        var opener = try ArchiveOpener(dataKey: key)
        var plain: [UInt8] = []
        try bytes[start...].withUnsafeBytes { sealed in try opener.open(sealed) { plain.append(contentsOf: $0) } }
        try opener.finish { plain.append(contentsOf: $0) }
        try self.init(decoding: plain)
    }

    /// The manifest's key: HKDF over the data key, with the seal's salt (nil: a manifest sealed
    /// before salts, under the key every seal of that archive shared).
    static func manifestKey(_ dataKey: SymmetricKey, salt: [UInt8]?) -> SymmetricKey {
        guard let salt else {
            return HKDF<SHA256>.deriveKey(inputKeyMaterial: dataKey, info: Array("medicineman archive manifest v1".utf8), outputByteCount: 32)
        }
        return HKDF<SHA256>.deriveKey(inputKeyMaterial: dataKey, salt: salt, info: Array("medicineman archive manifest v2".utf8), outputByteCount: 32)
    }
}
