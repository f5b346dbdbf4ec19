/// Reads Redis's `CLIENT LIST` text: lets a test wait until a connection it named is blocked in
/// a command (a BZPOPMIN, an XREAD BLOCK) instead of sleeping and hoping it is.
package enum RedisClientList {
    /// Whether the client called `name` is blocked (`flags` holds `b`) in `command`.
    package static func isBlocked(_ list: String, name: String, in command: String) -> Bool {
        list.split(separator: "\n").contains { line in
            var fields: [Substring: Substring] = [:]
            for pair in line.split(separator: " ") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                fields[pair[..<equals]] = pair[pair.index(after: equals)...]
            }
            return fields["name"].map(String.init) == name && fields["flags"]?.contains("b") == true
                && fields["cmd"].map { $0.lowercased() } == command.lowercased()
        }
    }
}
