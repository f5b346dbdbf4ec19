import AsyncHTTPClient
package import Crypto
package import Foundation
package import NIOCore
import NIOHTTP1
import Records

/// The S3 calls archive storage uses.
extension ObjectStore {
    package struct UploadedPart: Sendable, Equatable {
        package var number: Int
        package var etag: String
        /// Base64 SHA-256 of the part, as sent in `x-amz-checksum-sha256`.
        package var checksum: String
    }

    package struct ListedObject: Sendable, Equatable {
        package var key: String
        package var size: Int64
        package var lastModified: Date
    }

    package struct PendingUpload: Sendable, Equatable {
        package var key: String
        package var uploadId: String
        package var initiated: Date
    }

    /// Creates the bucket (tests and first set-up); an existing bucket of ours is fine.
    package func createBucket() async throws(ServerJobError) {
        _ = try await send(.PUT, key: nil, expected: [200, 409])
    }

    /// Starts a multipart upload whose parts carry SHA-256 checksums.
    package func createMultipartUpload(key: String) async throws(ServerJobError) -> String {
        let answer = try await send(.POST, key: key, query: [("uploads", "")], headers: [("x-amz-checksum-algorithm", "SHA256")], expected: [200])
        guard let uploadId = XMLText.first("UploadId", in: String(buffer: answer.body)), !uploadId.isEmpty else {
            throw ServerJobError(.storage, "the object store started an upload of \(key) without naming it (no UploadId)", retryable: true)
        }
        return uploadId
    }

    /// Uploads one part, signed over its SHA-256 and carrying it as `x-amz-checksum-sha256`, so
    /// the store refuses bytes that changed on the way; a checksum the store reports back must be ours.
    package func uploadPart(key: String, uploadId: String, number: Int, body: ByteBuffer, sha256: SHA256.Digest) async throws(ServerJobError) -> UploadedPart {
        let checksum = Data(sha256).base64EncodedString()
        let answer = try await send(
            .PUT, key: key, query: [("partNumber", String(number)), ("uploadId", uploadId)],
            headers: [("x-amz-checksum-sha256", checksum)], body: body, payloadHash: Hex.encode(sha256), expected: [200],
            timeout: .seconds(300))
        if let stored = answer.header("x-amz-checksum-sha256"), stored != checksum {
            throw ServerJobError(
                .storage, "the object store reports part \(number) of \(key) with SHA-256 \(stored), but we sent \(checksum); the upload is abandoned",
                retryable: true)
        }
        guard let etag = answer.header("etag"), !etag.isEmpty else {
            throw ServerJobError(.storage, "the object store stored part \(number) of \(key) without an ETag", retryable: true)
        }
        return UploadedPart(number: number, etag: etag, checksum: checksum)
    }

    /// Joins the parts into the object. S3 may answer 200 with an error body; that is a failure.
    package func completeMultipartUpload(key: String, uploadId: String, parts: [UploadedPart]) async throws(ServerJobError) {
        let list = parts.sorted { $0.number < $1.number }.map {
            "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(XMLText.escape($0.etag))</ETag><ChecksumSHA256>\($0.checksum)</ChecksumSHA256></Part>"
        }.joined()
        let xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(list)</CompleteMultipartUpload>"
        let body = ByteBuffer(string: xml)
        let answer = try await send(
            .POST, key: key, query: [("uploadId", uploadId)], headers: [("content-type", "application/xml")], body: body,
            payloadHash: Hex.encode(SHA256.hash(data: Data(xml.utf8))), expected: [200])
        let text = String(buffer: answer.body)
        if text.contains("<Error>") { throw Self.failure(Answer(status: 500, headers: answer.headers, body: answer.body), what: "POST \(key) (complete)") }
    }

    /// Abandons an upload and frees its parts; one already gone is fine.
    package func abortMultipartUpload(key: String, uploadId: String) async throws(ServerJobError) {
        _ = try await send(.DELETE, key: key, query: [("uploadId", uploadId)], expected: [200, 204, 404])
    }

    /// The object's size, or nil when there is none.
    package func size(of key: String) async throws(ServerJobError) -> Int64? {
        let answer = try await send(.HEAD, key: key, expected: [200, 404])
        guard answer.status == 200 else { return nil }
        guard let length = answer.header("content-length").flatMap(Int64.init) else {
            throw ServerJobError(.storage, "the object store gave no size for \(key)", retryable: true)
        }
        return length
    }

