import Foundation
public import RedisClient

extension Queue {
    /// The connection name BullMQ gives a queue's workers, `<prefix>:<base64 of the queue name>`,
    /// so dashboards count ours and theirs alike.
    public var clientName: String { keys.prefix + ":" + Data(keys.keyName.utf8).base64EncodedString() }

    /// Workers (ours and BullMQ's) connected to this queue now, from CLIENT LIST.
    public func workerCount() async throws -> Int {
        try await Self.workerCounts(of: [self])[0]
    }

    /// Workers connected to each of `queues` (sharing `queues[0]`'s Redis), from one CLIENT LIST.
    public static func workerCounts(of queues: [Queue]) async throws -> [Int] {
        guard let first = queues.first else { return [] }
        // A cluster's nodes each list their own clients.
        let lists = try await first.redis.commandOnEveryServer(["CLIENT", "LIST"])
        let names = lists.flatMap { $0.string?.split(separator: "\n") ?? [] }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("name=") }?.dropFirst(5)
        }
        return queues.map { queue in
            let ours = queue.clientName
            return names.count { $0 == ours || $0.hasPrefix(ours + ":w:") }
        }
    }
}

extension Queue {
    /// The job with `id` in the first of `queues` holding it, with its state, in one round trip
    /// (the queues share `queues[0]`'s Redis). With a `batcher`, concurrent lookups share pipelines.
    /// On a cluster the queues live on different slots, so each is asked in turn.
    public static func findJob(_ id: String, in queues: [Queue], batcher: RedisScriptBatcher? = nil) async throws -> (queue: Queue, job: Job, state: JobState)? {
        guard let first = queues.first else { return nil }
        guard first.redis.isCluster, queues.count > 1 else {
            return try await findJob(id, in: queues, batcher: batcher, oneSlot: true)
        }
        for queue in queues {
            if let found = try await findJob(id, in: [queue], batcher: batcher, oneSlot: true) { return found }
        }
        return nil
    }

    private static func findJob(_ id: String, in queues: [Queue], batcher: RedisScriptBatcher?, oneSlot: Bool) async throws -> (queue: Queue, job: Job, state: JobState)? {
        guard let first = queues.first else { return nil }
        let arguments = [RedisArgument(id)] + queues.map { RedisArgument($0.keys.base) }
        let keys = queues.flatMap(\.keys.scriptKeys)
        let reply: RESPValue
        if let batcher {
            reply = try await batcher.evalScript(QueueScript.findJob, keys: keys, arguments: arguments).throwingServerError()
        } else {
            reply = try await first.redis.evalScript(QueueScript.findJob, keys: keys, arguments: arguments).throwingServerError()
        }
        guard let parts = reply.array, parts.count == 3, let index = parts[0].int, queues.indices.contains(index - 1) else { return nil }
        let queue = queues[index - 1]
        let job = Job(id: id, queueName: queue.name, flatFields: parts[2].array?.compactMap(\.string) ?? [])
        return (queue, job, JobState(rawValue: parts[1].string ?? "") ?? .unknown)
    }
}
