import Foundation
package import Hummingbird
import NIOCore

/// `GET /openapi.json`: the committed OpenAPI 3.1 document (`Sources/HTTPAPI/Resources/openapi.json`).
package struct OpenAPIController<Context: RequestContext>: Sendable {
    let document: ByteBuffer

    /// Reads the document once; a deployment without its resource bundle fails here, at start.
    package init() throws {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "openapi.json is missing from the HTTPAPI resources"])
        }
        document = ByteBuffer(bytes: Array(try Data(contentsOf: url)))
    }

    package func addRoutes(to router: Router<Context>) {
        let document = self.document
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: document))
        }
    }
}
