import ErrorCodes
package import RedisClient

/// Environment variables are read in PlatformRuntime only; the client takes the values.
extension RedisConfiguration {
    /// Reads `REDIS_URL`, or else the `REDIS_HOST`/`REDIS_PORT`/`REDIS_PASSWORD`/`REDIS_DB` variables.
    package init(environment: [String: String]) throws(RedisError) {
        let variables = EnvironmentVariables(environment)
        if let url = variables["REDIS_URL"] {
            try self.init(url: url)
            return
        }
        self.init()
        if let host = variables["REDIS_HOST"] { self.host = host }
        if let portText = variables["REDIS_PORT"] {
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw RedisError(.invalidConfiguration, "REDIS_PORT must be a port number 1-65535, got '\(portText)'")
            }
            self.port = port
        }
        if let password = variables["REDIS_PASSWORD"] { self.password = password }
        if let dbText = variables["REDIS_DB"] {
            guard let database = Int(dbText), database >= 0 else {
                throw RedisError(.invalidConfiguration, "REDIS_DB must be a non-negative number, got '\(dbText)'")
            }
            self.database = database
        }
    }
}