    /// Bytes `offset ..< offset + length` of an object; fewer bytes than asked is an error
    /// (a truncated answer is never taken for the object's end).
    package func read(_ key: String, offset: Int64, length: Int) async throws(ServerJobError) -> ByteBuffer {
        let answer = try await send(
            .GET, key: key, headers: [("range", "bytes=\(offset)-\(offset + Int64(length) - 1)")], expected: [200, 206],
            bodyLimit: length + 1, timeout: .seconds(300))
        if answer.status == 200, offset != 0 {
            throw ServerJobError(.storage, "the object store ignored the range of \(key) at \(offset)", retryable: true)
        }
        guard answer.body.readableBytes == length else {
            throw ServerJobError(
                .storage, "the object store answered \(answer.body.readableBytes) bytes of \(key) at \(offset), not \(length): truncated or changed",
                retryable: true)
        }
        return answer.body
    }

    /// Stores a small object in one request (tests and the benchmark's probes).
    package func put(_ key: String, _ bytes: [UInt8]) async throws(ServerJobError) {
        let digest = SHA256.hash(data: bytes)
        _ = try await send(
            .PUT, key: key, headers: [("x-amz-checksum-sha256", Data(digest).base64EncodedString())], body: ByteBuffer(bytes: bytes),
            payloadHash: Hex.encode(digest), expected: [200])
    }

    package func delete(_ key: String) async throws(ServerJobError) {
        _ = try await send(.DELETE, key: key, expected: [200, 204, 404])
    }

    /// Listings stop with an error beyond this many entries.
    static let listingLimit = 50_000_000

    /// Every object under `prefix`, page by page.
    package func list(prefix: String) async throws(ServerJobError) -> [ListedObject] {
        var objects: [ListedObject] = []
        var token: String?
        var seen = Set<String>()
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let answer = try await send(.GET, key: nil, query: query, expected: [200], bodyLimit: 64 << 20)
            let text = String(buffer: answer.body)
            for block in XMLText.blocks("Contents", in: text) {
                guard let key = XMLText.first("Key", in: block) else { continue }
                objects.append(
                    ListedObject(
                        key: key, size: XMLText.first("Size", in: block).flatMap(Int64.init) ?? 0,
                        lastModified: XMLText.first("LastModified", in: block).flatMap(Self.date) ?? Date()))
            }
            let next = XMLText.first("IsTruncated", in: text) == "true" ? XMLText.first("NextContinuationToken", in: text) : nil
            // A store that repeats a token (at once or in a cycle), or pages past any bucket we could
            // use, ends the listing with an error.
            guard next.map({ seen.insert($0).inserted }) ?? true, objects.count <= Self.listingLimit else {
                throw ServerJobError(.storage, "the object store's listing of \(prefix) does not end (a repeated page token, or over \(Self.listingLimit) objects)")
            }
            token = next
        } while token != nil
        return objects
    }

    /// Multipart uploads under `prefix` that were neither completed nor aborted.
    package func pendingUploads(prefix: String) async throws(ServerJobError) -> [PendingUpload] {
        var uploads: [PendingUpload] = []
        var markers: (key: String, uploadId: String)?
        var seen = Set<String>()
        repeat {
            var query = [("uploads", ""), ("prefix", prefix)]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.uploadId)] }
            let answer = try await send(.GET, key: nil, query: query, expected: [200], bodyLimit: 64 << 20)
            let text = String(buffer: answer.body)
            for block in XMLText.blocks("Upload", in: text) {
                guard let key = XMLText.first("Key", in: block), let uploadId = XMLText.first("UploadId", in: block) else { continue }
                uploads.append(PendingUpload(key: key, uploadId: uploadId, initiated: XMLText.first("Initiated", in: block).flatMap(Self.date) ?? Date()))
            }
            if XMLText.first("IsTruncated", in: text) == "true", let key = XMLText.first("NextKeyMarker", in: text),
                let uploadId = XMLText.first("NextUploadIdMarker", in: text)
            {
                guard seen.insert(key + "\u{0}" + uploadId).inserted, uploads.count <= Self.listingLimit else {
                    throw ServerJobError(.storage, "the object store's list of pending uploads under \(prefix) does not end")
                }
                markers = (key, uploadId)
            } else {
                markers = nil
            }
        } while markers != nil
        return uploads
    }

    /// ISO 8601 with or without fractional seconds, as S3 writes them.
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
