import BlockingIO
import Crypto
import Dispatch
import Foundation
import NIOCore
import Synchronization

/// One archive streaming into a multipart upload while it arrives. The SSH session's thread
/// (blocking, never the cooperative pool) writes chunks; every `partSize` bytes become a part
/// uploaded by a task of its own. At most `partsInFlight` parts are being uploaded; the writer
/// waits for a free slot before handing over the next, so memory stays about
/// (partsInFlight + 1) × partSize whatever the archive's size.
final class ObjectUpload: @unchecked Sendable {
    // @unchecked: the shared state is in `state`; `buffer` and `nextNumber` belong to the writer thread.
    let store: ObjectStore
    let key: String
    let uploadId: String
    private let slots: DispatchSemaphore
    private var buffer: ByteBuffer
    private var nextNumber = 1

    private struct State {
        var uploads: [Task<ObjectStore.UploadedPart, any Error>] = []
        var failure: ServerJobError?
        var heldBytes = 0
        var peakHeldBytes = 0
    }
    private let state = Mutex(State())

    private init(store: ObjectStore, key: String, uploadId: String) {
        self.store = store
        self.key = key
        self.uploadId = uploadId
        self.slots = DispatchSemaphore(value: store.settings.partsInFlight)
        self.buffer = ByteBufferAllocator().buffer(capacity: store.settings.partSize)
    }

    static func start(store: ObjectStore, key: String) async throws(ServerJobError) -> ObjectUpload {
        ObjectUpload(store: store, key: key, uploadId: try await store.createMultipartUpload(key: key))
    }

    /// On the writer's thread: appends a chunk, handing over every full part (waiting for a slot).
    func write(_ chunk: UnsafeRawBufferPointer) throws(ServerJobError) {
        if let failure = currentFailure() { throw failure }
        buffer.writeBytes(chunk)
        account(chunk.count)
        let partSize = store.settings.partSize
        while buffer.readableBytes >= partSize {
            guard let part = buffer.readSlice(length: partSize) else { break }
            var rest = ByteBufferAllocator().buffer(capacity: partSize)
            rest.writeImmutableBuffer(buffer)
            buffer = rest
            try handOver(part)
        }
    }

    /// On the writer's thread, after the last chunk: the rest becomes the last part (an empty
    /// archive still needs one part).
    func flush() throws(ServerJobError) {
        if buffer.readableBytes > 0 || nextNumber == 1 {
            let part = buffer
            buffer = ByteBufferAllocator().buffer(capacity: 0)
            try handOver(part)
        }
    }

    /// Waits for every part, runs `fence` (the attempt must still own its job), then joins the
    /// parts into the object. Any failure aborts the upload.
    func complete(fence: @Sendable () async throws -> Void) async throws -> Int {
        do {
            var parts: [ObjectStore.UploadedPart] = []
            for upload in allUploads() { parts.append(try await upload.value) }
            try await fence()
            try await store.completeMultipartUpload(key: key, uploadId: uploadId, parts: parts)
            return parts.count
        } catch {
            await abort()
            throw error
        }
    }

    /// Cancels parts still uploading, waits for them, and aborts the upload so the store keeps
    /// none of its parts. Never throws: a failed abort is left to the janitor (it aborts stale
    /// uploads under the prefix).
    func abort() async {
        let pending = allUploads()
        for upload in pending { upload.cancel() }
        for upload in pending { _ = await upload.result }
        // In a task of its own: the caller may be cancelled (that is often why it aborts), and a
        // cancelled task's HTTP calls end before they are sent.
        await Task { [store, key, uploadId] in try? await store.abortMultipartUpload(key: key, uploadId: uploadId) }.value
    }

    private func handOver(_ part: ByteBuffer) throws(ServerJobError) {
        slots.wait()
        if let failure = currentFailure() {
            slots.signal()
            throw failure
        }
        let number = nextNumber
        nextNumber += 1
        let size = part.readableBytes
        let task = Task { [store, key, uploadId, slots] () async throws -> ObjectStore.UploadedPart in
            defer {
                self.account(-size)
                slots.signal()
            }
            do {
                // Hashing 8 MiB is CPU work: on a thread of its own, not the cooperative pool.
                let digest = await BlockingWork.run { part.withUnsafeReadableBytes { SHA256.hash(data: $0) } }
                return try await store.uploadPart(key: key, uploadId: uploadId, number: number, body: part, sha256: digest)
            } catch {
                self.fail(error)
                throw error
            }
        }
        state.withLock { $0.uploads.append(task) }
    }

    private func account(_ delta: Int) {
        state.withLock {
            $0.heldBytes += delta
            $0.peakHeldBytes = max($0.peakHeldBytes, $0.heldBytes)
        }
    }

    private func fail(_ error: ServerJobError) {
        state.withLock { if $0.failure == nil { $0.failure = error } }
    }

    private func fail(_ error: any Error) {
        fail(error as? ServerJobError ?? ServerJobError(.storage, "uploading a part of \(key) failed: \(error)"))
    }

    private func currentFailure() -> ServerJobError? { state.withLock { $0.failure } }
    private func allUploads() -> [Task<ObjectStore.UploadedPart, any Error>] { state.withLock { $0.uploads } }
    /// Most archive bytes held at once (filling plus uploading).
    var peakBytes: Int { state.withLock { $0.peakHeldBytes } }
}
