/// Finds the key a command is about, so a cluster client can send it to the node owning its slot.
enum RedisCommandKey {
    /// Commands that touch no key: sent to any node (or to every node by the caller's choice).
    static let keyless: Set<String> = [
        "PING", "ECHO", "INFO", "CLIENT", "SCRIPT", "CLUSTER", "ASKING", "READONLY", "READWRITE", "MULTI", "EXEC",
        "DISCARD", "UNWATCH", "AUTH", "SELECT", "HELLO", "TIME", "DBSIZE", "CONFIG", "DEBUG", "FLUSHALL", "FLUSHDB",
        "KEYS", "SCAN", "RANDOMKEY", "ROLE", "LASTSAVE", "WAIT", "COMMAND", "PUBLISH", "FUNCTION", "LATENCY",
        "SLOWLOG", "QUIT", "RESET", "SAVE", "BGSAVE", "BGREWRITEAOF", "ACL", "LOLWUT", "SHUTDOWN", "SWAPDB", "MONITOR",
    ]

    /// The first key of `arguments`, or nil for a keyless command (or a script declaring no keys).
    static func firstKey(of arguments: [RedisArgument]) -> [UInt8]? {
        guard let name = arguments.first.map({ String(decoding: $0.bytes, as: UTF8.self).uppercased() }) else { return nil }
        if keyless.contains(name) { return nil }
        switch name {
        case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO":
            guard arguments.count > 3, let count = Int(String(decoding: arguments[2].bytes, as: UTF8.self)), count > 0 else { return nil }
            return arguments[3].bytes
        case "XREAD", "XREADGROUP":
            guard let streams = arguments.firstIndex(where: { String(decoding: $0.bytes, as: UTF8.self).uppercased() == "STREAMS" }),
                streams + 1 < arguments.count
            else { return nil }
            return arguments[streams + 1].bytes
        case "OBJECT", "MEMORY", "XINFO":
            return arguments.count > 2 ? arguments[2].bytes : nil
        case "BLMPOP", "BZMPOP":
            return arguments.count > 3 ? arguments[3].bytes : nil
        case "LMPOP", "ZMPOP", "SINTERCARD", "ZINTERCARD":
            return arguments.count > 2 ? arguments[2].bytes : nil
        default:
            return arguments.count > 1 ? arguments[1].bytes : nil
        }
    }

    /// The slot `arguments` must run on, nil when any node will do.
    static func slot(of arguments: [RedisArgument]) -> Int? {
        firstKey(of: arguments).map { RedisHashSlot.slot(of: $0) }
    }
}
