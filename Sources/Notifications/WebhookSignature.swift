import Crypto
import Records

/// `X-MedicineMan-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. The
/// timestamp is signed with the body, so a receiver that refuses old timestamps refuses replays.
public enum WebhookSignature {
    public static let eventHeader = "X-MedicineMan-Event"
    public static let deliveryHeader = "X-MedicineMan-Delivery"
    public static let timestampHeader = "X-MedicineMan-Timestamp"
    public static let signatureHeader = "X-MedicineMan-Signature"

    /// The header's value for `body` sent at `timestamp` (unix seconds).
    public static func sign(body: [UInt8], timestamp: Int, secret: WebhookSecret) -> String {
        var message = Array(String(timestamp).utf8)
        message.append(UInt8(ascii: "."))
        message += body
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret.bytes))
        return "sha256=" + Hex.encode(code)
    }
}
