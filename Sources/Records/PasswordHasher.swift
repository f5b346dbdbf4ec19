public import BlockingIO
import CLibCrypt
import Foundation

/// bcrypt (`$2b$`) through libxcrypt on a bounded pool of threads (a hash takes a quarter
/// second): a flood of logins waits for a few threads or is refused as busy, never starts one
/// thread each.
public struct PasswordHasher: Sendable {
    /// log2 of the bcrypt rounds; 12 in production, lower in tests.
    public let cost: Int
    let pool: BlockingPool

    public init(cost: Int = 12, pool: BlockingPool = .passwordHashing) {
        self.cost = min(max(cost, 4), 31)
        self.pool = pool
    }

    /// A well-formed bcrypt hash of this cost that no password matches: checked for unknown users
    /// so they take as long as known ones.
    public var unmatchableHash: String {
        "$2b$" + (cost < 10 ? "0" : "") + String(cost) + "$" + String(repeating: ".", count: 53)
    }

    static let busy = RecordError(.busy, field: nil, "too many password checks at once; try again in a moment")

    /// The fewest characters a new password may have, wherever it is set (API, dashboard, CLI).
    public static let minimumLength = 8

    public func hash(_ password: String) async throws(RecordError) -> String {
        guard password.count >= Self.minimumLength, password.utf8.count <= 72 else {
            throw RecordError(.invalid, field: "password", "password must be at least \(Self.minimumLength) characters and at most 72 bytes (bcrypt reads no more)")
        }
        guard !password.utf8.contains(0) else {
            throw RecordError(.invalid, field: "password", "a password must not contain NUL characters")
        }
        let cost = self.cost
        let result: String?
        do { result = try await pool.run { Self.crypt(password, setting: Self.salt(cost: cost)) } } catch { throw Self.busy }
        guard let hashed = result, hashed.hasPrefix("$2") else {
            throw RecordError(.internalFailure, field: nil, "bcrypt is not available from libcrypt")
        }
        return hashed
    }

    /// Whether `password` could match any hash: not empty, at most bcrypt's 72 bytes, no NUL.
    public static func canMatch(_ password: String) -> Bool {
        !password.isEmpty && password.utf8.count <= 72 && !password.utf8.contains(0)
    }

    /// Whether `password` matches `hash`; compares in constant time. An empty password, or one
    /// with a NUL (C would cut it short), never matches. Throws `busy` when the pool is full.
    public func verify(_ password: String, hash: String) async throws(RecordError) -> Bool {
        guard hash.hasPrefix("$2"), Self.canMatch(password) else { return false }
        let computed: String?
        do { computed = try await pool.run { Self.crypt(password, setting: hash) } } catch { throw Self.busy }
        guard let computed else { return false }
        let left = Array(computed.utf8)
        let right = Array(hash.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    private static func salt(cost: Int) -> String? {
        var random = [UInt8](repeating: 0, count: 16)
        for index in random.indices { random[index] = UInt8.random(in: 0...255) }
        var output = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        let made = random.withUnsafeBufferPointer { bytes in
            output.withUnsafeMutableBufferPointer { buffer in
                crypt_gensalt_rn(
                    "$2b$", UInt(cost), UnsafeRawPointer(bytes.baseAddress).map { $0.assumingMemoryBound(to: CChar.self) },
                    Int32(bytes.count), buffer.baseAddress, Int32(buffer.count))
            }
        }
        guard made != nil else { return nil }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func crypt(_ password: String, setting: String?) -> String? {
        guard let setting else { return nil }
        var data = crypt_data()
        let result = crypt_rn(password, setting, &data, Int32(MemoryLayout<crypt_data>.size))
        guard let result else { return nil }
        let text = String(cString: result)
        return text.hasPrefix("*") ? nil : text
    }
}
