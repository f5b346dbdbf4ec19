import Foundation
import JSONSupport

/// How values read on the pages: sizes in binary units, times in UTC, ages relative to now.
enum Format {
    static func bytes(_ value: Int64?) -> String {
        guard let value else { return "—" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var size = Double(value)
        var unit = 0
        while size >= 1024, unit < units.count - 1 {
            size /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : String(format: size < 10 ? "%.1f" : "%.0f", size) + " " + units[unit]
    }

    static let timeFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter
    }()

    /// `2024-05-01 12:03:04 UTC`, or a dash.
    static func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        return timeFormatter.string(from: date) + " UTC"
    }

    /// A time in another zone, for schedule previews.
    static func time(_ date: Date, in zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "EEE yyyy-MM-dd HH:mm zzz"
        return formatter.string(from: date)
    }

    /// BullMQ keeps times in milliseconds since the epoch.
    static func date(milliseconds: Int?) -> Date? {
        milliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    /// `42 s`, `3 min`, `5 h`, `2 d`.
    static func duration(_ seconds: Double) -> String {
        let seconds = max(0, seconds)
        switch seconds {
        case ..<1: return String(format: "%.0f ms", seconds * 1000)
        case ..<60: return String(format: "%.0f s", seconds)
        case ..<3600: return "\(Int(seconds / 60)) min"
        case ..<172_800: return "\(Int(seconds / 3600)) h"
        default: return "\(Int(seconds / 86_400)) d"
        }
    }

    /// `3 min ago`, or a dash.
    static func age(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "—" }
        let seconds = now.timeIntervalSince(date)
        return seconds < 0 ? "in " + duration(-seconds) : duration(seconds) + " ago"
    }

    /// The CSS tone of a status word.
    static func tone(_ status: String) -> String {
        switch status {
        case "completed", "verified", "ok", "online", "enabled", "success", "delivered": return "ok"
        case "failed", "degraded", "offline", "failure", "denied", "mismatch", "refused": return "bad"
        case "active", "running", "progress": return "info"
        case "delayed", "paused", "pending", "waiting", "prioritized", "disabled", "skipped", "waiting-children": return "warn"
        default: return "muted"
        }
    }

    /// JSON indented for a `<pre>`.
    static func pretty(_ value: JSONValue?) -> String {
        guard let value else { return "—" }
        guard let data = value.jsonText.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
            let formatted = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed])
        else {
            return value.jsonText
        }
        return String(decoding: formatted, as: UTF8.self)
    }

    /// The percent a job's progress reports (`{"percent": n}` or a bare number), if any.
    static func percent(_ progress: JSONValue?) -> Int? {
        guard let progress else { return nil }
        return (progress.intValue ?? progress["percent"]?.intValue).map { min(max($0, 0), 100) }
    }
}
