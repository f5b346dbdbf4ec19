import Foundation

/// What a process holds, read from /proc: its threads and its TCP connections to a port. For
/// tests that check a resource does not grow with the load (a thread or a connection per client).
package enum ProcessProbe {
    /// The process's thread count (`Threads:` in /proc/<pid>/status), nil when it is gone.
    package static func threads(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("Threads:") {
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }.first
        }
        return nil
    }

    /// This process's resident memory in bytes (`VmRSS:` in /proc/self/status), 0 when unreadable.
    package static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return (line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }.first ?? 0) * 1024
        }
        return 0
    }

    /// Established TCP connections the process holds to `port` (any address): its sockets'
    /// inodes from /proc/<pid>/fd, matched with /proc/<pid>/net/tcp and tcp6.
    package static func connections(of pid: Int32, toPort port: Int) -> Int {
        let directory = "/proc/\(pid)/fd"
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var inodes = Set<String>()
        for descriptor in descriptors {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + descriptor),
                target.hasPrefix("socket:[")
            else { continue }
            inodes.insert(String(target.dropFirst("socket:[".count).dropLast()))
        }
        let portHex = String(format: "%04X", port)
        var count = 0
        for table in ["tcp", "tcp6"] {
            // Read to the end: String(contentsOfFile:) stops after the first page of a /proc file.
            let data = FileHandle(forReadingAtPath: "/proc/\(pid)/net/\(table)").map { $0.readDataToEndOfFile() } ?? Data()
            let text = String(decoding: data, as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
                let fields = line.split(separator: " ")
                guard fields.count > 9, fields[3] == "01", fields[2].hasSuffix(":" + portHex), inodes.contains(String(fields[9])) else { continue }
                count += 1
            }
        }
        return count
    }
}
