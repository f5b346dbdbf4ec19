import Foundation
import Records

/// What changed on a server between two scans: services that appeared, went or changed version
/// or status; ports opened or closed; containers; filesystems; upgradable package counts.
struct ScanChanges {
    var lines: [(kind: String, text: String)] = []

    init(previous: ScanFindings, current: ScanFindings) {
        let before = Dictionary(previous.services.map { ($0.name, $0) }) { first, _ in first }
        let after = Dictionary(current.services.map { ($0.name, $0) }) { first, _ in first }
        for name in after.keys.sorted() where before[name] == nil { lines.append(("added", "service \(name) appeared")) }
        for name in before.keys.sorted() where after[name] == nil { lines.append(("removed", "service \(name) is gone")) }
        for name in after.keys.sorted() {
            guard let old = before[name], let new = after[name] else { continue }
            if old.version != new.version {
                lines.append(("changed", "service \(name): version \(old.version ?? "unknown") → \(new.version ?? "unknown")"))
            }
            if old.status != new.status { lines.append(("changed", "service \(name): \(old.status) → \(new.status)")) }
        }
        let oldPorts = Self.openPorts(previous)
        let newPorts = Self.openPorts(current)
        for port in newPorts.subtracting(oldPorts).sorted() { lines.append(("added", "port \(port) opened")) }
        for port in oldPorts.subtracting(newPorts).sorted() { lines.append(("removed", "port \(port) closed")) }
        let oldContainers = Set(previous.containers.map(\.name))
        let newContainers = Set(current.containers.map(\.name))
        for name in newContainers.subtracting(oldContainers).sorted() { lines.append(("added", "container \(name) appeared")) }
        for name in oldContainers.subtracting(newContainers).sorted() { lines.append(("removed", "container \(name) is gone")) }
        let oldMounts = Set(previous.filesystems.map(\.mountPoint))
        let newMounts = Set(current.filesystems.map(\.mountPoint))
        for mount in newMounts.subtracting(oldMounts).sorted() { lines.append(("added", "filesystem \(mount) mounted")) }
        for mount in oldMounts.subtracting(newMounts).sorted() { lines.append(("removed", "filesystem \(mount) no longer mounted")) }
        for packages in current.packages {
            guard let old = previous.packages.first(where: { $0.manager == packages.manager }), old.upgradableCount != packages.upgradableCount else { continue }
            lines.append(("changed", "\(packages.manager): \(old.upgradableCount) → \(packages.upgradableCount) upgradable packages"))
        }
    }

    /// Listening ports of services and host ports of containers.
    static func openPorts(_ findings: ScanFindings) -> Set<Int> {
        Set(findings.services.flatMap(\.ports)).union(findings.containers.flatMap(\.hostPorts))
    }
}
