/// How to reach one server over SSH.
public struct SSHConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var authentication: SSHAuthentication
    public var hostKey: HostKeyPolicy
    /// Longest wait for TCP connect, handshake and authentication together.
    public var connectTimeout: Duration
    /// How often an idle session sends a keepalive so middleboxes keep it open.
    public var keepaliveInterval: Duration
    /// Cipher and MAC preferences; libssh2's own order when nil.
    public var algorithms: SSHAlgorithms?

    public init(
        host: String,
        port: Int = 22,
        username: String,
        authentication: SSHAuthentication,
        hostKey: HostKeyPolicy,
        connectTimeout: Duration = .seconds(10),
        keepaliveInterval: Duration = .seconds(15),
        algorithms: SSHAlgorithms? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.authentication = authentication
        self.hostKey = hostKey
        self.connectTimeout = connectTimeout
        self.keepaliveInterval = keepaliveInterval
        self.algorithms = algorithms
    }
}

/// How the client proves who it is. Secrets are never printed.
public enum SSHAuthentication: Sendable, CustomStringConvertible {
    case password(String)
    /// A private key in OpenSSH or PEM format (ed25519, RSA, ECDSA), optionally passphrase-protected.
    case privateKey(pem: String, passphrase: String? = nil)

    public var description: String {
        switch self {
        case .password: return "password(***)"
        case .privateKey: return "privateKey(***)"
        }
    }
}

/// Which server keys are accepted.
public enum HostKeyPolicy: Sendable, Equatable {
    /// Only the key with this SHA-256 fingerprint (`SHA256:` + unpadded base64, as `ssh-keygen -lf` prints).
    case pinned(String)
    /// First contact: accept the key and report its fingerprint so the caller can pin it. Only
    /// with key authentication: a password is never sent to a key nobody checked (whoever
    /// intercepts the first connection would receive it), so with one this fails
    /// `hostKeyNotPinned`, naming the key presented.
    case trustOnFirstUse
}

/// Preferred ciphers and MACs, most preferred first, in both directions (comma-separated names as
/// OpenSSH spells them, e.g. `aes128-ctr`, `hmac-sha2-256`).
public struct SSHAlgorithms: Sendable, Equatable {
    public var ciphers: String
    public var macs: String

    public init(ciphers: String, macs: String) {
        self.ciphers = ciphers
        self.macs = macs
    }
}
