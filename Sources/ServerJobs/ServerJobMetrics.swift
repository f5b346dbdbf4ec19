package import CoreMetrics

/// The server-job counters outside the workers: SSH connection outcomes and jobs added. Every
/// known label value starts at zero, so a rate() over them never sees a missing series.
package struct ServerJobMetrics: Sendable {
    let factory: any MetricsFactory

    package init(factory: any MetricsFactory) {
        self.factory = factory
        for outcome in SSHConnectionOutcome.allCases { sshConnections(outcome).increment(by: 0) }
        for name in ServerJobName.allCases { enqueued(name).increment(by: 0) }
    }

    /// Counts an SSH connection attempt's outcome.
    package func recordSSHConnection(_ outcome: SSHConnectionOutcome) {
        sshConnections(outcome).increment()
    }

    /// Counts a job this process added.
    package func recordEnqueued(_ name: ServerJobName) {
        enqueued(name).increment()
    }

    private func sshConnections(_ outcome: SSHConnectionOutcome) -> Counter {
        Counter(label: "medicineman_ssh_connections_total", dimensions: [("outcome", outcome.rawValue)], factory: factory)
    }

    private func enqueued(_ name: ServerJobName) -> Counter {
        Counter(label: "medicineman_jobs_enqueued_total", dimensions: [("queue", name.queue.name), ("name", name.rawValue)], factory: factory)
    }
}
