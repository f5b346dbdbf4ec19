/// A failure a person can act on: one line saying what went wrong and what to do.
package struct ClientError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status when the platform answered; nil when it could not be reached.
    package var status: Int?
    /// The error envelope's code (`unauthorized`, `validation_failed`, …).
    package var code: String?
    package var message: String
    /// Fields the platform named at fault.
    package var fields: [String]

    package init(status: Int? = nil, code: String? = nil, _ message: String, fields: [String] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
    }

    package var description: String {
        var line = message
        if !fields.isEmpty { line += " (field: \(fields.joined(separator: ", ")))" }
        switch status {
        case 401?: line += " — log in again: `medicineman login`, or pass --token / MEDICINEMAN_TOKEN"
        case 403?: line += " — your role may not do this; ask an admin"
        case 429?: line += " — wait a moment and try again"
        default: break
        }
        return line
    }
}
