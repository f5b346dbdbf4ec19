/// A secret that never prints: `description` and `debugDescription` are redacted, so neither a log
/// line, an error, string interpolation nor `dump` (an empty mirror) can carry it.
package struct ObjectStoreSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let value: String
    package init(_ value: String) { self.value = value }
    package var description: String { "<redacted>" }
    package var debugDescription: String { "<redacted>" }
    package var customMirror: Mirror { Mirror(self, children: [:]) }
}
