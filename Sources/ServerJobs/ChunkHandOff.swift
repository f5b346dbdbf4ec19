import Foundation

/// Hands byte chunks from a producer thread (blocking reads, decryption, decompression) to an
/// async consumer with backpressure: the producer blocks while `capacity` chunks wait, the
/// consumer suspends (never blocks) while none do. Memory stays at `capacity` chunks.
final class ChunkHandOff: @unchecked Sendable {
    // @unchecked: every field is guarded by `condition`.
    private let condition = NSCondition()
    private let capacity: Int
    private var queue: [[UInt8]] = []
    private var waiting: CheckedContinuation<[UInt8]?, any Error>?
    private var ending: Result<Void, any Error>?
    private var cancelled = false

    init(capacity: Int = 4) {
        self.capacity = capacity
    }

    /// Producer: queues a chunk, waiting while the queue is full; false once the consumer gave up.
    func put(_ chunk: [UInt8]) -> Bool {
        condition.lock()
        while queue.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else {
            condition.unlock()
            return false
        }
        if let consumer = waiting {
            waiting = nil
            condition.unlock()
            consumer.resume(returning: chunk)
            return true
        }
        queue.append(chunk)
        condition.unlock()
        return true
    }

    /// Producer: no more chunks (`error` when the stream failed).
    func finish(_ error: (any Error)? = nil) {
        condition.lock()
        ending = error.map { .failure($0) } ?? .success(())
        let consumer = waiting
        waiting = nil
        condition.unlock()
        if let consumer {
            if let error { consumer.resume(throwing: error) } else { consumer.resume(returning: nil) }
        }
    }

    /// Consumer: the next chunk, nil at the end; throws the producer's error.
    func next() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if !queue.isEmpty {
                let chunk = queue.removeFirst()
                condition.signal()
                condition.unlock()
                continuation.resume(returning: chunk)
            } else if let ending {
                condition.unlock()
                switch ending {
                case .success: continuation.resume(returning: nil)
                case .failure(let error): continuation.resume(throwing: error)
                }
            } else {
                waiting = continuation
                condition.unlock()
            }
        }
    }

    /// Consumer: stops the producer at its next `put`.
    func cancel() {
        condition.lock()
        cancelled = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }
}
