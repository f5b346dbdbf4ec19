import Foundation
public import PostgresClient

/// The platform's own key/value settings (`platform_settings`), e.g. `encrypt_backups`.
public struct PlatformSettingsRepository: Sendable {
    let database: PostgresPool

    public init(database: PostgresPool) {
        self.database = database
    }

    /// A boolean setting; nil when it is not set or not a boolean.
    public func bool(_ key: String) async throws(RecordError) -> Bool? {
        try await recording {
            guard let row = try await database.query("SELECT value::text AS value FROM platform_settings WHERE key = $1", [key]).first else { return nil }
            switch try row.decode("value", as: String.self) {
            case "true": return true
            case "false": return false
            default: return nil
            }
        }
    }
}
