import Foundation
import Hummingbird

/// An `application/x-www-form-urlencoded` body (the sign-in, setup and sign-out forms).
struct FormBody: Sendable {
    let fields: [String: String]

    static let maximumSize = 16 * 1024

    init(_ request: Request) async throws {
        let buffer = try await request.body.collect(upTo: Self.maximumSize)
        fields = Self.parse(String(buffer: buffer))
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
