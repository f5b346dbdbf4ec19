import Foundation
import Hummingbird
import JobQueue
import JSONSupport
import Records

/// `/api/queues/:name/pause|resume|drain|clean`: queue administration (admin only).
struct QueuesController: Sendable {
    let queues: [Queue]
    let audit: AuditLogRepository?

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.post("queues/:name/pause", use: pause)
        group.post("queues/:name/resume", use: resume)
        group.post("queues/:name/drain", use: drain)
        group.post("queues/:name/clean", use: clean)
    }

    struct CleanBody: Decodable, Sendable {
        /// Only jobs older than this many seconds (default 0).
        var graceSeconds: Int?
        /// completed (default), failed, delayed, waiting, prioritized.
        var state: String?
        /// At most this many (default 1000).
        var limit: Int?
    }

    struct DrainBody: Decodable, Sendable {
        var includeDelayed: Bool?
    }

    @Sendable func pause(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JSONValue> {
        let (identity, queue) = try target(context)
        try await queue.pause()
        try await audit?.record(identity, "queue.pause", resource: queue.name, [:])
        return APISuccess("queue \(queue.name) paused", ["queue": .string(queue.name), "paused": true])
    }

    @Sendable func resume(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JSONValue> {
        let (identity, queue) = try target(context)
        try await queue.resume()
        try await audit?.record(identity, "queue.resume", resource: queue.name, [:])
        return APISuccess("queue \(queue.name) resumed", ["queue": .string(queue.name), "paused": false])
    }

    @Sendable func drain(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JSONValue> {
        let (identity, queue) = try target(context)
        let body = try await optionalBody(request, context: context, as: DrainBody.self)
        try await queue.drain(includeDelayed: body?.includeDelayed ?? false)
        try await audit?.record(identity, "queue.drain", resource: queue.name, ["includeDelayed": .bool(body?.includeDelayed ?? false)])
        return APISuccess("queue \(queue.name) drained", ["queue": .string(queue.name)])
    }

    @Sendable func clean(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JSONValue> {
        let (identity, queue) = try target(context)
        let body = try await optionalBody(request, context: context, as: CleanBody.self)
        let states: [String: JobState] = ["completed": .completed, "failed": .failed, "delayed": .delayed, "waiting": .waiting, "prioritized": .prioritized]
        guard let state = states[body?.state ?? "completed"] else {
            throw APIError.validation("state", "state must be one of \(states.keys.sorted().joined(separator: ", "))")
        }
        let grace = body?.graceSeconds ?? 0
        guard (0...315_360_000).contains(grace) else { throw APIError.validation("graceSeconds", "graceSeconds must be 0 to 315360000 (ten years)") }
        let limit = body?.limit ?? 1000
        guard (1...100_000).contains(limit) else { throw APIError.validation("limit", "limit must be 1 to 100000") }
        let removed = try await queue.clean(grace: .seconds(grace), limit: limit, state: state)
        try await audit?.record(identity, "queue.clean", resource: queue.name, ["state": .string(state.rawValue), "removed": .int(Int64(removed.count))])
        return APISuccess("removed \(removed.count) job(s)", ["queue": .string(queue.name), "removed": .array(removed.map { .string($0) })])
    }

    private func target(_ context: APIRequestContext) throws -> (Identity, Queue) {
        let identity = try context.require(.admin)
        let name = try context.parameters.require("name")
        guard let queue = queues.first(where: { $0.name == name }) else { throw APIError.notFound("queue \(name)") }
        return (identity, queue)
    }

    private func optionalBody<Body: Decodable>(_ request: Request, context: APIRequestContext, as type: Body.Type) async throws -> Body? {
        guard request.headers[.contentLength].map({ $0 != "0" }) ?? false || request.headers[.contentType] != nil else { return nil }
        return try await request.decodeJSON(as: Body.self, context: context)
    }
}
