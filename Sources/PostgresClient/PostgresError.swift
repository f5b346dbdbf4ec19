public import ErrorCodes

/// A failure talking to PostgreSQL, carrying the server's SQLSTATE and diagnostics when it sent them.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public typealias Code = ErrorCode<PostgresError>

    public let code: Code
    public let message: String
    /// Five-character SQLSTATE (e.g. `23505` unique violation), for server errors.
    public var sqlState: String?
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var table: String?
    public var column: String?

    public init(_ code: Code, _ message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
    public var isCheckViolation: Bool { sqlState == "23514" }
    public var isNotNullViolation: Bool { sqlState == "23502" }
    /// Any integrity constraint (class 23).
    public var isConstraintViolation: Bool { sqlState?.hasPrefix("23") == true }

    /// Connection problems, serialization failures and deadlocks may succeed when tried again.
    public var isRetryable: Bool {
        code == .connectionFailed || code == .connectionLost || sqlState == "40001" || sqlState == "40P01"
            || sqlState?.hasPrefix("08") == true || sqlState == "57P01"
    }

    public var description: String {
        var text = "PostgreSQL \(code): \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += " — \(detail)" }
        return text
    }
}

extension PostgresError.Code {
    public static let invalidConfiguration = Self("invalidConfiguration")
    /// A parameter cannot be sent as given (a NUL byte in text, which C would cut short).
    public static let invalidParameter = Self("invalidParameter")
    /// Could not connect (refused, bad credentials, unknown database).
    public static let connectionFailed = Self("connectionFailed")
    /// The connection broke during a statement (server restart); the next statement reconnects.
    public static let connectionLost = Self("connectionLost")
    /// The server rejected the statement; see `sqlState`.
    public static let serverError = Self("serverError")
    /// A column could not be decoded into the requested Swift type.
    public static let decodingFailed = Self("decodingFailed")
    public static let migrationFailed = Self("migrationFailed")
}
