/// A setting is missing or malformed; the message names the variable and what it expects.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let variable: String
    public let message: String

    public init(variable: String, _ message: String) {
        self.variable = variable
        self.message = message
    }

    public var description: String { "configuration error in \(variable): \(message)" }
}
