package import Records

/// Environment variables are read in PlatformRuntime only; the client takes the values.
extension CredentialVault {
    /// Reads `ENCRYPTION_KEY` and, optionally, `ENCRYPTION_KEY_PREVIOUS` (comma-separated).
    package init(environment: [String: String]) throws(RecordError) {
        let variables = EnvironmentVariables(environment)
        guard let hex = variables["ENCRYPTION_KEY"] else {
            throw RecordError(.invalid, field: "ENCRYPTION_KEY", "ENCRYPTION_KEY is not set: give 64 hex characters (e.g. `openssl rand -hex 32`); scripts/run.sh generates one")
        }
        var previous: [EncryptionKey] = []
        for part in (variables["ENCRYPTION_KEY_PREVIOUS"] ?? "").split(separator: ",") {
            previous.append(try EncryptionKey(hex: String(part), variable: "ENCRYPTION_KEY_PREVIOUS"))
        }
        self.init(current: try EncryptionKey(hex: hex), previous: previous)
    }
}
