public import Foundation
public import JSONSupport
public import PostgresClient

public struct ScanRepository: JobRecordRepository {
    let database: PostgresPool
    public var records: RecordTable<Scan> { RecordTable("scans", columns: Scan.columns, database: database, decode: Scan.init(row:)) }

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
                let services = try await db.query(
                    """
                    SELECT name, service_type, status, process_id, ports::text[] AS ports, config_paths, data_paths, log_paths, version,
                           backup_priority FROM scan_services WHERE scan_id = $1 ORDER BY backup_priority DESC, name
                    """, [scanId]
                ).rows.map { row in
                    ScanFindings.Service(
                        name: try row.decode("name"), serviceType: try row.decode("service_type"), status: try row.decode("status"),
                        processId: try row.decodeIfPresent("process_id"), ports: try row.decode("ports", as: [String].self).compactMap { Int($0) },
                        configPaths: try row.decode("config_paths"), dataPaths: try row.decode("data_paths"), logPaths: try row.decode("log_paths"),
                        version: try row.decodeIfPresent("version"), backupPriority: try row.decode("backup_priority"))
                }
                let filesystems = try await db.query(
                    "SELECT * FROM scan_filesystems WHERE scan_id = $1 ORDER BY mount_point", [scanId]
                ).rows.map { row in
                    ScanFindings.Filesystem(
                        mountPoint: try row.decode("mount_point"), device: try row.decode("device"), filesystemType: try row.decode("filesystem_type"),
                        totalBytes: try row.decode("total_bytes"), usedBytes: try row.decode("used_bytes"), availableBytes: try row.decode("available_bytes"),
                        isSystem: try row.decode("is_system"), backupRecommended: try row.decode("backup_recommended"), exclusions: try row.decode("exclusions"))
                }
                let containers = try await db.query(
                    "SELECT container_id, name, image, state, host_ports::text[] AS host_ports, volumes FROM scan_containers WHERE scan_id = $1 ORDER BY name",
                    [scanId]
                ).rows.map { row in
                    ScanFindings.Container(
                        containerId: try row.decode("container_id"), name: try row.decode("name"), image: try row.decode("image"),
                        state: try row.decode("state"), hostPorts: try row.decode("host_ports", as: [String].self).compactMap { Int($0) },
                        volumes: try row.decode("volumes"))
                }
                let packages = try await db.query("SELECT * FROM scan_packages WHERE scan_id = $1 ORDER BY manager", [scanId]).rows.map { row in
                    ScanFindings.Packages(
                        manager: try row.decode("manager"), installedCount: try row.decode("installed_count"),
                        upgradableCount: try row.decode("upgradable_count"), upgradable: try row.decode("upgradable", as: PostgresJSON<[String]>.self).value)
                }
                let recommendations = try await db.query(
                    "SELECT * FROM backup_recommendations WHERE scan_id = $1 ORDER BY id", [scanId]
                ).rows.map { row in
                    ScanFindings.Recommendation(
                        kind: try row.decode("kind"), priority: try row.decode("priority"), title: try row.decode("title"),
                        description: try row.decode("description"), paths: try row.decode("paths"), exclusions: try row.decode("exclusions"),
                        estimatedBytes: try row.decodeIfPresent("estimated_bytes"))
                }
                return ScanFindings(
                    services: services, filesystems: filesystems, containers: containers, packages: packages,
                    recommendations: recommendations)
            }
        }
    }

    /// The server's last scan that completed before `scan` did (what "new findings" compare with).
    public func previousCompleted(before scan: Scan) async throws(RecordError) -> Scan? {
        try await recording {
            try await database.query(
                """
                SELECT \(Scan.columns) FROM scans WHERE server_id = $1 AND status = 'completed' AND id <> $2 AND completed_at <= $3
                ORDER BY completed_at DESC, id LIMIT 1
                """, [scan.serverId, scan.id, scan.completedAt ?? Date()]
            ).first.map(Scan.init(row:))
        }
    }

    public func delete(id: UUID) async throws(RecordError) -> Bool {
        try await records.lifecycle.delete(id: id)
    }
}
