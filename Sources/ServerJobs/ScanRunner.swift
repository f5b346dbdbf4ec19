import Foundation
package import JSONSupport
package import Records
package import SSHClient

/// What a scan produced: the row's summary and the findings.
package struct ScanOutcome: Sendable {
    package var summary: JSONValue
    package var findings: ScanFindings
}

/// Inventories a host over one SSH session with fixed commands, parsed here. A probe the host
/// lacks (no docker, no systemd) is recorded as unavailable and does not fail the scan.
package struct ScanRunner: Sendable {
    package init() {}

    static let skippedFilesystems = ["tmpfs", "devtmpfs", "overlay", "squashfs", "proc", "sysfs", "cgroup", "cgroup2", "efivarfs", "nsfs"]

    package func run(_ type: ScanType, on session: SSHSession, progress: @escaping @Sendable (Int) async -> Void) async throws(ServerJobError) -> ScanOutcome {
        try await ServerJobError.mapping(doing: "the scan") { try await scan(type, on: session, progress: progress) }
    }

    private func scan(_ type: ScanType, on session: SSHSession, progress: @escaping @Sendable (Int) async -> Void) async throws -> ScanOutcome {
        var unavailable: [String] = []
        var truncated: [String] = []
        // systemctl only counts where systemd is running (containers often have the binary alone).
        let tools = Set(
            try await session.run(
                "for t in docker dpkg-query rpm ss ps apt-get dnf yum; do command -v $t >/dev/null 2>&1 && echo $t; done; test -d /run/systemd/system && echo systemctl; true",
                timeout: .seconds(20)
            ).stdout.split(separator: "\n").map(String.init))
        func output(_ command: String, needs tool: String? = nil) async throws -> String? {
            if let tool, !tools.contains(tool) {
                if !unavailable.contains(tool) { unavailable.append(tool) }
                return nil
            }
            let result = try await session.run(command, timeout: .seconds(30), maxOutputBytes: ScanProbes.outputLimit)
            guard result.exitStatus == 0 else { return nil }
            guard result.stdoutTruncated else { return result.stdout }
            // Cut short: the last line may be a fragment of a longer one.
            truncated.append(String(command.prefix(while: { $0 != " " })))
            return String(result.stdout[..<(result.stdout.lastIndex(of: "\n") ?? result.stdout.startIndex)])
        }

        var summary: [String: JSONValue] = [:]
        let os = ScanProbes.osRelease(try await output("cat /etc/os-release") ?? "")
        summary["os"] = .string(os["PRETTY_NAME"] ?? os["NAME"] ?? "unknown")
        summary["osId"] = .string(os["ID"] ?? "unknown")
        if let version = os["VERSION_ID"] { summary["osVersion"] = .string(version) }
        summary["kernel"] = .string(ScanProbes.field((try await output("uname -srm") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)))
        summary["hostname"] = .string(ScanProbes.field((try await output("hostname") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)))
        if let uptime = ScanProbes.uptimeSeconds(try await output("cat /proc/uptime") ?? "") { summary["uptimeSeconds"] = .int(uptime) }
        if let cpus = try await output("nproc").flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) { summary["cpus"] = .int(Int64(cpus)) }
        if let memory = ScanProbes.memoryBytes(try await output("cat /proc/meminfo") ?? "") { summary["memoryBytes"] = .int(memory) }
        await progress(25)

        var findings = ScanFindings()
        if type != .services {
            let excluded = Self.skippedFilesystems.map { "-x \($0)" }.joined(separator: " ")
            let df = try await output("df -B1 --output=source,fstype,size,used,avail,target \(excluded)") ?? ""
            findings.filesystems = ScanProbes.filesystems(df).map { fs in
                let system = fs.mountPoint == "/" || fs.mountPoint.hasPrefix("/boot")
                return ScanFindings.Filesystem(
                    mountPoint: fs.mountPoint, device: fs.device, filesystemType: fs.type, totalBytes: fs.total, usedBytes: fs.used,
                    availableBytes: fs.available, isSystem: system, backupRecommended: !system || fs.mountPoint == "/",
                    exclusions: fs.mountPoint == "/" ? ["/proc", "/sys", "/dev", "/run", "/tmp", "/var/cache", "/var/tmp"] : [])
            }
        }
        await progress(45)

        if type != .filesystems {
            findings.services = try await services(output: output, session: session)
            if let listing = try await output("docker ps --format '{{json .}}'", needs: "docker") {
                findings.containers = ScanProbes.containers(listing).map {
                    ScanFindings.Container(containerId: $0.id, name: $0.name, image: $0.image, state: $0.state, hostPorts: $0.hostPorts, volumes: $0.volumes)
                }
            }
        }
        await progress(70)

        if type == .full {
            if let installed = try await output("dpkg-query -W -f=.\\\\n", needs: "dpkg-query") {
                // `apt list` reads the cached candidates (~1 s); `apt-get -s upgrade` would solve (~3 s).
                let upgradable = tools.contains("apt-get") ? ScanProbes.aptListUpgradable(try await output("apt list --upgradable") ?? "") : []
                findings.packages.append(
                    .init(
                        manager: "apt", installedCount: installed.split(separator: "\n").count,
                        upgradableCount: upgradable.count, upgradable: upgradable))
            } else if let installed = try await output("rpm -qa", needs: "rpm") {
                findings.packages.append(.init(manager: "rpm", installedCount: installed.split(separator: "\n").count, upgradableCount: 0))
            }
        }
        findings.recommendations = BackupAdvisor.recommend(findings)
        summary["services"] = .int(Int64(findings.services.count))
        summary["filesystems"] = .int(Int64(findings.filesystems.count))
        summary["containers"] = .int(Int64(findings.containers.count))
        summary["unavailableProbes"] = .array(unavailable.sorted().map { .string($0) })
        if !truncated.isEmpty { summary["truncatedProbes"] = .array(truncated.map { .string($0) }) }
        await progress(100)
        return ScanOutcome(summary: .object(summary), findings: findings)
    }

    private func services(output: (String, String?) async throws -> String?, session: SSHSession) async throws -> [ScanFindings.Service] {
        let processes = ScanProbes.processes(try await output("ps -eo pid=,comm=", "ps") ?? "")
        let ports = ScanProbes.listeningPorts(try await output("ss -ltnH", "ss") ?? "")
        let units = Set(ScanProbes.runningUnits(try await output("systemctl list-units --type=service --state=running --no-legend --no-pager --plain", "systemctl") ?? ""))
        var found: [ScanFindings.Service] = []
        for known in KnownService.all {
            let process = processes.first { known.processes.contains($0.name) }
            let unit = units.first { unit in known.processes.contains { unit.hasPrefix($0) } || unit.hasPrefix(known.name) }
            guard process != nil || unit != nil else { continue }
            var version: String?
            if let command = known.versionCommand {
                // Daemons live in sbin, which is not on an ordinary user's PATH.
                let result = try await session.run("PATH=\"$PATH:/usr/sbin:/sbin\" " + command + " 2>&1", timeout: .seconds(10), maxOutputBytes: 4096)
                version = result.stdout.split(separator: "\n").first.map { ScanProbes.field($0.prefix(120)) }
            }
            found.append(
                ScanFindings.Service(
                    name: known.name, serviceType: known.type, status: "running", processId: process?.pid,
                    ports: known.ports.filter(ports.contains), configPaths: known.configPaths, dataPaths: known.dataPaths,
                    logPaths: known.logPaths, version: version, backupPriority: known.priority))
        }
        return found
    }
}
