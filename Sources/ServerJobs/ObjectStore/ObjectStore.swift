package import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// A small S3 client over async-http-client: the calls archive storage needs, signed with
/// SigV4. Keys are made by `BackupStorage` from validated ids only; every failure is a
/// `ServerJobError(.storage)` that names the call and the store's error code, never a credential.
package struct ObjectStore: Sendable {
    package let settings: ObjectStoreSettings
    let signer: SigV4Signer
    let http: HTTPClient

    /// One client for the process, never shut down: no redirects (a 3xx could carry our signed
    /// request to another host), connections given up after 10 s, a read stalled for 60 s fails.
    package static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: .seconds(60))))

    package init(settings: ObjectStoreSettings, http: HTTPClient = ObjectStore.client) {
        self.settings = settings
        self.signer = SigV4Signer(accessKeyId: settings.accessKeyId, secret: settings.secretAccessKey, region: settings.region)
        self.http = http
    }

    /// What one call answered, its body read whole (bounded by the caller's limit).
    struct Answer: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: ByteBuffer
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
    }

    static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Sends one signed request. `key` nil addresses the bucket. A status outside `expected`
    /// becomes an error carrying the store's `<Code>` and `<Message>`.
    func send(
        _ method: HTTPMethod, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [], body: ByteBuffer? = nil,
        payloadHash: String = emptyPayloadHash, expected: Set<Int>, bodyLimit: Int = 4 << 20,
        timeout: TimeAmount = .seconds(60)
    ) async throws(ServerJobError) -> Answer {
        let (url, host, path) = address(key: key, query: query)
        let date = Date()
        var allHeaders = headers
        allHeaders.append(("x-amz-content-sha256", payloadHash))
        let authorization = signer.authorization(
            method: method.rawValue, host: host, path: path, query: query, headers: allHeaders,
            payloadHash: payloadHash, date: date)
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Host", value: host)
        request.headers.add(name: "x-amz-date", value: SigV4Signer.timestamp(date))
        for (name, value) in allHeaders { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Authorization", value: authorization)
        if let body { request.body = .bytes(body) }  // its length is known: sent as Content-Length
        let what = "\(method.rawValue) \(key ?? settings.bucket)"
        let response: HTTPClientResponse
        let collected: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            collected = try await response.body.collect(upTo: bodyLimit)
        } catch is CancellationError {
            throw ServerJobError(.cancelled, "the object store call \(what) was cancelled", retryable: false)
        } catch {
            throw ServerJobError(.storage, "the object store at \(settings.endpoint.absoluteString) did not answer \(what): \(error)", retryable: true)
        }
        let answer = Answer(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: collected)
        guard expected.contains(answer.status) else { throw Self.failure(answer, what: what) }
        return answer
    }

    /// The URL, the `Host` header and the canonical path of a request.
    func address(key: String?, query: [(String, String)]) -> (url: String, host: String, path: String) {
        let scheme = settings.endpoint.scheme?.lowercased() ?? "https"
        var host = settings.endpoint.host ?? ""
        if let port = settings.endpoint.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) { host += ":\(port)" }
        let encodedKey = key.map { SigV4Signer.encode($0, keepSlash: true) }
        let path: String
        if settings.pathStyle {
            path = "/" + settings.bucket + (encodedKey.map { "/" + $0 } ?? "")
        } else {
            host = settings.bucket + "." + host
            path = "/" + (encodedKey ?? "")
        }
        let queryText = query.map { SigV4Signer.encode($0.0) + "=" + SigV4Signer.encode($0.1) }.joined(separator: "&")
        return ("\(scheme)://\(host)\(path)" + (queryText.isEmpty ? "" : "?" + queryText), host, path)
    }

    /// An error answer as a message an operator can act on.
    static func failure(_ answer: Answer, what: String) -> ServerJobError {
        let text = String(buffer: answer.body)
        let code = XMLText.first("Code", in: text) ?? "HTTP \(answer.status)"
        let message = XMLText.first("Message", in: text).map { ": " + $0.prefix(300) } ?? ""
        switch (answer.status, code) {
        case (403, "InvalidAccessKeyId"), (403, "SignatureDoesNotMatch"), (401, _):
            return ServerJobError(
                .storage, "the object store refused our credentials for \(what) (\(code)\(message)); check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY",
                retryable: false)
        case (404, "NoSuchBucket"):
            return ServerJobError(.storage, "the object store has no bucket for \(what) (\(code)); check S3_BUCKET", retryable: false)
        default:
            return ServerJobError(
                .storage, "the object store answered \(answer.status) to \(what) (\(code)\(message))",
                retryable: answer.status >= 500 || answer.status == 429)
        }
    }
}
