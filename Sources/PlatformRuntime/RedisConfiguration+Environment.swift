import ErrorCodes
package import RedisClient

/// Environment variables are read in PlatformRuntime only; the client takes the values.
extension RedisConfiguration {
    /// Reads `REDIS_URL`, or else the `REDIS_HOST`/`REDIS_PORT`/`REDIS_PASSWORD`/`REDIS_DB` variables.
    package init(environment: [String: String]) throws(RedisError) {
        if let url = environment["REDIS_URL"], !url.isEmpty {
            try self.init(url: url)
            return
        }
        self.init()
        if let host = environment["REDIS_HOST"], !host.isEmpty { self.host = host }
        if let portText = environment["REDIS_PORT"], !portText.isEmpty {
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw RedisError(.invalidConfiguration, "REDIS_PORT must be a port number 1-65535, got '\(portText)'")
            }
            self.port = port
        }
        if let password = environment["REDIS_PASSWORD"], !password.isEmpty { self.password = password }
        if let dbText = environment["REDIS_DB"], !dbText.isEmpty {
            guard let database = Int(dbText), database >= 0 else {
                throw RedisError(.invalidConfiguration, "REDIS_DB must be a non-negative number, got '\(dbText)'")
            }
            self.database = database
        }
    }
}
