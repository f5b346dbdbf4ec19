import Foundation

/// Parsers for the scan's fixed commands. Each takes the command's stdout; none needs a remote
/// pipe, so the commands stay simple and their output is checked here.
enum ScanProbes {
    /// `/etc/os-release`: KEY=value lines, values optionally quoted.
    static func osRelease(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[String(line[..<equals])] = value
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
            guard fields.count == 6, let total = Int64(fields[2]), let used = Int64(fields[3]), let available = Int64(fields[4]) else { return nil }
            return Filesystem(
                device: String(fields[0]), type: String(fields[1]), total: total, used: used, available: available,
                mountPoint: String(fields[5]))
        }
    }

    /// `/proc/meminfo` MemTotal in bytes.
    static func memoryBytes(_ text: String) -> Int64? {
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            return line.split(separator: " ").compactMap { Int64($0) }.first.map { $0 * 1024 }
        }
        return nil
    }

    /// `ps -eo pid=,comm=`: (pid, command name).
    static func processes(_ text: String) -> [(pid: Int, name: String)] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard fields.count == 2, let pid = Int(fields[0]) else { return nil }
            return (pid, String(fields[1]).trimmingCharacters(in: .whitespaces))
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
            line.split(separator: " ", omittingEmptySubsequences: true).first.map { String($0) }
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
                return Int(host[host.index(after: colon)...])
            }
            let mounts = (object["Mounts"] as? String ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            return Container(
                id: object["ID"] as? String ?? "", name: object["Names"] as? String ?? "", image: object["Image"] as? String ?? "",
                state: object["State"] as? String ?? "", hostPorts: Array(Set(ports)).sorted(), volumes: mounts.filter { !$0.isEmpty })
        }
    }

    /// `apt-get -s upgrade`: the packages an upgrade would install ("Inst name …" lines).
    static func aptUpgradable(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("Inst ") else { return nil }
            return line.split(separator: " ").dropFirst().first.map(String.init)
        }
    }

    /// `apt list --upgradable`: "name/suite version arch [upgradable from: old]" lines.
    static func aptListUpgradable(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            guard line.contains("[upgradable from:"), let slash = line.firstIndex(of: "/") else { return nil }
            return String(line[..<slash])
        }
    }

    /// `dnf -q check-update` / `yum -q check-update`: "name.arch version repo" lines.
    static func dnfUpgradable(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3, let name = fields.first, name.contains(".") else { return nil }
            return String(name[..<(name.lastIndex(of: ".") ?? name.endIndex)])
        }
    }
}
