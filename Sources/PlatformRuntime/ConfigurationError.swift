/// A setting is missing or malformed; the message names the variable and what it expects.
package struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    package let variable: String
    package let message: String

    package init(variable: String, _ message: String) {
        self.variable = variable
        self.message = message
    }

    package var description: String { "configuration error in \(variable): \(message)" }
}
