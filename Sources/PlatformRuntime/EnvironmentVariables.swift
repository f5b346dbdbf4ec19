/// The process environment as the configuration reads it: an empty variable counts as unset, and
/// a value that does not parse is a `ConfigurationError` naming the variable.
struct EnvironmentVariables {
    let values: [String: String]

    init(_ values: [String: String]) {
        self.values = values
    }

    /// The variable's value; nil when unset or empty.
    subscript(name: String) -> String? {
        values[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A whole number in `range`; nil when unset.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = self[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(variable: name, "expected a whole number in \(range.lowerBound)...\(range.upperBound), got '\(text.prefix(40))'")
        }
        return value
    }

    /// Whole seconds in `range`; nil when unset.
    func seconds(_ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Duration? {
        try integer(name, in: range).map { .seconds($0) }
    }

    /// `true`/`1`/`yes` or `false`/`0`/`no`; nil when unset.
    func boolean(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let text = self[name] else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ConfigurationError(variable: name, "expected true or false, got '\(text.prefix(40))'")
        }
    }
}
