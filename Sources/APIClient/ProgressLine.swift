import Foundation

/// The one-line live view of a running job: phase, bytes received, rate, elapsed time and a bar.
package struct ProgressLine: Sendable {
    package var phase: String = "waiting"
    package var bytes: Int64?
    package var percent: Double?
    package var bytesPerSecond: Double?
    package var elapsed: Duration = .zero

    package init() {}

    package func render(width: Int) -> String {
        var parts = [phase]
        if let bytes { parts.append(Self.size(Double(bytes))) }
        if let bytesPerSecond, bytesPerSecond > 0 { parts.append(Self.size(bytesPerSecond) + "/s") }
        parts.append(Self.clock(elapsed))
        var text = parts.joined(separator: "  ")
        let barWidth = max(10, min(30, width - text.count - 10))
        if let percent {
            let filled = Int((min(max(percent, 0), 100) / 100 * Double(barWidth)).rounded())
            text +=
                "  [" + String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled) + "] "
                + String(format: "%3.0f%%", percent)
        }
        return text.count > width ? String(text.prefix(width)) : text
    }

    package static func size(_ bytes: Double) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = bytes
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(Int(value)) B" : String(format: "%.1f %@", value, units[unit])
    }

    package static func clock(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        return seconds >= 3600
            ? String(format: "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
            : String(format: "%02d:%02d", seconds / 60, seconds % 60)
    }
}
