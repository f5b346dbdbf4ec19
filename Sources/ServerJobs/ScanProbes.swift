import ErrorCodes
import Foundation

/// Parsers for the scan's fixed commands. Each takes the command's stdout; none needs a remote
/// pipe, so the commands stay simple and their output is checked here. The host may be hostile:
/// every text kept is escaped and clipped (`field`), every list is capped, every number checked.
enum ScanProbes {
    /// Bytes of one probe's output read at the most: far above what a real host prints.
    static let outputLimit = 1 << 20
    /// Characters of one remote text kept (names, versions, mount points).
    static let fieldLimit = 256
    static let maxFilesystems = 256
    static let maxContainers = 1000
    /// Ports or volumes of one container kept.
    static let maxPerContainer = 64
    static let maxUpgradable = 10_000

    /// Remote text as it may be stored and shown: control and invisible characters escaped
    /// (a NUL would not even reach PostgreSQL), at most `fieldLimit` characters.
    static func field(_ text: some StringProtocol) -> String {
        text.visibleClip(fieldLimit)
    }

    /// `/etc/os-release`: KEY=value lines, values optionally quoted.
    static func osRelease(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[String(line[..<equals])] = field(value)
        }
        return values
    }

    struct Filesystem: Equatable {
        var device: String
        var type: String
        var total: Int64
        var used: Int64
        var available: Int64
        var mountPoint: String
    }

    /// `df -B1 --output=source,fstype,size,used,avail,target`: bytes, header skipped.
    static func filesystems(_ text: String) -> [Filesystem] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, let total = Int64(fields[2]), let used = Int64(fields[3]), let available = Int64(fields[4]),
                total >= 0, used >= 0, available >= 0
            else { return nil }
            return Filesystem(
                device: field(fields[0]), type: field(fields[1]), total: total, used: used, available: available,
                mountPoint: field(fields[5]))
        }.prefix(maxFilesystems).map { $0 }
    }

    /// `/proc/uptime`'s first field in whole seconds; nil unless a finite number a clock could reach.
    static func uptimeSeconds(_ text: String) -> Int64? {
        guard let seconds = text.split(separator: " ").first.flatMap({ Double($0) }), seconds.isFinite, seconds >= 0 else { return nil }
        return Int64(exactly: seconds.rounded(.down))
    }

    /// `/proc/meminfo` MemTotal in bytes.
    static func memoryBytes(_ text: String) -> Int64? {
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            guard let kibibytes = line.split(separator: " ").compactMap({ Int64($0) }).first, kibibytes >= 0 else { return nil }
            let (bytes, overflow) = kibibytes.multipliedReportingOverflow(by: 1024)
            return overflow ? nil : bytes
        }
        return nil
    }

    /// `ps -eo pid=,comm=`: (pid, command name).
    static func processes(_ text: String) -> [(pid: Int, name: String)] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard fields.count == 2, let pid = Int(fields[0]) else { return nil }
            return (pid, field(String(fields[1]).trimmingCharacters(in: .whitespaces)))
        }
    }

    /// `ss -ltnH`: the local ports listening on TCP.
    static func listeningPorts(_ text: String) -> Set<Int> {
        var ports = Set<Int>()
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 4, let colon = fields[3].lastIndex(of: ":"), let port = Int(fields[3][fields[3].index(after: colon)...]) else { continue }
            ports.insert(port)
        }
        return ports
    }

    /// `systemctl list-units --type=service --state=running --no-legend --plain`: unit names.
    static func runningUnits(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).first.map { field($0) }
        }.filter { $0.hasSuffix(".service") }
    }

    struct Container: Equatable {
        var id: String
        var name: String
        var image: String
        var state: String
        var hostPorts: [Int]
        var volumes: [String]
    }

    /// `docker ps --format '{{json .}}'`: one JSON object per line; host ports from "Ports"
    /// (`0.0.0.0:8080->80/tcp` gives 8080, never the container's 80).
    static func containers(_ text: String) -> [Container] {
        text.split(separator: "\n").compactMap { line in
            guard let data = line.data(using: .utf8),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return nil }
            let ports = (object["Ports"] as? String ?? "").split(separator: ",").compactMap { binding -> Int? in
                guard let arrow = binding.range(of: "->") else { return nil }
                let host = binding[..<arrow.lowerBound]
                guard let colon = host.lastIndex(of: ":") else { return nil }
                return Int(host[host.index(after: colon)...]).flatMap { (0...65535).contains($0) ? $0 : nil }
            }
            let mounts = (object["Mounts"] as? String ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            let text = { (key: String) in field(object[key] as? String ?? "") }
            return Container(
                id: text("ID"), name: text("Names"), image: text("Image"), state: text("State"),
                hostPorts: Array(Array(Set(ports)).sorted().prefix(maxPerContainer)),
                volumes: mounts.filter { !$0.isEmpty }.prefix(maxPerContainer).map { field($0) })
        }.prefix(maxContainers).map { $0 }
    }

    /// `apt-get -s upgrade`: the packages an upgrade would install ("Inst name …" lines).
    static func aptUpgradable(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("Inst ") else { return nil }
            return line.split(separator: " ").dropFirst().first.map { field($0) }
        }.prefix(maxUpgradable).map { $0 }
    }

    /// `apt list --upgradable`: "name/suite version arch [upgradable from: old]" lines.
    static func aptListUpgradable(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            guard line.contains("[upgradable from:"), let slash = line.firstIndex(of: "/") else { return nil }
            return field(line[..<slash])
        }.prefix(maxUpgradable).map { $0 }
    }

    /// `dnf -q check-update` / `yum -q check-update`: "name.arch version repo" lines.
    static func dnfUpgradable(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3, let name = fields.first, name.contains(".") else { return nil }
            return field(name[..<(name.lastIndex(of: ".") ?? name.endIndex)])
        }.prefix(maxUpgradable).map { $0 }
    }
}
