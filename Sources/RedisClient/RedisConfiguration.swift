public import ErrorCodes
import Foundation

/// Where and how to reach Redis.
///
/// Built from `REDIS_URL` (`redis://[:password@]host:port[/db]`, or
/// `redis+cluster://[[user]:password@]host:port[,host:port…]` for a Redis Cluster) or from `REDIS_HOST`,
/// `REDIS_PORT`, `REDIS_PASSWORD` and `REDIS_DB`; every field has a default so a local Redis needs no settings.
public struct RedisConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    /// Longest wait for the TCP connection (and AUTH/SELECT) to complete.
    public var connectTimeout: Duration
    /// Longest wait for one reply (or a whole pipeline's reply) before the command fails as timed out.
    public var commandTimeout: Duration
    /// Set with CLIENT SETNAME on every (re)connect; BullMQ finds a queue's workers by it.
    public var clientName: String?
    /// The cluster nodes to learn the slot map from; empty for a standalone server. When set,
    /// `host`/`port` are the first of them.
    public var clusterNodes: [RedisEndpoint] = []

    public var isCluster: Bool { !clusterNodes.isEmpty }

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`.
    public init(url: String) throws(RedisError) {
        if url.hasPrefix(Self.clusterScheme) {
            try self.init(clusterURL: url)
            return
        }
        guard let components = URLComponents(string: url), components.scheme == "redis" else {
            throw RedisError(.invalidConfiguration, "REDIS_URL must look like redis://[:password@]host:port[/db], got a value that does not")
        }
        self.init()
        if let host = components.host, !host.isEmpty {
            self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        }
        if let port = components.port {
            guard (1...65535).contains(port) else {
                throw RedisError(.invalidConfiguration, "REDIS_URL port \(port) is out of range 1-65535")
            }
            self.port = port
        }
        if let user = components.percentEncodedUser.flatMap({ $0.removingPercentEncoding }), !user.isEmpty {
            self.username = user
        }
        if let password = components.percentEncodedPassword.flatMap({ $0.removingPercentEncoding }), !password.isEmpty {
            self.password = password
        }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !path.isEmpty {
            guard let database = Int(path), database >= 0 else {
                throw RedisError(.invalidConfiguration, "REDIS_URL database must be a non-negative number, got '\(path)'")
            }
            self.database = database
        }
    }

    /// `host:port/db` with the password left out, for logs and error messages.
    public var redactedDescription: String {
        if isCluster {
            return Self.clusterScheme + (password == nil ? "" : "***@") + clusterNodes.map(\.description).joined(separator: ",")
        }
        return "redis://\(password == nil ? "" : "***@")\(host):\(port)/\(database)"
    }
}
