/// One code of the closed set an error domain declares as static members of `ErrorCode<Domain>`
/// (`extension RedisError.Code { public static let timedOut = Self("timedOut") }`).
///
/// A struct rather than an enum, so a new code breaks no caller's `switch`; callers still match
/// codes by name (`case .timedOut:`). Only this package declares codes. A code prints as its name.
public struct ErrorCode<Domain>: Hashable, Sendable, CustomStringConvertible {
    public let description: String

    package init(_ name: String) {
        description = name
    }
}
