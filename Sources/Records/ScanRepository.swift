public import Foundation
public import JSONSupport
public import PostgresClient

public struct ScanRepository: JobRecordRepository {
    let database: PostgresPool
    public var records: RecordTable<Scan> { RecordTable("scans", database: database) }

    public init(database: PostgresPool) {
        self.database = database
    }

    public func create(id: UUID = UUID(), serverId: UUID, scanType: ScanType, jobId: String? = nil) async throws(RecordError) -> Scan {
        try await recording {
            let row = try await database.query(
                "INSERT INTO scans (id, server_id, scan_type, job_id) VALUES ($1, $2, $3, $4) RETURNING \(Scan.columns)",
                [id, serverId, scanType.rawValue, jobId]
            ).first
            return try Scan(row: try row.orNotFound("scan"))
        }
    }

    /// Stores the findings and completes the scan in one transaction (a retry replaces them).
    public func complete(id: UUID, summary: JSONValue, findings: ScanFindings) async throws(RecordError) -> Scan {
        try await recording {
            try await database.withTransaction { db in
                for table in ["scan_services", "scan_filesystems", "scan_containers", "scan_packages", "backup_recommendations"] {
                    try db.query("DELETE FROM \(table) WHERE scan_id = $1", [id])
                }
                for service in findings.services {
                    try db.query(
                        """
                        INSERT INTO scan_services (scan_id, name, service_type, status, process_id, ports, config_paths, data_paths,
                                                   log_paths, version, backup_priority)
                        VALUES ($1, $2, $3, $4, $5, $6::text[]::integer[], $7, $8, $9, $10, $11)
                        """,
                        [
                            id, service.name, service.serviceType, service.status, service.processId, service.ports.map(String.init),
                            service.configPaths, service.dataPaths, service.logPaths, service.version, service.backupPriority,
                        ])
                }
                for fs in findings.filesystems {
                    try db.query(
                        """
                        INSERT INTO scan_filesystems (scan_id, mount_point, device, filesystem_type, total_bytes, used_bytes,
                                                      available_bytes, is_system, backup_recommended, exclusions)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                        """,
                        [
                            id, fs.mountPoint, fs.device, fs.filesystemType, fs.totalBytes, fs.usedBytes, fs.availableBytes, fs.isSystem,
                            fs.backupRecommended, fs.exclusions,
                        ])
                }
                for container in findings.containers {
                    try db.query(
                        """
                        INSERT INTO scan_containers (scan_id, container_id, name, image, state, host_ports, volumes)
                        VALUES ($1, $2, $3, $4, $5, $6::text[]::integer[], $7)
                        """,
                        [
                            id, container.containerId, container.name, container.image, container.state, container.hostPorts.map(String.init),
                            container.volumes,
                        ])
                }
                for packages in findings.packages {
                    try db.query(
                        "INSERT INTO scan_packages (scan_id, manager, installed_count, upgradable_count, upgradable) VALUES ($1, $2, $3, $4, $5)",
                        [id, packages.manager, packages.installedCount, packages.upgradableCount, PostgresJSON(packages.upgradable)])
                }
                for item in findings.recommendations {
                    try db.query(
                        """
                        INSERT INTO backup_recommendations (scan_id, kind, priority, title, description, paths, exclusions, estimated_bytes)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                        """, [id, item.kind, item.priority, item.title, item.description, item.paths, item.exclusions, item.estimatedBytes])
                }
                let row = try db.query(
                    """
                    UPDATE scans SET status = 'completed', summary = $2, error = NULL, updated_at = now(),
                        completed_at = greatest(now(), coalesce(started_at, now())),
                        duration_ms = (extract(epoch FROM greatest(now(), coalesce(started_at, now())) - coalesce(started_at, now())) * 1000)::bigint
                    WHERE id = $1 RETURNING \(Scan.columns)
                    """, [id, PostgresJSON(summary)]
                ).first
                return try Scan(row: try row.orNotFound("scan"))
            }
        }
    }

    public func findings(scanId: UUID) async throws(RecordError) -> ScanFindings {
        try await recording {
            try await database.withConnection { db in
                func read<Finding: Decodable>(_ sql: String) async throws -> [Finding] {
                    try await db.query(sql, [scanId]).rows.map { try $0.decodeRecord(Finding.self) }
                }
                return ScanFindings(
                    services: try await read(
                        """
                        SELECT name, service_type, status, process_id, to_json(ports) AS ports, config_paths, data_paths, log_paths,
                               version, backup_priority
                        FROM scan_services WHERE scan_id = $1 ORDER BY backup_priority DESC, name
                        """),
                    filesystems: try await read("SELECT * FROM scan_filesystems WHERE scan_id = $1 ORDER BY mount_point"),
                    containers: try await read(
                        """
                        SELECT container_id, name, image, state, to_json(host_ports) AS host_ports, volumes
                        FROM scan_containers WHERE scan_id = $1 ORDER BY name
                        """),
                    packages: try await read("SELECT * FROM scan_packages WHERE scan_id = $1 ORDER BY manager"),
                    recommendations: try await read("SELECT * FROM backup_recommendations WHERE scan_id = $1 ORDER BY id"))
            }
        }
    }

    /// The server's last completed scan other than `scan`: for a completed `scan`, the last that
    /// completed before it did (what its "new findings" compare with); for one not completed yet,
    /// the last of all, the one retention keeps (`HistoryPruner` orders by completion too).
    public func previousCompleted(before scan: Scan) async throws(RecordError) -> Scan? {
        // A failed scan being retried still holds its failure's time: no bound for it.
        let bound = scan.status == .completed ? scan.completedAt : nil
        return try await recording {
            try await database.query(
                """
                SELECT \(Scan.columns) FROM scans WHERE server_id = $1 AND status = 'completed' AND id <> $2
                AND ($3::timestamptz IS NULL OR completed_at <= $3)
                ORDER BY completed_at DESC NULLS LAST, id LIMIT 1
                """, [scan.serverId, scan.id, bound]
            ).first.map(Scan.init(row:))
        }
    }

    public func delete(id: UUID) async throws(RecordError) -> Bool {
        try await records.lifecycle.delete(id: id)
    }
}
