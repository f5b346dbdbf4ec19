extension BackupRepository {
    /// The restore drills of these backups, on the same database.
    public var drills: RestoreDrillRepository { RestoreDrillRepository(database: database) }
}
