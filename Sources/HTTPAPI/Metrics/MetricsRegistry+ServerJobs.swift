import ServerJobs

extension MetricsRegistry {
    /// Counts an SSH connection attempt's outcome.
    public func recordSSHConnection(_ outcome: SSHConnectionOutcome) {
        increment("medicineman_ssh_connections_total", [outcome.rawValue])
    }

    /// Counts a job this process added.
    public func recordEnqueued(_ name: ServerJobName) {
        increment("medicineman_jobs_enqueued_total", [name.queue.name, name.rawValue])
    }

    /// Known label values start at zero, so a rate() over them never sees a missing series.
    func seedServerJobSeries() {
        for outcome in SSHConnectionOutcome.allCases { increment("medicineman_ssh_connections_total", [outcome.rawValue], by: 0) }
        for name in ServerJobName.allCases { increment("medicineman_jobs_enqueued_total", [name.queue.name, name.rawValue], by: 0) }
    }
}
