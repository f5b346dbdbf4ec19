/// Whether the platform can do its work right now, check by check.
public struct ReadinessReport: Codable, Sendable, Equatable {
    /// One dependency's state: reachable or not, how long the probe took, and why it failed.
    public struct Check: Codable, Sendable, Equatable {
        public var ok: Bool
        public var latencyMs: Double?
        public var detail: String

        public init(ok: Bool, latencyMs: Double? = nil, detail: String) {
            self.ok = ok
            self.latencyMs = latencyMs
            self.detail = detail
        }
    }

    /// `ready` when every check passed, `not_ready` otherwise.
    public var status: String
    public var checks: [String: Check]
    /// The failed checks' details, for people reading the 503.
    public var reasons: [String]

    public init(checks: [String: Check]) {
        self.checks = checks
        self.reasons = checks.keys.sorted().compactMap { name in
            guard let check = checks[name], !check.ok else { return nil }
            return "\(name): \(check.detail)"
        }
        self.status = reasons.isEmpty ? "ready" : "not_ready"
    }

    public var isReady: Bool { reasons.isEmpty }

    /// The same verdicts without details: what an anonymous caller sees, since details name
    /// hosts, ports and database users.
    public var redacted: ReadinessReport {
        ReadinessReport(checks: checks.mapValues { Check(ok: $0.ok, latencyMs: $0.latencyMs, detail: $0.ok ? "ok" : "unavailable") })
    }
}

/// Probes the platform's dependencies for `GET /ready`.
public protocol ReadinessChecking: Sendable {
    func checkReadiness() async -> ReadinessReport
}
