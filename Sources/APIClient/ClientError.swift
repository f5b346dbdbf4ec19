/// A failure a person can act on: one line saying what went wrong and what to do.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status when the platform answered; nil when it could not be reached.
    public var status: Int?
    /// The error envelope's code (`unauthorized`, `validation_failed`, …).
    public var code: String?
    public var message: String
    /// Fields the platform named at fault.
    public var fields: [String]

    public init(status: Int? = nil, code: String? = nil, _ message: String, fields: [String] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
    }

    public var description: String {
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
