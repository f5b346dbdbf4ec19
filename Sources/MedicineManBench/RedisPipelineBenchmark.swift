import BlockingIO
import ArgumentParser
import ErrorCodes
import Foundation
import Logging
import RedisClient

/// Pipelined simple commands through `RedisConnection`, shaped like `redis-benchmark -P`:
/// `clients` connections, each sending batches of `pipeline` commands and waiting for the replies.
struct RedisPipelineBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-pipeline",
        abstract: "Pipelined SET/GET/PING throughput of the Redis client (compare: redis-benchmark -P 16)."
    )

    @Option(name: [.customLong("redis"), .customLong("url")], help: "Redis to measure against (redis:// or redis+cluster://).") var url = "redis://127.0.0.1:6379/0"
    @Option(help: "Key prefix of the SET/GET key (<prefix>:__rand_int__, as redis-benchmark names it).") var prefix = "key"
    @Option(help: "Commands to send in total, per command type.") var requests = 1_000_000
    @Option(help: "Concurrent connections (redis-benchmark's -c).") var clients = 50
    @Option(help: "Commands per pipeline (redis-benchmark's -P).") var pipeline = 16
    @Option(help: "Comma-separated command types: set, get, ping.") var commands = "set,get"

    func validate() throws {
        guard requests > 0, clients > 0, pipeline > 0 else { throw ValidationError("requests, clients and pipeline must be positive") }
        guard commandTypes.allSatisfy({ ["set", "get", "ping"].contains($0) }) else {
            throw ValidationError("--commands takes set, get and ping")
        }
    }

    var commandTypes: [String] { commands.lowercased().split(separator: ",").map(String.init) }

    func run() async throws {
        let configuration = try RedisConfiguration(url: url)
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        if configuration.isCluster {
            // A pool routes each command to its slot's node; one connection per client and node.
            let pool = RedisConnectionPool(configuration: configuration, options: .init(maxConnections: clients), logger: logger)
            for type in commandTypes {
                let rate = try await measure(type, clients: clients) { _, commands in try await pool.pipeline(commands) }
                print(String(format: "%@: %.0f requests per second (%d requests, %d clients, pipeline %d, cluster)", type.uppercased(), rate, requests, clients, pipeline))
            }
            await pool.close()
            return
        }
        let connections = (0..<clients).map { _ in RedisConnection(configuration: configuration, logger: logger) }
        for connection in connections { try await connection.connect() }
        for type in commandTypes {
            let rate = try await measure(type, clients: connections.count) { [connections] client, commands in
                try await connections[client].pipeline(commands)
            }
            print(String(format: "%@: %.0f requests per second (%d requests, %d clients, pipeline %d)", type.uppercased(), rate, requests, clients, pipeline))
        }
        for connection in connections { await connection.close() }
    }

    private func measure(_ type: String, clients: Int, send: @escaping @Sendable (_ client: Int, _ commands: [[RedisArgument]]) async throws -> [RESPValue]) async throws -> Double {
        let batches = (requests + pipeline - 1) / pipeline
        let value = RedisArgument(bytes: [UInt8](repeating: UInt8(ascii: "x"), count: 3))  // redis-benchmark's default -d 3
        let batch: [[RedisArgument]] = (0..<pipeline).map { _ in
            switch type {
            case "set": return ["SET", RedisArgument(prefix + ":__rand_int__"), value]
            case "get": return ["GET", RedisArgument(prefix + ":__rand_int__")]
            default: return ["PING"]
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                let share = batches / clients + (client < batches % clients ? 1 : 0)
                group.addTask {
                    for _ in 0..<share {
                        let replies = try await send(client, batch)
                        if case .error(let message) = replies.first { throw RedisError(.serverError, message) }
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(batches * pipeline) / (clock.now - start).inSeconds
    }
}
