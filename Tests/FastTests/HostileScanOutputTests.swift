import Foundation
@testable import ServerJobs
import Testing

/// A compromised host answers the scan's and update's fixed commands: numbers no clock or disk
/// reaches, control characters, endless lists. Nothing traps, nothing unescaped is kept, every
/// list stops at its cap.
@Suite struct HostileScanOutputTests {
    @Test(arguments: ["nan 0", "inf 0", "-inf 0", "1e30 0", "-5 0", "9223372036854775808 0", "", "x"])
    func uptimeThatNoClockReachesIsDropped(text: String) {
        #expect(ScanProbes.uptimeSeconds(text) == nil)
    }

    @Test func plausibleNumbersStillRead() {
        #expect(ScanProbes.uptimeSeconds("12345.67 999.1\n") == 12345)
        #expect(ScanProbes.memoryBytes("MemTotal:       16303972 kB\n") == Int64(16_303_972) * 1024)
        #expect(ScanProbes.memoryBytes("MemTotal: 9007199254740993 kB") == nil, "overflows when counted in bytes")
        #expect(ScanProbes.memoryBytes("MemTotal: -4 kB") == nil)
    }

    @Test func filesystemsWithImpossibleSizesAreDroppedAndTheListIsCapped() {
        let header = "Filesystem Type 1B-blocks Used Avail Mounted on\n"
        #expect(ScanProbes.filesystems(header + "d ext4 100 -1 0 /x\nd ext4 -100 1 0 /y").isEmpty)
        let many = (0..<1000).map { "d ext4 100 10 90 /m\($0)" }.joined(separator: "\n")
        #expect(ScanProbes.filesystems(header + many).count == ScanProbes.maxFilesystems)
    }

    @Test func remoteTextIsEscapedAndClipped() {
        let hostile = "evil\u{0}\u{1B}[2J" + String(repeating: "x", count: 10_000)
        let release = ScanProbes.osRelease("PRETTY_NAME=\"\(hostile)\"")["PRETTY_NAME"] ?? ""
        #expect(!release.contains("\u{0}") && !release.contains("\u{1B}") && release.hasPrefix("evil\\u{0}\\u{1B}[2J"))
        #expect(release.count <= ScanProbes.fieldLimit)
        let df = ScanProbes.filesystems("header\n/dev/sda1 ext4 100 10 90 /mnt/\u{7}bell")
        #expect(df.first?.mountPoint == "/mnt/\\u{7}bell")
        let container = ScanProbes.containers(#"{"ID":"a\u0000b","Names":"n","Image":"i","State":"running","Ports":"0.0.0.0:99999->80/tcp, 0.0.0.0:8080->80/tcp"}"#)
        #expect(container.first?.id == "a\\u{0}b" && container.first?.hostPorts == [8080])
    }

    @Test func listsStopAtTheirCaps() {
        let containers = String(repeating: "{}\n", count: 5000)
        #expect(ScanProbes.containers(containers).count == ScanProbes.maxContainers)
        let apt = (0..<20_000).map { "p\($0)/stable 1 amd64 [upgradable from: 0]" }.joined(separator: "\n")
        #expect(ScanProbes.aptListUpgradable(apt).count == ScanProbes.maxUpgradable)
    }

    @Test func anUpdateLogKeepsNoRawControlCharacters() {
        var tail = LogTail(limit: 64)
        let chunk = Array("Setting up x\u{0}\u{1B}]0;owned\u{7}\ndone\n".utf8)
        chunk.withUnsafeBytes { tail.append($0) }
        #expect(tail.text == "Setting up x\\u{0}\\u{1B}]0;owned\\u{7}\ndone\n")
    }
}
