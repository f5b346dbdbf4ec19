import Foundation

/// Runs what a stream does with each chunk it reads (seal, hash, store) on a thread of its own, so
/// the SSH session's thread only reads and decrypts. Chunks are gathered into recycled buffers of
/// `batchBytes` and queued, at most `depth` at once: a reader faster than storage waits, memory
/// stays bounded (`depth + 2` buffers). The
/// writer's first failure stops it and is rethrown to the reader at its next chunk or at `finish`.
final class ArchiveWriterThread: @unchecked Sendable {
    // @unchecked: the queue and state are guarded by `condition`; `consume` runs on the writer only.
    private let condition = NSCondition()
    private var pending: [[UInt8]] = []
    private var spare: [[UInt8]] = []
    private var closed = false
    private var stopped = false
    private var failure: (any Error)?
    private let depth: Int
    private let batchBytes: Int
    /// The buffer the reader fills; touched by the reader only.
    private var filling: [UInt8] = []
    private let consume: (UnsafeRawBufferPointer) throws -> Void

    struct Abandoned: Error, CustomStringConvertible {
        var description: String { "the archive stream was abandoned" }
    }

    /// `batchBytes` matches the sealer's chunk, so a sealed archive's chunks need no copy of their own.
    init(depth: Int = 4, batchBytes: Int = 1 << 20, consume: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.depth = max(1, depth)
        self.batchBytes = max(1, batchBytes)
        self.consume = consume
        let thread = Thread { [self] in drain() }
        thread.name = "archive-writer"
        thread.start()
    }

    /// Copies `chunk` into the buffer being filled, queueing it once it holds `batchBytes`
    /// (waiting while the queue is full); throws the writer's failure.
    func submit(_ chunk: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < chunk.count {
            if filling.capacity < batchBytes { filling = try takeSpare() }
            let take = min(batchBytes - filling.count, chunk.count - offset)
            filling.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[offset..<offset + take]))
            offset += take
            if filling.count == batchBytes { try enqueueFilling() }
        }
    }

    /// Queues what is left, waits until everything queued is consumed and the writer ended;
    /// throws its failure.
    func finish() throws {
        if !filling.isEmpty { try enqueueFilling() }
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
        while !stopped { condition.wait() }
        if let failure { throw failure }
    }

    /// An empty buffer: a recycled one, or a new one once `depth` are in use.
    private func takeSpare() throws -> [UInt8] {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        var buffer = spare.popLast() ?? []
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(batchBytes)
        return buffer
    }

    private func enqueueFilling() throws {
        condition.lock()
        defer { condition.unlock() }
        // Woken every half second to notice a cancelled job while storage holds the writer up.
        while pending.count >= depth, failure == nil {
            if Task.isCancelled { throw CancellationError() }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.5))
        }
        if let failure { throw failure }
        pending.append(filling)
        filling = []
        condition.broadcast()
    }

    /// Drops what is queued and waits for the writer to end (the stream failed).
    func abandon() {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        pending.removeAll()
        if failure == nil { failure = Abandoned() }
        condition.broadcast()
        while !stopped { condition.wait() }
    }

    private func drain() {
        condition.lock()
        while true {
            while pending.isEmpty, !closed { condition.wait() }
            guard !pending.isEmpty, failure == nil else { break }
            let buffer = pending.removeFirst()
            condition.unlock()
            var error: (any Error)?
            do { try buffer.withUnsafeBytes(consume) } catch let thrown { error = thrown }
            condition.lock()
            if let error {
                failure = error
                pending.removeAll()
            }
            if spare.count < depth { spare.append(buffer) }
            condition.broadcast()
        }
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
