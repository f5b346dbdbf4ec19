/// The backup volume's free space, read again as an archive grows (every `interval` bytes, 16 MiB): a
/// server that sends without end, or a larger backup than the last, stops before the volume
/// fills (PostgreSQL and the other backups may share it). An object store has no such limit.
struct FreeSpaceWatch {
    let storage: BackupStorage
    let reserve: Int64
    let interval: Int
    private var sinceCheck = 0

    init(storage: BackupStorage, reserve: Int64, interval: Int = 16 << 20) {
        self.storage = storage
        self.reserve = reserve
        self.interval = interval
    }

    mutating func wrote(_ count: Int) throws(ServerJobError) {
        sinceCheck += count
        guard sinceCheck >= interval else { return }
        sinceCheck = 0
        let available = try storage.availableBytes()
        // The reserve must still hold after the next interval's writes.
        let needed = reserve > Int64.max - Int64(interval) ? Int64.max : reserve + Int64(interval)
        guard available >= needed else {
            throw ServerJobError(
                .storage,
                """
                the backup directory \(storage.root) is down to \(ServerJobProcessor.megabytes(available)) free, below the \
                \(ServerJobProcessor.megabytes(reserve)) a backup leaves: this backup stopped before the volume filled; free space \
                there or set BACKUP_DIR to a larger volume
                """, retryable: false)
        }
    }
}
