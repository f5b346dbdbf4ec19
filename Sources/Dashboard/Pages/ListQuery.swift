import Foundation
import Hummingbird
import Records

/// What a list page was asked for: `?offset=` (clamped to 0...10,000,000) and the filters it
/// keeps in the links to the pages either side.
struct ListQuery {
    let path: String
    let pageSize: Int
    let offset: Int
    private let parameters: [String: String]
    private var kept: [(name: String, value: String)] = []

    init(_ request: Request, path: String, pageSize: Int = 50) {
        var parameters: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { parameters[String(name)] = String(value) }
        self.parameters = parameters
        self.path = path
        self.pageSize = pageSize
        offset = max(0, min(parameters["offset"].flatMap { Int($0) } ?? 0, 10_000_000))
    }

    var page: Page { Page(limit: pageSize, offset: offset) }

    /// RFC 3986's unreserved characters: a kept value is sent as it is only when made of them.
    private static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    /// A filter's value when `read` accepts it; an accepted one is kept in the page links.
    mutating func filter<Value>(_ name: String, _ read: (String) -> Value?, as text: (Value) -> String) -> Value? {
        guard let value = parameters[name].flatMap(read) else { return nil }
        kept.append((name, text(value)))
        return value
    }

    /// `?serverId=` as a server's id.
    mutating func serverId() -> UUID? {
        filter("serverId", { UUID(uuidString: $0) }, as: \.lowercasedString)
    }

    /// Adds the links to the pages before and after `page` to `data`.
    func addLinks<Item>(for page: PageOf<Item>, to data: inout [String: Any]) {
        let filters = kept.map { "&\($0.name)=\($0.value.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "")" }.joined()
        if offset > 0 { data["previous"] = "\(path)?offset=\(max(0, offset - pageSize))" + filters }
        if let next = page.nextOffset { data["next"] = "\(path)?offset=\(next)" + filters }
    }
}
