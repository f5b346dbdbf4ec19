import Records

/// Backup recommendations from a scan's findings, one per subject (no duplicates).
enum BackupAdvisor {
    static func recommend(_ findings: ScanFindings) -> [ScanFindings.Recommendation] {
        var recommendations: [ScanFindings.Recommendation] = []
        var seen = Set<String>()
        func add(_ recommendation: ScanFindings.Recommendation) {
            let key = recommendation.kind + ":" + recommendation.paths.sorted().joined(separator: ",")
            if seen.insert(key).inserted { recommendations.append(recommendation) }
        }
        add(
            .init(
                kind: "application", priority: "high", title: "System configuration", description: "Configuration under /etc.",
                paths: ["/etc"]))
        for service in findings.services {
            switch service.serviceType {
            case "database":
                add(
                    .init(
                        kind: "database", priority: "critical", title: "\(service.name) data",
                        description: "Dump the database or back up its data directory while it is quiesced.",
                        paths: service.dataPaths + service.configPaths))
            case "web":
                add(
                    .init(
                        kind: "service", priority: "high", title: "\(service.name) sites and configuration",
                        paths: service.configPaths + service.dataPaths))
            case "containers":
                add(.init(kind: "container", priority: "high", title: "Docker volumes", paths: service.dataPaths))
            default:
                if !service.configPaths.isEmpty {
                    add(.init(kind: "service", priority: "medium", title: "\(service.name) configuration", paths: service.configPaths))
                }
            }
        }
        for filesystem in findings.filesystems where filesystem.backupRecommended && !filesystem.isSystem {
            add(
                .init(
                    kind: "filesystem", priority: "medium", title: "Data on \(filesystem.mountPoint)", paths: [filesystem.mountPoint],
                    exclusions: filesystem.exclusions, estimatedBytes: filesystem.usedBytes))
        }
        return recommendations
    }
}
