import Foundation
import Records
@testable import ServerJobs
import TestSupport
import Testing

/// The S3-protocol server scripts/test.sh starts (moto, authentication on). Tests that need it
/// fail loudly when it is not configured.
func testObjectStoreSettings(
    bucket: String? = nil, prefix: String = "medicineman/", partSize: Int = 5 << 20, partsInFlight: Int = 2,
    secret: String? = nil, endpoint: String? = nil
) throws -> ObjectStoreSettings {
    try ObjectStoreSettings(
        endpoint: endpoint ?? TestEnvironment.require("MM_TEST_S3_ENDPOINT"), bucket: bucket ?? uniqueBucket(),
        region: try TestEnvironment.require("MM_TEST_S3_REGION"), accessKeyId: try TestEnvironment.require("MM_TEST_S3_ACCESS_KEY_ID"),
        secretAccessKey: try secret ?? TestEnvironment.require("MM_TEST_S3_SECRET_ACCESS_KEY"), pathStyle: true, prefix: prefix,
        partSize: partSize, partsInFlight: partsInFlight)
}

/// A fresh bucket of its own for one test.
func testObjectStore(prefix: String = "medicineman/", partSize: Int = 5 << 20, partsInFlight: Int = 2) async throws -> ObjectStore {
    let store = ObjectStore(settings: try testObjectStoreSettings(prefix: prefix, partSize: partSize, partsInFlight: partsInFlight))
    try await store.createBucket()
    return store
}

func uniqueBucket() -> String {
    "mm-" + UUID().uuidString.lowercased().prefix(18).replacingOccurrences(of: "-", with: "")
}

extension FlowFixture {
    /// A completed backup whose archive (a real gzip tar) is an object of `store`, uploaded the
    /// way the runner stores it; the row names it by its relative path.
    func completedBackupInStore(server: Server, store: ObjectStore, scheduleId: UUID? = nil) async throws -> (backup: Backup, key: String) {
        let record = try await backups.create(
            serverId: server.id, kind: scheduleId == nil ? .manual : .scheduled, paths: ["/etc/hostname"],
            compression: .gzip, scheduleId: scheduleId)
        let relative = BackupStorage.relativeName(for: BackupRequest(record), at: Date())
        let source = try temporaryStorage()
        try Data("archived \(record.id)\n".utf8).write(to: URL(fileURLWithPath: source + "/file.txt"))
        let archive = source + ".tar.gz"
        _ = try await ChildProcess.run("/usr/bin/env", ["tar", "--create", "--gzip", "--file=" + archive, "-C", source, "."])
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: archive)))
        let key = store.settings.prefix + relative
        try await store.put(key, bytes)
        let done = try await backups.markCompleted(
            id: record.id, filePath: relative, size: Int64(bytes.count), sha256: try ArchiveVerifier.sha256(of: archive),
            storage: .objectStore)
        try? FileManager.default.removeItem(atPath: source)
        try? FileManager.default.removeItem(atPath: archive)
        return (done, key)
    }
}

/// Every regular file under `root` (to show an object-store backup left nothing local).
func filesUnder(_ root: String) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
    var files: [String] = []
    while let path = walker.nextObject() as? String {
        if walker.fileAttributes?[.type] as? FileAttributeType == .typeRegular { files.append(path) }
    }
    return files
}
