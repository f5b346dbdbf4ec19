import Crypto
public import Foundation

/// The id of one schedule occurrence's backup (and so of its job): derived from the schedule and
/// the due time, so every scheduler process computes the same one and a second enqueue is a no-op.
public enum ScheduleRunID {
    public static func make(scheduleId: UUID, dueAt: Date) -> UUID {
        let name = "medicineman-schedule:\(scheduleId.lowercasedString):\(Int64((dueAt.timeIntervalSince1970 * 1000).rounded()))"
        var bytes = Array(SHA256.hash(data: Data(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // version 8: custom, name-based
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 9562 variant
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
