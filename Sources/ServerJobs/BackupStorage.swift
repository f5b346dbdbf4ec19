import Foundation
import Records

/// Where archives live: `<root>/<server id>/<yyyy>/<mm>/<backup id>.tar.gz` (`.tar.zst`, `.tar`).
public struct BackupStorage: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public func finalPath(for backup: BackupRequest, at date: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = calendar.dateComponents([.year, .month], from: date)
        let month = String(format: "%02d", parts.month ?? 1)
        return "\(root)/\(backup.serverId.uuidString.lowercased())/\(parts.year ?? 1970)/\(month)/\(backup.id.uuidString.lowercased())\(Self.suffix(backup.compression))"
    }

    /// The file written while streaming; renamed to the final path only on success.
    public func partialPath(for finalPath: String) -> String {
        let url = URL(fileURLWithPath: finalPath)
        return url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".partial").path
    }

    static func suffix(_ compression: Compression) -> String {
        switch compression {
        case .gzip: return ".tar.gz"
        case .zstd: return ".tar.zst"
        case .none: return ".tar"
        }
    }
}
