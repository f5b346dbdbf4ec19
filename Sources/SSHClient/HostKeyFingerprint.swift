import Foundation

/// SHA-256 host key fingerprints in OpenSSH's notation (`SHA256:` + unpadded base64).
public enum HostKeyFingerprint {
    public static func format(sha256 digest: [UInt8]) -> String {
        var encoded = Data(digest).base64EncodedString()
        while encoded.hasSuffix("=") { encoded.removeLast() }
        return "SHA256:" + encoded
    }

    /// Canonical form for comparison: prefix optional, base64 padding ignored.
    public static func normalize(_ fingerprint: String) -> String {
        var text = fingerprint.trimmingCharacters(in: .whitespaces)
        if text.uppercased().hasPrefix("SHA256:") { text = String(text.dropFirst(7)) }
        while text.hasSuffix("=") { text.removeLast() }
        return "SHA256:" + text
    }

    /// Whether a fingerprint has the shape of a SHA-256 one (43 base64 characters).
    public static func isValid(_ fingerprint: String) -> Bool {
        let body = normalize(fingerprint).dropFirst(7)
        guard body.count == 43 else { return false }
        return body.allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" }
    }
}
