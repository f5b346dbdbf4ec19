public import Foundation
public import JSONSupport
import PostgresClient

public enum ScanType: String, Sendable, Codable, CaseIterable { case quick, full, services, filesystems }

public struct Scan: Sendable, Codable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var serverId: UUID
    public var scanType: ScanType
    public var status: RecordStatus
    public var jobId: String?
    public var attempts: Int
    public var startedAt: Date?
    public var completedAt: Date?
    public var durationMs: Int64?
    public var summary: JSONValue
    public var error: String?
    public var createdAt: Date

    static let columns = "id, server_id, scan_type, status, job_id, attempts, started_at, completed_at, duration_ms, summary, error, created_at"

    /// A new scan as its row starts out (the fast test tier's stores make them).
    public init(id: UUID = UUID(), serverId: UUID, scanType: ScanType, jobId: String? = nil, at date: Date = Date()) {
        self.id = id
        self.serverId = serverId
        self.scanType = scanType
        self.jobId = jobId
        status = .pending
        attempts = 0
        summary = .object([:])
        createdAt = date
    }
}

/// What a scan found on a host.
public struct ScanFindings: Sendable, Codable, Equatable {
    public struct Service: Sendable, Codable, Equatable {
        public var name: String
        public var serviceType: String
        public var status: String
        public var processId: Int?
        public var ports: [Int]
        public var configPaths: [String]
        public var dataPaths: [String]
        public var logPaths: [String]
        public var version: String?
        public var backupPriority: Int

        public init(
            name: String, serviceType: String = "unknown", status: String = "unknown", processId: Int? = nil, ports: [Int] = [],
            configPaths: [String] = [], dataPaths: [String] = [], logPaths: [String] = [], version: String? = nil, backupPriority: Int = 5
        ) {
            self.name = name
            self.serviceType = serviceType
            self.status = status
            self.processId = processId
            self.ports = ports
            self.configPaths = configPaths
            self.dataPaths = dataPaths
            self.logPaths = logPaths
            self.version = version
            self.backupPriority = backupPriority
        }
    }

    public struct Filesystem: Sendable, Codable, Equatable {
        public var mountPoint: String
        public var device: String
        public var filesystemType: String
        public var totalBytes: Int64
        public var usedBytes: Int64
        public var availableBytes: Int64
        public var isSystem: Bool
        public var backupRecommended: Bool
        public var exclusions: [String]

        public init(
            mountPoint: String, device: String, filesystemType: String, totalBytes: Int64, usedBytes: Int64, availableBytes: Int64,
            isSystem: Bool = false, backupRecommended: Bool = false, exclusions: [String] = []
        ) {
            self.mountPoint = mountPoint
            self.device = device
            self.filesystemType = filesystemType
            self.totalBytes = totalBytes
            self.usedBytes = usedBytes
            self.availableBytes = availableBytes
            self.isSystem = isSystem
            self.backupRecommended = backupRecommended
            self.exclusions = exclusions
        }
    }

    public struct Container: Sendable, Codable, Equatable {
        public var containerId: String
        public var name: String
        public var image: String
        public var state: String
        public var hostPorts: [Int]
        public var volumes: [String]

        public init(containerId: String, name: String, image: String, state: String, hostPorts: [Int] = [], volumes: [String] = []) {
            self.containerId = containerId
            self.name = name
            self.image = image
            self.state = state
            self.hostPorts = hostPorts
            self.volumes = volumes
        }
    }

    public struct Packages: Sendable, Codable, Equatable {
        public var manager: String
        public var installedCount: Int
        public var upgradableCount: Int
        public var upgradable: [String]

        public init(manager: String, installedCount: Int, upgradableCount: Int, upgradable: [String] = []) {
            self.manager = manager
            self.installedCount = installedCount
            self.upgradableCount = upgradableCount
            self.upgradable = upgradable
        }
    }

    public struct Recommendation: Sendable, Codable, Equatable {
        public var kind: String
        public var priority: String
        public var title: String
        public var description: String
        public var paths: [String]
        public var exclusions: [String]
        public var estimatedBytes: Int64?

        public init(
            kind: String, priority: String, title: String, description: String = "", paths: [String] = [],
            exclusions: [String] = [], estimatedBytes: Int64? = nil
        ) {
            self.kind = kind
            self.priority = priority
            self.title = title
            self.description = description
            self.paths = paths
            self.exclusions = exclusions
            self.estimatedBytes = estimatedBytes
        }
    }

    public var services: [Service]
    public var filesystems: [Filesystem]
    public var containers: [Container]
    public var packages: [Packages]
    public var recommendations: [Recommendation]

    public init(
        services: [Service] = [], filesystems: [Filesystem] = [], containers: [Container] = [], packages: [Packages] = [],
        recommendations: [Recommendation] = []
    ) {
        self.services = services
        self.filesystems = filesystems
        self.containers = containers
        self.packages = packages
        self.recommendations = recommendations
    }
}

extension Scan: RowRecord {}
