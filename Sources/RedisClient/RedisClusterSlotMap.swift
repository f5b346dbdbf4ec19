public import ErrorCodes

/// Which master serves each of the 16384 slots, read from `CLUSTER SLOTS`.
public struct RedisClusterSlotMap: Sendable, Equatable {
    /// The master of each slot; nil where no node claims the slot.
    public private(set) var owners: [RedisEndpoint?]
    /// Every node the reply named, masters and replicas.
    public private(set) var nodes: Set<RedisEndpoint>

    public init() {
        owners = Array(repeating: nil, count: RedisHashSlot.count)
        nodes = []
    }

    public var masters: Set<RedisEndpoint> { Set(owners.compactMap { $0 }) }

    public subscript(slot: Int) -> RedisEndpoint? { owners[slot] }

    /// Records a MOVED answer: `slot` now lives on `endpoint`.
    public mutating func move(slot: Int, to endpoint: RedisEndpoint) {
        owners[slot] = endpoint
        nodes.insert(endpoint)
    }

    /// Parses a `CLUSTER SLOTS` reply: `[[start, end, [host, port, id…], replica…], …]`. A node
    /// announced with an empty host (`""`, `"?"`) is the one that answered, `queried`.
    public init(clusterSlots reply: RESPValue, queried: RedisEndpoint) throws(RedisError) {
        self.init()
        guard let ranges = reply.array else {
            throw Self.malformed("expected an array, got \(reply)")
        }
        for range in ranges {
            guard let parts = range.array, parts.count >= 3,
                let start = parts[0].int, let end = parts[1].int,
                0 <= start, start <= end, end < RedisHashSlot.count
            else {
                throw Self.malformed("a slot range is not [start, end, master…] within 0-16383: \(range)")
            }
            var endpoints: [RedisEndpoint] = []
            for node in parts[2...] {
                endpoints.append(try Self.endpoint(of: node, queried: queried))
            }
            for slot in start...end { owners[slot] = endpoints[0] }
            nodes.formUnion(endpoints)
        }
        guard !nodes.isEmpty else { throw Self.malformed("no node serves any slot") }
    }

    private static func endpoint(of node: RESPValue, queried: RedisEndpoint) throws(RedisError) -> RedisEndpoint {
        guard let fields = node.array, fields.count >= 2, let host = fields[0].string,
            let port = fields[1].int, (1...65535).contains(port)
        else {
            throw malformed("a node is not [host, port, …] with a port 1-65535: \(node)")
        }
        let unknown = host.isEmpty || host == "?"
        return RedisEndpoint(host: unknown ? queried.host : host, port: port)
    }

    private static func malformed(_ detail: String) -> RedisError {
        RedisError(.unexpectedReply, "malformed CLUSTER SLOTS reply: \(detail)")
    }
}

/// A `MOVED` or `ASK` error reply: the slot lives (for good, or for this one command) elsewhere.
struct RedisClusterRedirect: Sendable, Equatable {
    enum Kind: Sendable { case moved, ask }
    var kind: Kind
    var slot: Int
    var endpoint: RedisEndpoint

    init(kind: Kind, slot: Int, endpoint: RedisEndpoint) {
        self.kind = kind
        self.slot = slot
        self.endpoint = endpoint
    }

    /// Parses `MOVED <slot> <host>:<port>` / `ASK …`; nil for any other message.
    init?(errorMessage message: String) {
        let words = message.split(separator: " ")
        guard words.count == 3 else { return nil }
        switch words[0] {
        case "MOVED": kind = .moved
        case "ASK": kind = .ask
        default: return nil
        }
        guard let slot = Int(words[1]), (0..<RedisHashSlot.count).contains(slot),
            let endpoint = RedisEndpoint(parsing: words[2])
        else { return nil }
        self.slot = slot
        self.endpoint = endpoint
    }

    init?(_ reply: RESPValue) {
        guard let message = reply.errorMessage else { return nil }
        self.init(errorMessage: message)
    }
}
