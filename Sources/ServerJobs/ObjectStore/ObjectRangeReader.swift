import Dispatch
import Foundation
import NIOCore

/// Reads an object in ranged GETs of `partSize` bytes, for a blocking consumer (the SSH
/// session's thread during a restore, a verifier's thread): `next()` waits for the range being
/// fetched and starts fetching the one after, so at most two ranges are held at once.
final class ObjectRangeReader: @unchecked Sendable {
    // @unchecked: used by one consumer thread at a time.
    private let store: ObjectStore
    private let key: String
    private let size: Int64
    private var offset: Int64 = 0
    private var pending: Task<ByteBuffer, any Error>?

    init(store: ObjectStore, key: String, size: Int64) {
        self.store = store
        self.key = key
        self.size = size
        pending = fetch()
    }

    /// The next range's bytes, nil at the end; blocks the calling thread (never call it on the
    /// cooperative pool).
    func next() throws -> [UInt8]? {
        guard let current = pending else { return nil }
        let buffer = try Self.wait(for: current)
        pending = fetch()
        return Array(buffer.readableBytesView)
    }

    /// Stops a fetch still running (the consumer gave up).
    func cancel() {
        pending?.cancel()
        pending = nil
    }

    private func fetch() -> Task<ByteBuffer, any Error>? {
        guard offset < size else { return nil }
        let length = Int(min(Int64(store.settings.partSize), size - offset))
        let start = offset
        offset += Int64(length)
        return Task { [store, key] in try await store.read(key, offset: start, length: length) }
    }

    /// Blocks this (non-pool) thread until `task` has finished.
    private static func wait(for task: Task<ByteBuffer, any Error>) throws -> ByteBuffer {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        Task {
            box.result = await task.result
            done.signal()
        }
        done.wait()
        guard let result = box.result else { throw ServerJobError(.storage, "a ranged read ended without a result") }
        return try result.get()
    }

    private final class ResultBox: @unchecked Sendable {
        // @unchecked: written once before the semaphore is signalled, read after it.
        var result: Result<ByteBuffer, any Error>?
    }
}
