/// What may name a job when the id comes from outside (an API path): the platform's UUIDs,
/// BullMQ's counter ids and custom ids, and job-scheduler iterations (`repeat:<key>:<ms>`), but
/// never one of the queue's own keys (`meta`, `events`, `wait`, …), which share the job keys'
/// namespace `<prefix>:<queue>:`.
public enum JobID {
    /// Suffixes of a queue's own keys (BullMQ v5/v6 layout).
    public static let reservedNames: Set<String> = [
        "id", "meta", "events", "wait", "paused", "active", "completed", "failed", "delayed", "prioritized",
        "waiting-children", "stalled", "stalled-check", "limiter", "marker", "repeat", "pc", "metrics", "de", "dn",
    ]

    /// 1 to 200 characters of letters, digits and `-_.:@`, starting with a letter or digit, and
    /// not a reserved key or a key below one (`de:…`, `metrics:…`, `repeat:<key>` without time).
    public static func isValid(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...200).contains(bytes.count), let first = bytes.first, isAlphanumeric(first) else { return false }
        guard
            bytes.allSatisfy({
                isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
                    || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "@")
            })
        else { return false }
        let parts = id.split(separator: ":", omittingEmptySubsequences: false)
        guard let head = parts.first, !parts.contains(where: \.isEmpty) else { return false }
        if parts.count == 1 { return !reservedNames.contains(String(head)) }
        // Only scheduler iterations have a colon: repeat:<scheduler key>:<due time in ms>.
        guard head == "repeat", parts.count >= 3, let last = parts.last, last.allSatisfy(\.isNumber) else { return false }
        return true
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
