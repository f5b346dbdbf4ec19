/// `text[]` in PostgreSQL's array literal form: `{a,"b c",NULL}`.
extension Array: PostgresEncodable where Element == String {
    public var postgresText: String? {
        var text = "{"
        for (index, element) in enumerated() {
            if index > 0 { text += "," }
            text += "\""
            for character in element.unicodeScalars {
                if character == "\"" || character == "\\" { text += "\\" }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        return text + "}"
    }
}

extension Array: PostgresDecodable where Element == String {
    /// Reads a one-dimensional array literal. `[String]` cannot hold NULL elements, so those are
    /// rejected with a clear error.
    public init(postgresText text: String, type: UInt32) throws(PostgresError) {
        let scalars = Array<Unicode.Scalar>(text.unicodeScalars)
        guard scalars.first == "{", scalars.last == "}" else { throw decodingError(text, as: [String].self) }
        var elements: [String] = []
        var index = 1
        let end = scalars.count - 1
        while index < end {
            var element = ""
            if scalars[index] == "\"" {
                index += 1
                while index < end, scalars[index] != "\"" {
                    if scalars[index] == "\\", index + 1 < end { index += 1 }
                    element.unicodeScalars.append(scalars[index])
                    index += 1
                }
                index += 1  // closing quote
            } else {
                while index < end, scalars[index] != "," {
                    element.unicodeScalars.append(scalars[index])
                    index += 1
                }
                if element == "NULL" {
                    throw PostgresError(.decodingFailed, "array \(text.prefix(64)) holds NULL, which [String] cannot represent")
                }
            }
            elements.append(element)
            if index < end, scalars[index] == "," { index += 1 }
        }
        self = elements
    }
}
