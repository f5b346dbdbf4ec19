import BlockingIO
import Foundation
import Synchronization
import Testing

/// `BlockingWork` runs blocking calls on a bounded pool: many at once never run more than its
/// threads, and every call still completes.
@Suite struct BlockingWorkTests {
    final class Concurrency: Sendable {
        let running = Mutex(0)
        let highest = Mutex(0)

        func enter() {
            let now = running.withLock {
                $0 += 1; return $0
            }
            highest.withLock { $0 = max($0, now) }
        }

        func leave() { running.withLock { $0 -= 1 } }
    }

    @Test func manyCallsShareTheBoundedPool() async {
        let concurrency = Concurrency()
        let results = await withTaskGroup(of: Int.self) { group in
            for index in 0..<(BlockingWork.threadCount * 3) {
                group.addTask {
                    await BlockingWork.run {
                        concurrency.enter()
                        usleep(20_000)
                        concurrency.leave()
                        return index
                    }
                }
            }
            var all: [Int] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.sorted() == Array(0..<(BlockingWork.threadCount * 3)))
        #expect(concurrency.highest.withLock { $0 } <= BlockingWork.threadCount)
    }
}
