import Foundation
import Hummingbird
import JobQueue
import JSONSupport
import NIOCore

/// `GET /api/jobs/:id/events`: Server-Sent Events with the job's state now, then its progress and
/// state changes as they happen, until it completes or fails (or an hour passes), with a
/// keep-alive comment every 15 s. Events come from the process's `JobEventHub`; the stream holds
/// no connection or thread of its own, and its slot is freed as soon as the client goes away.
struct JobEventStream: Sendable {
    static let terminalEvents: Set<String> = ["completed", "failed", "removed"]
    static let stateEvents: Set<String> = ["waiting", "active", "delayed", "progress", "completed", "failed", "stalled", "removed", "retries-exhausted"]

    let queue: Queue
    let jobId: String
    let hub: JobEventHub
    let userId: UUID
    /// Asks whether the caller's credential still holds, so the stream ends when it stops.
    let credentialCheck: CredentialCheck?
    /// The client's connection, watched for its closing; nil where there is none (tests).
    let channel: (any Channel)?

    func response() async throws -> Response {
        // Subscribe before the snapshot, so nothing falls between them.
        let subscription = try await hub.subscribe(queue: queue, jobId: jobId, userId: userId, credentialCheck: credentialCheck)
        let hub = self.hub
        let watcher = ClientDisconnectHandler { hub.release(subscription, .clientGone) }
        let channel = self.channel
        let snapshot: [String: JSONValue]
        let state: JobState
        do {
            if let channel { try await channel.pipeline.addHandler(watcher, position: .first).get() }
            state = try await queue.getJobState(jobId)
            let job = try await queue.getJob(jobId)
            var object: [String: JSONValue] = ["jobId": .string(jobId), "queue": .string(queue.name), "state": .string(state.rawValue)]
            if let progress = job?.progress { object["progress"] = progress }
            if state == .failed, let reason = job?.failedReason { object["failedReason"] = .string(reason) }
            snapshot = object
        } catch {
            Self.stopWatching(channel, watcher)
            hub.release(subscription, .failed)
            throw error
        }
        let body = ResponseBody { writer in
            defer {
                Self.stopWatching(channel, watcher)
                hub.release(subscription, .finished)
            }
            try await writer.write(Self.event("state", .object(snapshot)))
            guard state != .completed && state != .failed && state != .unknown else {
                try await writer.finish(nil)
                return
            }
            streaming: for await item in subscription.items {
                switch item {
                case .keepAlive:
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                case .event(let name, let message):
                    try await writer.write(message)
                    if Self.terminalEvents.contains(name) { break streaming }
                }
            }
            if let note = Self.closingNote(subscription.end) { try await writer.write(note) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// Why the server ended a stream early, as a last `closed` event; nil for a normal end.
    static func closingNote(_ end: JobEventSubscription.End?) -> ByteBuffer? {
        switch end {
        case .lagged?: return event("closed", ["reason": "lagged", "message": "the stream fell too far behind and was dropped; reconnect to resume"])
        case .shutdown?: return event("closed", ["reason": "shutdown", "message": "the server is shutting down; reconnect shortly"])
        case .signedOut?:
            return event(
                "closed", ["reason": "signed_out", "message": "the token or session this stream was opened with was revoked, expired or signed out; sign in again"])
        default: return nil
        }
    }

    private static func stopWatching(_ channel: (any Channel)?, _ watcher: ClientDisconnectHandler) {
        channel?.pipeline.removeHandler(watcher, promise: nil)
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
