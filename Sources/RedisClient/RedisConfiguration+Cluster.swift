import ErrorCodes
import Foundation

extension RedisConfiguration {
    static let clusterScheme = "redis+cluster://"

    /// Parses `redis+cluster://[[user]:password@]host:port[,host:port…]`: the nodes to learn the
    /// slot map from (any few of the cluster's nodes do). A cluster has no databases, so no `/db`.
    init(clusterURL url: String) throws(RedisError) {
        self.init()
        var rest = Substring(url.dropFirst(Self.clusterScheme.count))
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else {
                throw RedisError(.invalidConfiguration, "a redis+cluster:// URL takes no database or path (a cluster has only database 0)")
            }
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") {
            try parseCredentials(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        let hosts = rest.split(separator: ",", omittingEmptySubsequences: false)
        guard !rest.isEmpty, !hosts.isEmpty else {
            throw RedisError(.invalidConfiguration, "a redis+cluster:// URL needs at least one host:port, got none")
        }
        var nodes: [RedisEndpoint] = []
        for host in hosts {
            guard let endpoint = RedisEndpoint(parsing: host) else {
                throw RedisError(.invalidConfiguration, "redis+cluster:// node '\(host)' is not host:port with a port 1-65535")
            }
            nodes.append(endpoint)
        }
        clusterNodes = nodes
        host = nodes[0].host
        port = nodes[0].port
    }

    private mutating func parseCredentials(_ userInfo: Substring) throws(RedisError) {
        let user: Substring
        let password: Substring?
        if let colon = userInfo.firstIndex(of: ":") {
            user = userInfo[..<colon]
            password = userInfo[userInfo.index(after: colon)...]
        } else {
            user = ""
            password = userInfo
        }
        guard let decodedUser = String(user).removingPercentEncoding,
            let decodedPassword = password.map({ String($0).removingPercentEncoding }) ?? ""
        else {
            throw RedisError(.invalidConfiguration, "redis+cluster:// credentials are not valid percent-encoding")
        }
        if !decodedUser.isEmpty { username = decodedUser }
        if !decodedPassword.isEmpty { self.password = decodedPassword }
    }
}
