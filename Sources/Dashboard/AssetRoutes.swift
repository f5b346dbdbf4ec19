import Crypto
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import NIOCore
import Records

/// The stylesheet, script and icon, read from the binary's resources once at start and served
/// from memory with an ETag (no CDN, no build step).
struct AssetRoutes: Sendable {
    struct Asset: Sendable {
        let bytes: ByteBuffer
        let contentType: String
        let etag: String
    }

    let assets: [String: Asset]

    static let contentTypes = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml"]

    init() throws {
        guard let directory = Bundle.module.url(forResource: "assets", withExtension: nil) else {
            throw DashboardError("the dashboard's assets are missing from the binary's resources")
        }
        var assets: [String: Asset] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            guard let type = Self.contentTypes[URL(fileURLWithPath: file).pathExtension] else { continue }
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let digest = Hex.encode(SHA256.hash(data: data).prefix(12))
            assets[file] = Asset(bytes: ByteBuffer(bytes: data), contentType: type, etag: "\"\(digest)\"")
        }
        self.assets = assets
    }

    func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/assets/:name", use: serve)
    }

    @Sendable func serve(_ request: Request, context: APIRequestContext) async throws -> Response {
        var headers = HTTPFields()
        for (name, value) in PageRenderer.securityHeaders { headers[name] = value }
        guard let name = context.parameters.get("name"), let asset = assets[name] else {
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(status: .notFound, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "no such asset")))
        }
        headers[.eTag] = asset.etag
        headers[.cacheControl] = "no-cache"
        if request.headers[.ifNoneMatch] == asset.etag { return Response(status: .notModified, headers: headers) }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
    }
}
