import BlockingIO
public import RedisClient

/// One entry of the queue's event stream (`<prefix>:<queue>:events`).
public struct QueueEvent: Sendable, Equatable {
    /// The stream id; pass it back to resume after this event.
    public var id: String
    /// `added`, `waiting`, `active`, `progress`, `completed`, `failed`, `stalled`, ...
    public var name: String
    public var fields: [String: String]

    public var jobId: String? { fields["jobId"] }
}

/// Reads a queue's events resumably, from a last-seen id, like BullMQ's `QueueEvents`.
public struct QueueEvents: Sendable {
    public let queue: Queue

    public init(queue: Queue) {
        self.queue = queue
    }

    /// A connection of its own for `wait` (it blocks); close it when done.
    public func makeListener() -> RedisConnection {
        queue.redis.makeDedicatedConnection()
    }

    /// The id of the newest event, to start listening from "now".
    public func latestId() async throws -> String {
        let reply = try await queue.redis.command(["XREVRANGE", RedisArgument(queue.keys.key("events")), "+", "-", "COUNT", "1"])
        return reply.array?.first?.array?.first?.string ?? "0-0"
    }

    /// Events after `lastId` ("0-0" for all kept), at most `count`, without waiting.
    public func read(after lastId: String, count: Int = 1000) async throws -> [QueueEvent] {
        let reply = try await queue.redis.command([
            "XRANGE", RedisArgument(queue.keys.key("events")), RedisArgument("(" + lastId), "+", "COUNT", RedisArgument(count),
        ])
        return Self.decode(entries: reply)
    }

    /// Events after `lastId`, waiting up to `timeout` on `connection` (a dedicated one: it blocks).
    public func wait(after lastId: String, on connection: RedisConnection, timeout: Duration, count: Int = 1000) async throws -> [QueueEvent] {
        let milliseconds = Int(timeout.wholeMilliseconds)
        let reply = try await queue.redis.blockingCommand(
            on: connection,
            [
                "XREAD", "COUNT", RedisArgument(count), "BLOCK", RedisArgument(max(1, milliseconds)), "STREAMS",
                RedisArgument(queue.keys.key("events")), RedisArgument(lastId),
            ], serverTimeout: timeout)
        // {{streamKey, {entries...}}} or nil on timeout
        guard let stream = reply.array?.first?.array, stream.count == 2 else { return [] }
        return Self.decode(entries: stream[1])
    }

    static func decode(entries: RESPValue) -> [QueueEvent] {
        (entries.array ?? []).compactMap { entry in
            guard let parts = entry.array, parts.count == 2, let id = parts[0].string, let flat = parts[1].array else { return nil }
            var fields: [String: String] = [:]
            var index = 0
            while index + 1 < flat.count {
                if let key = flat[index].string, let value = flat[index + 1].string { fields[key] = value }
                index += 2
            }
            return QueueEvent(id: id, name: fields["event"] ?? "", fields: fields)
        }
    }
}
