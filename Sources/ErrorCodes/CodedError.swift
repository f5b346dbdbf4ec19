/// The area an error comes from, named at the head of its description ("Redis timedOut: …").
public protocol ErrorDomain: Sendable {
    static var name: String { get }
}

/// An error that is a code from its domain's closed set and a message a person can act on.
///
/// Clients whose errors carry nothing more share this one shape (`RedisError`, `SSHError`,
/// `JobQueueError` are aliases of it); what differs, such as `isRetryable`, lives in an extension
/// on the alias.
public struct CodedError<Domain: ErrorDomain>: Error, Sendable, CustomStringConvertible {
    public typealias Code = ErrorCode<Domain>

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(Domain.name) \(code): \(message)" }
}
