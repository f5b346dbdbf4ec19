/// Whether the platform can do its work right now, check by check.
package struct ReadinessReport: Codable, Sendable, Equatable {
    /// One dependency's state: reachable or not, how long the probe took, and why it failed.
    package struct Check: Codable, Sendable, Equatable {
        package var ok: Bool
        package var latencyMs: Double?
        package var detail: String

        package init(ok: Bool, latencyMs: Double? = nil, detail: String) {
            self.ok = ok
            self.latencyMs = latencyMs
            self.detail = detail
        }
    }

    /// `ready` when every check passed, `not_ready` otherwise.
    package var status: String
    package var checks: [String: Check]
    /// The failed checks' details, for people reading the 503.
    package var reasons: [String]

    package init(checks: [String: Check]) {
        self.checks = checks
        self.reasons = checks.keys.sorted().compactMap { name in
            guard let check = checks[name], !check.ok else { return nil }
            return "\(name): \(check.detail)"
        }
        self.status = reasons.isEmpty ? "ready" : "not_ready"
    }

    package var isReady: Bool { reasons.isEmpty }

    /// The same verdicts without details: what an anonymous caller sees, since details name
    /// hosts, ports and database users.
    package var redacted: ReadinessReport {
        ReadinessReport(checks: checks.mapValues { Check(ok: $0.ok, latencyMs: $0.latencyMs, detail: $0.ok ? "ok" : "unavailable") })
    }
}

/// Probes the platform's dependencies for `GET /ready`.
package protocol ReadinessChecking: Sendable {
    func checkReadiness() async -> ReadinessReport
}
