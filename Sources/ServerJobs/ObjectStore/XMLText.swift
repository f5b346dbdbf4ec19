import Foundation

/// Reads the few elements S3's XML answers carry; no general XML parsing is needed for them.
enum XMLText {
    /// The text of every `<tag>…</tag>` in `text`, entities decoded.
    static func all(_ tag: String, in text: String) -> [String] { contents(tag, in: text).map(decode) }

    static func first(_ tag: String, in text: String) -> String? { all(tag, in: text).first }

    /// The raw contents of every `<tag>…</tag>` block (for `<Contents>`, `<Upload>`).
    static func blocks(_ tag: String, in text: String) -> [String] { contents(tag, in: text).map(String.init) }

    private static func contents(_ tag: String, in text: String) -> [Substring] {
        var found: [Substring] = []
        var rest = Substring(text)
        while let open = rest.range(of: "<\(tag)>"), let close = rest[open.upperBound...].range(of: "</\(tag)>") {
            found.append(rest[open.upperBound..<close.lowerBound])
            rest = rest[close.upperBound...]
        }
        return found
    }

    static func decode(_ text: Substring) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&#13;", with: "\r").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
