import Foundation
import RedisClient

extension Queue {
    /// The connection name BullMQ v5 gives a queue's workers, `<prefix>:<base64 of the queue name>`,
    /// so dashboards count ours and theirs alike.
    public var clientName: String { keys.prefix + ":" + Data(name.utf8).base64EncodedString() }

    /// Workers (ours and BullMQ's) connected to this queue now, from CLIENT LIST.
    public func workerCount() async throws -> Int {
        guard let list = try await redis.command(["CLIENT", "LIST"]).throwingServerError().string else { return 0 }
        let ours = clientName
        return list.split(separator: "\n").count { line in
            guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("name=") }) else { return false }
            let name = field.dropFirst(5)
            return name == ours || name.hasPrefix(ours + ":w:")
        }
    }
}
