import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// Reads a JSON body into `Body`: 413 past the context's size limit, 400 naming the field at
    /// fault when the JSON does not fit.
    func decodeJSON<Body: Decodable>(as type: Body.Type, context: APIRequestContext) async throws -> Body {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "body_too_large", "the request body is larger than \(context.maxUploadSize / 1024) KiB")
        }
        do {
            return try context.requestDecoder.decode(Body.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw ErrorEnvelopeMiddleware<APIRequestContext>.decoding(error)
        }
    }
}
