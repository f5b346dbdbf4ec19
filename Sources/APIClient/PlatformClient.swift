package import AsyncHTTPClient
import Foundation
package import JSONSupport
import NIOCore
import NIOHTTP1

/// Calls the platform's HTTP API with a bearer token and unwraps its envelope: `data` on
/// success, a `ClientError` with the envelope's message and fields otherwise.
package struct PlatformClient: Sendable {
    package let baseURL: String
    let token: String?
    let http: HTTPClient

    package init(baseURL: String, token: String?, http: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.http = http
    }

    package enum Method: String, Sendable { case get = "GET", post = "POST", patch = "PATCH", put = "PUT", delete = "DELETE" }

    /// One API call; `path` starts with `/api/`.
    package func call(_ method: Method, _ path: String, body: JSONValue? = nil, timeout: Duration = .seconds(60)) async throws(ClientError) -> JSONValue {
        let request = makeRequest(method, path, body: body)
        let (status, text) = try await perform(request, timeout: timeout)
        let envelope = try? JSONValue(jsonText: text)
        guard (200..<300).contains(status) else { throw Self.failure(status: status, envelope: envelope, text: text) }
        return envelope?["data"] ?? .null
    }

    /// The job's Server-Sent Events as they arrive; ends when the platform closes the stream.
    package func jobEvents(_ jobId: String) -> AsyncThrowingStream<ServerSentEvent, any Error> {
        let request = makeRequest(.get, "/api/jobs/\(Self.pathComponent(jobId))/events", body: nil)
        let http = self.http
        let baseURL = self.baseURL
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await http.execute(request, timeout: .hours(2))
                    guard response.status == .ok else {
                        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                        throw Self.failure(status: Int(response.status.code), envelope: try? JSONValue(jsonText: text), text: text)
                    }
                    var parser = ServerSentEventParser()
                    for try await chunk in response.body {
                        for event in parser.feed(String(buffer: chunk)) { continuation.yield(event) }
                    }
                    continuation.finish()
                } catch let error as ClientError {
                    continuation.finish(throwing: error)
                } catch {
                    continuation.finish(throwing: Self.unreachable(baseURL, error))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func makeRequest(_ method: Method, _ path: String, body: JSONValue?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method.rawValue)
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.jsonText))
        }
        return request
    }

    func perform(_ request: HTTPClientRequest, timeout: Duration) async throws(ClientError) -> (Int, String) {
        do {
            let response = try await http.execute(request, timeout: .seconds(timeout.components.seconds))
            let body = try await response.body.collect(upTo: 64 << 20)
            return (Int(response.status.code), String(buffer: body))
        } catch {
            throw Self.unreachable(baseURL, error)
        }
    }

    static func unreachable(_ baseURL: String, _ error: any Error) -> ClientError {
        ClientError("cannot reach \(baseURL) (\(error)); is the platform running? Set --url or MEDICINEMAN_URL")
    }

    static func failure(status: Int, envelope: JSONValue?, text: String) -> ClientError {
        var fields: [String] = []
        if case .array(let named)? = envelope?["error"]?["details"]?["fields"] { fields = named.compactMap(\.stringValue) }
        let message = envelope?["message"]?.stringValue ?? "the platform answered \(status): \(text.prefix(200))"
        return ClientError(status: status, code: envelope?["error"]?["code"]?.stringValue, message, fields: fields)
    }

    /// Percent-encodes one path segment.
    package static func pathComponent(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:@")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// `?a=1&b=2` from the given pairs, skipping nil values.
    package static func query(_ pairs: [(String, String?)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let parts = pairs.compactMap { key, value in value.map { "\(key)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" } }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }
}
