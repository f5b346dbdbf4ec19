import ArgumentParser
import JobQueue
import RedisClient

/// Adds jobs with BullMQ-style options and prints their ids, one per line.
struct AddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add jobs and print their ids.")

    @Option(help: "Queue name.") var queue: String
    @OptionGroup var redisTarget: QueueTargetOptions
    @Option(help: "How many jobs.") var count = 1
    @Option(help: "Job name.") var name = "job"
    @Option(help: "Job data (JSON).") var data = "{}"
    @Option(help: #"BullMQ options (JSON), e.g. {"attempts":3,"backoff":{"type":"exponential","delay":1000}}"#) var opts = "{}"

    func run() async throws {
        let payload: JSONValue
        let options: JobOptions
        do {
            payload = try JSONValue(jsonText: data)
            options = JobOptions(json: try JSONValue(jsonText: opts))
        } catch {
            throw ValidationError("\(error.message)")
        }
        let pool = try redisTarget.pool(connections: 2)
        let jobs = try redisTarget.queue(queue, on: pool)
        for _ in 0..<count {
            print(try await jobs.add(name, data: payload, options: options).id)
        }
        await pool.close()
    }
}
