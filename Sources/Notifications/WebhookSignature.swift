import Crypto
package import Records

/// `X-MedicineMan-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. The
/// timestamp is signed with the body, so a receiver that refuses old timestamps refuses replays.
package enum WebhookSignature {
    package static let eventHeader = "X-MedicineMan-Event"
    package static let deliveryHeader = "X-MedicineMan-Delivery"
    package static let timestampHeader = "X-MedicineMan-Timestamp"
    package static let signatureHeader = "X-MedicineMan-Signature"

    /// The header's value for `body` sent at `timestamp` (unix seconds).
    package static func sign(body: [UInt8], timestamp: Int, secret: WebhookSecret) -> String {
        var message = Array(String(timestamp).utf8)
        message.append(UInt8(ascii: "."))
        message += body
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret.bytes))
        return "sha256=" + Hex.encode(code)
    }
}
