public import ErrorCodes
import Foundation
public import PostgresClient

/// Why a record could not be read or written, naming the field at fault when there is one.
public struct RecordError: Error, Sendable, CustomStringConvertible {
    public typealias Kind = ErrorCode<RecordError>

    public let kind: Kind
    public let field: String?
    public let message: String

    public init(_ kind: Kind, field: String?, _ message: String) {
        self.kind = kind
        self.field = field
        self.message = message
    }

    public var description: String { field.map { "\(kind) \($0): \(message)" } ?? "\(kind): \(message)" }

    /// Translates a database error. Constraints are named `<table>__<field>__<rule>`, which gives
    /// the field; a NOT NULL violation names its column itself.
    public init(_ error: PostgresError) {
        let field = error.constraint.flatMap(Self.field(fromConstraint:)) ?? error.column
        if error.isUniqueViolation {
            self.init(.conflict, field: field, "\(field ?? "a value") is already taken")
        } else if error.isForeignKeyViolation {
            self.init(.invalid, field: field, "\(field ?? "a reference") points at a record that does not exist")
        } else if error.isNotNullViolation {
            self.init(.invalid, field: field, "\(field ?? "a field") is required")
        } else if error.isCheckViolation {
            let rule = error.constraint.flatMap { $0.components(separatedBy: "__").last } ?? "rule"
            self.init(.invalid, field: field, "\(field ?? "a value") breaks the \(rule) rule")
        } else if error.code == .invalidParameter {
            self.init(.invalid, field: nil, error.message)
        } else if error.isRetryable || error.code == .connectionFailed {
            self.init(.unavailable, field: nil, "the database is unavailable: \(error.message)")
        } else {
            self.init(.internalFailure, field: nil, error.message)
        }
    }

    static func field(fromConstraint name: String) -> String? {
        let parts = name.components(separatedBy: "__")
        return parts.count == 3 ? parts[1] : nil
    }
}

extension RecordError {
    /// Any error of a database call: a `RecordError` as it is, a PostgreSQL one by its SQLSTATE,
    /// anything else as an internal failure.
    init(_ error: any Error) {
        switch error {
        case let error as RecordError: self = error
        case let error as PostgresError: self.init(error)
        default: self.init(.internalFailure, field: nil, "\(error)")
        }
    }
}

/// Runs a database call, turning its errors into `RecordError`s.
func recording<Result>(_ body: () async throws -> Result) async throws(RecordError) -> Result {
    do { return try await body() } catch { throw RecordError(error) }
}

/// Synchronous variant of `recording` for decoding.
func recording<Result>(_ body: () throws -> Result) throws(RecordError) -> Result {
    do { return try body() } catch { throw RecordError(error) }
}

extension RecordError.Kind {
    /// A value breaks a rule (format, range, missing).
    public static let invalid = Self("invalid")
    public static let notFound = Self("notFound")
    /// A unique value is taken, or the row is in a state that forbids the change.
    public static let conflict = Self("conflict")
    /// The database could not be reached; retrying may help.
    public static let unavailable = Self("unavailable")
    /// This process is at its limit for the work (e.g. password checks); retrying soon may help.
    public static let busy = Self("busy")
    public static let internalFailure = Self("internalFailure")
}
