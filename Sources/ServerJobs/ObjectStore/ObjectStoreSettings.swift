package import Foundation

/// Where an S3-compatible object store keeps archives (`BACKUP_STORAGE=s3`): AWS S3, MinIO, Ceph
/// RGW, Garage. Validated once, so every key and URL built from it is well formed.
package struct ObjectStoreSettings: Sendable, CustomStringConvertible {
    /// `scheme://host[:port]`, no path (`S3_ENDPOINT`).
    package let endpoint: URL
    package let bucket: String
    package let region: String
    package let accessKeyId: String
    package let secretAccessKey: ObjectStoreSecret
    /// `endpoint/bucket/key` when true, `bucket.endpoint/key` otherwise (`S3_PATH_STYLE`).
    package let pathStyle: Bool
    /// Every key starts with it (`S3_PREFIX`, default `medicineman/`); empty or ends with `/`.
    package let prefix: String
    /// Bytes per multipart part (S3's minimum is 5 MiB for all but the last part).
    package let partSize: Int
    /// Parts uploaded at once while the next one fills; memory is about (this + 1) × partSize.
    package let partsInFlight: Int

    package init(
        endpoint: String, bucket: String, region: String = "us-east-1", accessKeyId: String, secretAccessKey: String,
        pathStyle: Bool = true, prefix: String = "medicineman/", partSize: Int = 8 << 20, partsInFlight: Int = 2
    ) throws(ServerJobError) {
        guard !region.isEmpty, region.utf8.count <= 64, region.utf8.allSatisfy({ Self.isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else {
            throw ServerJobError(.invalidRequest, "S3_REGION must be a region name such as us-east-1", retryable: false)
        }
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.query == nil, url.user == nil, url.path.isEmpty || url.path == "/"
        else {
            // Not echoed: a mistyped endpoint may hold a credential (`http://key:secret@host`).
            throw ServerJobError(.invalidRequest, "S3_ENDPOINT must be http(s)://host[:port], without a path, user or query", retryable: false)
        }
        guard (3...63).contains(bucket.utf8.count),
            bucket.utf8.allSatisfy({ Self.isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") })
        else {
            throw ServerJobError(.invalidRequest, "S3_BUCKET must be 3-63 characters of a-z, 0-9, '-' and '.'", retryable: false)
        }
        guard !accessKeyId.isEmpty, accessKeyId.utf8.count <= 256, accessKeyId.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "/") }) else {
            throw ServerJobError(.invalidRequest, "S3_ACCESS_KEY_ID must be set (printable ASCII, no '/')", retryable: false)
        }
        guard !secretAccessKey.isEmpty, secretAccessKey.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw ServerJobError(.invalidRequest, "S3_SECRET_ACCESS_KEY must be set (printable ASCII)", retryable: false)
        }
        guard partSize >= 5 << 20, partSize <= 1 << 30, partsInFlight >= 1, partsInFlight <= 16 else {
            throw ServerJobError(.invalidRequest, "the multipart part size must be 5 MiB to 1 GiB, with 1 to 16 parts in flight", retryable: false)
        }
        self.endpoint = url
        self.bucket = bucket
        self.region = region
        self.accessKeyId = accessKeyId
        self.secretAccessKey = ObjectStoreSecret(secretAccessKey)
        self.pathStyle = pathStyle
        self.prefix = try Self.validatedPrefix(prefix)
        self.partSize = partSize
        self.partsInFlight = partsInFlight
    }

    /// Without the secret.
    package var description: String {
        "s3 \(endpoint.absoluteString) bucket \(bucket) region \(region) prefix '\(prefix)' key id \(accessKeyId)\(pathStyle ? " (path-style)" : "")"
    }

    /// Letters, digits, `-`, `_`, `.` and `/` between non-empty segments, none of them `.` or
    /// `..`; a trailing `/` is added.
    static func validatedPrefix(_ prefix: String) throws(ServerJobError) -> String {
        guard !prefix.isEmpty else { return "" }
        let trimmed = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        let segments = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = { (byte: UInt8) in
            Self.isLowerAlphanumeric(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard trimmed.utf8.count <= 200, !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." || !$0.utf8.allSatisfy(allowed) }) else {
            throw ServerJobError(
                .invalidRequest, "S3_PREFIX must be segments of letters, digits, '-', '_' and '.' separated by '/', got '\(prefix.prefix(200))'",
                retryable: false)
        }
        return trimmed + "/"
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
