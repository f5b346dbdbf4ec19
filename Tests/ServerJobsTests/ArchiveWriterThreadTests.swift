import Foundation
@testable import ServerJobs
import Synchronization
import Testing

/// The writer thread a backup stream hands its chunks to: order kept, memory bounded, the writer's
/// failure reaches the reader, abandoning ends the thread.
@Suite struct ArchiveWriterThreadTests {
    final class Collected: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }

    @Test func chunksArriveInOrderAndWholeGatheredIntoRecycledBuffers() throws {
        let collected = Collected()
        let writer = ArchiveWriterThread(depth: 2, batchBytes: 1000) { chunk in collected.bytes.withLock { $0.append(contentsOf: chunk) } }
        var expected: [UInt8] = []
        for index in 0..<500 {
            let chunk = [UInt8](repeating: UInt8(index % 251), count: 1 + index * 37 % 4096)
            expected += chunk
            try chunk.withUnsafeBytes { try writer.submit($0) }
        }
        try writer.finish()
        #expect(collected.bytes.withLock { $0 } == expected)
    }

    struct DiskFull: Error {}

    @Test func theWritersFailureStopsTheReaderAndFinish() throws {
        let calls = Mutex(0)
        let writer = ArchiveWriterThread(depth: 1, batchBytes: 1024) { _ in
            let count = calls.withLock {
                $0 += 1; return $0
            }
            if count == 3 { throw DiskFull() }
        }
        let chunk = [UInt8](repeating: 1, count: 1024)
        var thrown: (any Error)?
        for _ in 0..<1000 {
            do { try chunk.withUnsafeBytes { try writer.submit($0) } } catch {
                thrown = error
                break
            }
        }
        #expect(thrown is DiskFull, "the reader sees the writer's failure at a later chunk")
        #expect(throws: DiskFull.self) { try writer.finish() }
        #expect(calls.withLock { $0 } == 3, "nothing is consumed after the failure")
    }

    @Test func abandoningDropsWhatIsQueuedAndEndsTheThread() throws {
        let gate = DispatchSemaphore(value: 0)
        let calls = Mutex(0)
        // Only the first write waits (a later one waiting on the spent gate would hang the test, as
        // it once did on CI), and the gate opens a second later, long after `abandon` dropped the queue.
        let writer = ArchiveWriterThread(depth: 4, batchBytes: 16) { _ in
            if calls.withLock({
                $0 += 1; return $0
            }) == 1 {
                gate.wait()
            }
        }
        let chunk = [UInt8](repeating: 2, count: 16)
        for _ in 0..<4 { try chunk.withUnsafeBytes { try writer.submit($0) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { gate.signal() }
        writer.abandon()
        #expect(calls.withLock { $0 } <= 2, "queued chunks are dropped, not written")
        #expect(throws: ArchiveWriterThread.Abandoned.self) { try writer.finish() }
    }
}
