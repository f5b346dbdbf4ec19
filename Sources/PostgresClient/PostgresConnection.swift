import BlockingIO
import Foundation
import CLibPQ
public import Logging

/// One libpq connection, running on a thread of its own.
///
/// Every statement is parameterised (`PQexecParams`, text format): values never become part of
/// the SQL text. The connection opens lazily and reopens after it broke; a statement in flight
/// when the server went away fails with a retryable `connectionLost`.
public actor PostgresConnection {
    public nonisolated let configuration: PostgresConfiguration
    let logger: Logger
    private let executor: DedicatedThreadExecutor
    private var connection: OpaquePointer?

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    public init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.executor = DedicatedThreadExecutor(name: "postgres")
    }

    isolated deinit {
        if let connection { PQfinish(connection) }
        executor.shutdown()
    }

    public var isConnected: Bool { connection != nil }

    public func connect() throws(PostgresError) {
        _ = try openConnection()
    }

    public func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    /// Runs one parameterised statement (`$1`, `$2`, ...) and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) throws(PostgresError) -> PostgresResult {
        let texts: [String?] = parameters.map { $0?.postgresText }
        // libpq reads parameters as C strings: a NUL would silently cut the value short.
        if let index = texts.firstIndex(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresError(.invalidParameter, "parameter $\(index + 1) contains a NUL character, which PostgreSQL text cannot hold")
        }
        let connection = try openConnection()
        let result = try succeeded(
            Self.withCStrings(texts) { values in PQexecParams(connection, sql, Int32(texts.count), nil, values, nil, nil, 0) }, on: connection)
        defer { PQclear(result) }
        return PostgresResult(result)
    }

    /// Runs a multi-statement SQL script with no parameters (`PQexec`).
    ///
    /// Only for trusted SQL shipped with the program (migrations): it takes no values, so nothing
    /// from outside can reach it. Everything else goes through `query(_:_:)`.
    public func executeScript(_ sql: String) throws(PostgresError) {
        let connection = try openConnection()
        PQclear(try succeeded(PQexec(connection, sql), on: connection))
    }

    /// A statement's result when it succeeded (the caller clears it); otherwise clears it and
    /// throws: `connectionLost` when the connection broke, else the server's error.
    private func succeeded(_ result: OpaquePointer?, on connection: OpaquePointer) throws(PostgresError) -> OpaquePointer {
        guard let result else { throw lostConnectionError(connection) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return result
        default:
            defer { PQclear(result) }
            if PQstatus(connection) != CONNECTION_OK { throw lostConnectionError(connection) }
            throw Self.serverError(result)
        }
    }

    /// Runs `body` inside BEGIN/COMMIT; any error rolls back and is rethrown. The body is
    /// synchronous: the whole transaction runs on this connection's thread without a suspension,
    /// so nothing else can interleave on the connection between its statements.
    @discardableResult
    public func transaction<Result: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) throws -> Result
    ) throws -> Result {
        try query("BEGIN")
        do {
            let result = try body(self)
            try query("COMMIT")
            return result
        } catch {
            if isConnected {
                do { try query("ROLLBACK") } catch { logger.warning("rollback failed", metadata: ["error": "\(error)"]) }
            }
            throw error
        }
    }

    // MARK: - Connection management

    private func openConnection() throws(PostgresError) -> OpaquePointer {
        if let connection { return connection }
        let parameters = configuration.connectionParameters
        let opened: OpaquePointer? = Self.withCStrings(parameters.map { $0.0 } + [nil]) { keywords in
            Self.withCStrings(parameters.map { $0.1 } + [nil]) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let opened else {
            throw PostgresError(.connectionFailed, "could not allocate a PostgreSQL connection")
        }
        guard PQstatus(opened) == CONNECTION_OK else {
            let message = Self.text(PQerrorMessage(opened))
            PQfinish(opened)
            throw PostgresError(.connectionFailed, "cannot connect to \(configuration.redactedDescription): \(message)")
        }
        connection = opened
        logger.debug("postgres connected")
        return opened
    }

    private func lostConnectionError(_ connection: OpaquePointer) -> PostgresError {
        let message = Self.text(PQerrorMessage(connection))
        close()
        return PostgresError(.connectionLost, "connection to \(configuration.redactedDescription) lost: \(message); the next statement reconnects")
    }

    // MARK: - C helpers

    static func serverError(_ result: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let ascii = code.asciiValue, let value = PQresultErrorField(result, Int32(ascii)) else { return nil }
            return String(cString: value)
        }
        let message = field("M") ?? text(PQresultErrorMessage(result))
        var error = PostgresError(.serverError, message, sqlState: field("C"))
        error.detail = field("D")
        error.hint = field("H")
        error.table = field("t")
        error.column = field("c")
        error.constraint = field("n")
        return error
    }

    static func text(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Passes strings to C as a `const char * const *` array; nil entries stay NULL.
    static func withCStrings<Result>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> Result) -> Result {
        let storage: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
        defer { storage.forEach { free($0) } }
        let pointers: [UnsafePointer<CChar>?] = storage.map { $0.map { UnsafePointer($0) } } + [nil]  // never empty
        return body(pointers)
    }
}
