import BlockingIO
@testable import JobQueue
import TestSupport
import Testing

extension QueueFixture {
    /// Runs `body` with a fresh fixture, whose queue is obliterated afterwards even when `body` throws.
    static func with<Result>(prefix: String = "bull", _ body: (QueueFixture) async throws -> Result) async throws -> Result {
        let fixture = try QueueFixture(prefix: prefix)
        return try await withCleanup {
            try await body(fixture)
        } cleanup: {
            try await fixture.close()
        }
    }

    /// A flow node on this queue.
    func node(_ name: String = "child", data: JSONValue = .object([:]), options: JobOptions = JobOptions(), children: [FlowNode] = []) -> FlowNode {
        FlowNode(name: name, queueName: queue.name, data: data, options: options, children: children)
    }

    /// `parent` and its `children`, added through our producer.
    func addFlow(_ parent: String = "parent", data: JSONValue = .object([:]), children: [FlowNode]) async throws -> FlowResult {
        try await FlowProducer(redis: redis).add(node(parent, data: data, children: children))
    }

    /// The same flow added by Python's `FlowProducer`: `parent` with one child on this queue.
    func addPythonFlow(_ python: PythonBullMQ, childOptions: JSONValue) async throws -> (parent: String, child: String) {
        let flow = try await python.flow([
            "name": "parent", "queueName": .string(queue.name),
            "children": [["name": "child", "queueName": .string(queue.name), "opts": childOptions]],
        ])
        return (try #require(flow["id"]?.stringValue), try #require(childIds(flow).first))
    }

    /// Runs our worker on this queue until job `parent` is in `state`: jobs named `failing` fail
    /// for good, the others run `process`.
    func work(
        until parent: String, is state: JobState, failing: String = "child", process: @escaping JobProcessor = { _ in nil }
    ) async throws {
        try await withWorker(
            WorkerOptions(drainDelay: .milliseconds(100)),
            processor: { context in
                if context.job.name == failing { throw UnrecoverableError("child broke") }
                return try await process(context)
            }
        ) { _ async throws in
            #expect(try await eventually { try await queue.getJobState(parent) == state })
        }
    }
}
