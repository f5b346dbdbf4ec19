import Foundation
import PostgresClient

extension UserRepository {
    /// Whether an active admin exists; until one does, the dashboard offers its one-time setup.
    public func hasActiveAdmin() async throws(RecordError) -> Bool {
        try await recording {
            try await database.query("SELECT 1 AS found FROM users WHERE role = 'admin' AND active LIMIT 1").first != nil
        }
    }
}
