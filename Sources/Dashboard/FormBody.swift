import Foundation
import HTTPAPI
import Hummingbird

/// An `application/x-www-form-urlencoded` body (the sign-in, setup and sign-out forms).
struct FormBody: Sendable {
    let fields: [String: String]

    static let maximumSize = 16 * 1024

    init(_ request: Request) async throws {
        let buffer = try await request.body.collect(upTo: Self.maximumSize)
        fields = Self.parse(String(buffer: buffer))
        if let bad = Self.fieldWithControlCharacters(fields) {
            throw APIError.validation(bad, "\(bad) contains a NUL or control character; remove it")
        }
    }

    /// The first field whose name or value holds a NUL or another control character (none of
    /// these forms has a use for one, and C code would cut a NUL short).
    static func fieldWithControlCharacters(_ fields: [String: String]) -> String? {
        fields.keys.sorted().first { name in
            (name + (fields[name] ?? "")).unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
        }
    }

    init(fields: [String: String]) {
        self.fields = fields
    }

    subscript(_ name: String) -> String? { fields[name] }

    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let rawName = parts.first else { continue }
            func decode(_ part: Substring) -> String? { String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decode(rawName), let value = parts.count > 1 ? decode(parts[1]) : "" else { continue }
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }
}
