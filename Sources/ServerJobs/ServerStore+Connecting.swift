package import Records

extension ServerStore {
    /// Opens a server's credential for a connection. A credential that does not open (sealed with
    /// a key this process lacks) is an authentication failure no retry mends.
    package func openForConnecting(_ found: ConnectableServer) throws(ServerJobError) -> ServerCredential {
        do { return try open(found.credential, of: found.server.id) } catch {
            throw ServerJobError(.authentication, "the server's credential cannot be opened: \(error.message)", retryable: false)
        }
    }
}
