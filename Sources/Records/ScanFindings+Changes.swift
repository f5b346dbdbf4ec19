extension ScanFindings {
    /// Each finding as one line a person reads: services, containers, filesystems, upgradable
    /// packages and backup recommendations. Sizes and process ids are left out, so the same host
    /// gives the same lines from one scan to the next.
    public var lines: [String] {
        services.map { "service \($0.name)" + ($0.version.map { " \($0)" } ?? "") }
            + containers.map { "container \($0.name) (\($0.image))" }
            + filesystems.map { "filesystem \($0.mountPoint) (\($0.filesystemType))" }
            + packages.flatMap { manager in manager.upgradable.map { "upgradable \(manager.manager) package \($0)" } }
            + recommendations.map { "recommendation: \($0.title)" }
    }

    /// The lines this scan has that `previous` had not (all of them when there was no previous scan).
    public func newLines(since previous: ScanFindings?) -> [String] {
        let known = Set(previous?.lines ?? [])
        var seen = Set<String>()
        return lines.filter { !known.contains($0) && seen.insert($0).inserted }
    }
}
