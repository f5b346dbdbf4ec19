import Foundation
import Hummingbird
import JobQueue
import JSONSupport
import NIOCore
import RedisClient

/// `GET /api/jobs/:id/events`: Server-Sent Events with the job's state now, then its progress and
/// state changes as they happen, until it completes or fails (or an hour passes).
struct JobEventStream: Sendable {
    static let terminalEvents: Set<String> = ["completed", "failed", "removed"]
    static let stateEvents: Set<String> = ["waiting", "active", "delayed", "progress", "completed", "failed", "stalled", "removed", "retries-exhausted"]

    let queue: Queue
    let jobId: String

    func response() async throws -> Response {
        let events = QueueEvents(queue: queue)
        let start = try await events.latestId()  // before the snapshot, so nothing falls between them
        let state = try await queue.getJobState(jobId)
        let progress = try await queue.getJob(jobId)?.progress
        let queue = self.queue
        let jobId = self.jobId
        let body = ResponseBody { writer in
            var snapshot: [String: JSONValue] = ["jobId": .string(jobId), "queue": .string(queue.name), "state": .string(state.rawValue)]
            if let progress { snapshot["progress"] = progress }
            try await writer.write(Self.event("state", .object(snapshot)))
            guard state != .completed && state != .failed && state != .unknown else {
                try await writer.finish(nil)
                return
            }
            let listener = events.makeListener()
            var last = start
            let deadline = ContinuousClock.now + .seconds(3600)
            do {
                streaming: while ContinuousClock.now < deadline {
                    let batch = try await events.wait(after: last, on: listener, timeout: .seconds(15))
                    if batch.isEmpty {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        continue
                    }
                    last = batch[batch.count - 1].id
                    for event in batch where event.jobId == jobId && Self.stateEvents.contains(event.name) {
                        try await writer.write(Self.event(event.name, Self.payload(event)))
                        if Self.terminalEvents.contains(event.name) { break streaming }
                    }
                }
            } catch {
                await listener.close()
                throw error
            }
            await listener.close()
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// Event fields as JSON; `data` (progress) and `returnvalue` are JSON already.
    static func payload(_ event: QueueEvent) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for (key, value) in event.fields where key != "event" {
            if key == "data" || key == "returnvalue" {
                object[key == "data" ? "progress" : "returnValue"] = (try? JSONValue(jsonText: value)) ?? .string(value)
            } else {
                object[key] = .string(value)
            }
        }
        return .object(object)
    }

    static func event(_ name: String, _ data: JSONValue) -> ByteBuffer {
        ByteBuffer(string: "event: \(name)\ndata: \(data.jsonText)\n\n")
    }
}
