import Foundation
import Logging
import PlatformRuntime
import TestSupport
import Testing

/// Log entries carry outside text (job names, remote stderr): it can neither end a line to forge
/// the next entry nor reach the terminal that shows the log as an escape sequence.
@Suite struct VisibleControlsLogHandlerTests {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        func append(_ line: String) { lock.withLock { stored.append(line) } }
        var all: [String] { lock.withLock { stored } }
    }

    @Test func messagesAndMetadataShowTheirControlCharacters() throws {
        let lines = Lines()
        var logger = Logger(label: "test") { _ in VisibleControlsLogHandler(CapturingLogHandler { lines.append($0) }) }
        logger.logLevel = .info
        logger[metadataKey: "job\n"] = "scan:\u{1B}]0;owned\u{07}"
        logger.warning(
            "job attempt failed\n2026-12-03T00:00:00+0000 info: all is well",
            metadata: [
                "error": "tar: \u{1B}[2J", "attempt": .stringConvertible(3),
                "nested": .dictionary(["jobs": .array(["a\rb", "\u{9B}c"])]),
            ])
        #expect(lines.all.count == 1)
        let line = try #require(lines.all.first)
        #expect(!line.contains("\n") && !line.contains("\u{1B}") && !line.contains("\r"))
        #expect(line.contains(#"job attempt failed\u{A}2026-12-03T00:00:00+0000 info: all is well"#))
        #expect(line.contains(#"job\u{A}=scan:\u{1B}]0;owned\u{7}"#), "\(line)")
        #expect(line.contains(#"error=tar: \u{1B}[2J"#), "\(line)")
        #expect(line.contains(#"u{D}b"#) && line.contains(#"u{9B}c"#) && !line.unicodeScalars.contains { (0x80...0x9F).contains($0.value) }, "\(line)")
        #expect(line.contains("attempt=3"))
    }

    struct RemoteFailure: Error, CustomStringConvertible {
        var description: String { "tar: \u{1B}]0;owned\u{07}\ndone" }
    }

    /// The stream handler would print an entry's error as it is: it goes in as escaped metadata.
    @Test func anEntrysErrorIsShownEscaped() throws {
        let lines = Lines()
        let logger = Logger(label: "test") { _ in VisibleControlsLogHandler(CapturingLogHandler { lines.append($0) }) }
        logger.warning("backup failed", error: RemoteFailure())
        let line = try #require(lines.all.first)
        #expect(line.contains(#"error.message=tar: \u{1B}]0;owned\u{7}\u{A}done"#), "\(line)")
        #expect(line.contains("error.type=") && !line.contains("\n") && !line.contains("\u{1B}"))
    }
}
