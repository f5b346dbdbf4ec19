import BlockingIO
import Foundation
import Testing

/// A C client on a dedicated thread that writes to a socket its peer closed (hiredis after Redis
/// restarted or killed the connection) must see EPIPE, not end the process with SIGPIPE.
@Suite struct DedicatedThreadExecutorTests {
    actor SocketWriter {
        let executor = DedicatedThreadExecutor(name: "test-sigpipe")
        nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

        /// Writes twice to a stream socket whose peer is closed; the error of the second write.
        func writeToClosedPeer() -> Int32 {
            var ends: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0 else { return -1 }
            close(ends[1])
            defer { close(ends[0]) }
            var failure: Int32 = 0
            for _ in 0..<2 where write(ends[0], "x", 1) < 0 { failure = errno }
            return failure
        }

        isolated deinit { executor.shutdown() }
    }

    @Test func aWriteToAClosedPeerFailsWithEPIPEInsteadOfEndingTheProcess() async {
        #expect(await SocketWriter().writeToClosedPeer() == EPIPE)
    }
}
