import RedisClient

extension Queue {
    /// Jobs finished in each of `buckets` consecutive intervals of `interval` ending now, oldest
    /// first. The completed and failed sets are scored by finish time, so each figure is one
    /// ZCOUNT, all sent in one pipeline; jobs already removed by their retention are not counted.
    public func finishedPerInterval(buckets: Int, interval: Duration) async throws -> (completed: [Int], failed: [Int]) {
        guard buckets > 0 else { return ([], []) }
        let width = Int(interval.components.seconds) * 1000
        let now = clock.nowMilliseconds()
        var commands: [[RedisArgument]] = []
        for set in ["completed", "failed"] {
            for index in 0..<buckets {
                let start = now - (buckets - index) * width
                commands.append(["ZCOUNT", RedisArgument(keys.key(set)), RedisArgument("(\(start)"), RedisArgument(start + width)])
            }
        }
        let counts = try await redis.pipeline(commands).map { $0.int ?? 0 }
        return (Array(counts[0..<buckets]), Array(counts[buckets...]))
    }
}
