import Foundation
import JSONSupport
import Records
@testable import ServerJobs
import SSHClient
import Testing

@Suite struct ScanRunnerTests {
    @Test func fullScanOfTheTestHost() async throws {
        let session = try await connectTestHost()
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = try await ScanRunner().run(.full, on: session) { _ in }
        let elapsed = clock.now - started
        #expect(outcome.summary["os"]?.stringValue?.isEmpty == false)
        #expect(outcome.summary["osId"] != "unknown")
        #expect(outcome.summary["kernel"]?.stringValue?.hasPrefix("Linux") == true)
        let sshd = try #require(outcome.findings.services.first { $0.name == "sshd" })
        #expect(sshd.version?.contains("OpenSSH") == true)
        let root = try #require(outcome.findings.filesystems.first)
        #expect(root.totalBytes > 1_000_000 && root.usedBytes <= root.totalBytes)  // bytes, not KiB
        #expect(!outcome.findings.filesystems.contains { ["tmpfs", "devtmpfs", "overlay"].contains($0.filesystemType) })
        #expect(outcome.findings.packages.first?.manager == "apt")
        #expect((outcome.findings.packages.first?.installedCount ?? 0) > 100)
        #expect(outcome.findings.recommendations.contains { $0.paths == ["/etc"] })
        #expect(Set(outcome.findings.recommendations.map { $0.kind + $0.paths.joined() }).count == outcome.findings.recommendations.count)
        // Reported, not asserted: the benchmark records the wall time (target under 2 s).
        print("full scan took \(elapsed)")
        await session.close()
    }

    @Test func parsersReadTheCommandOutputs() {
        let df = """
            Filesystem     Type  1B-blocks       Used     Avail Mounted on
            /dev/sda1      ext4  52576092160 21036335104 28840185856 /
            /dev/sdb1      xfs   1099511627776 1024 1099511626752 /srv/data dir
            """
        let parsed = ScanProbes.filesystems(df)
        #expect(parsed.count == 2 && parsed[0].total == 52_576_092_160 && parsed[1].mountPoint == "/srv/data dir")
        #expect(ScanProbes.osRelease("NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID='12'")["VERSION_ID"] == "12")
        let docker = #"{"ID":"abc","Names":"web","Image":"nginx:1.27","State":"running","Ports":"0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 443/tcp","Mounts":"site"}"#
        #expect(ScanProbes.containers(docker).first?.hostPorts == [8080])
        #expect(ScanProbes.aptUpgradable("Inst openssl [3.0.1] (3.0.2 Debian:12)\nConf openssl\nInst curl (8 Debian)") == ["openssl", "curl"])
        #expect(ScanProbes.aptListUpgradable("Listing...\nopenssl/stable-security 3.0.2 amd64 [upgradable from: 3.0.1]") == ["openssl"])
        #expect(ScanProbes.listeningPorts("LISTEN 0 128 0.0.0.0:2225 0.0.0.0:*\nLISTEN 0 128 [::1]:5432 [::]:*") == [2225, 5432])
    }
}
