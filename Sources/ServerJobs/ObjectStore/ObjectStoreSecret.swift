/// A secret that never prints: `description` and `debugDescription` are redacted, so neither a log
/// line, an error, string interpolation nor `dump` (an empty mirror) can carry it.
public struct ObjectStoreSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
