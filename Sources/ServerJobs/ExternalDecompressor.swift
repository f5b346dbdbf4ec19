import ArchiveFormat
import Foundation

/// zstd (no zstd library is linked): a `zstd -dc` child fed through a socket pair. Memory stays
/// bounded however far the data expands: the reader thread holds at most `limit` bytes of output
/// and waits for the caller to take them, and the caller writes input without blocking, taking
/// output whenever the child does not accept more input — so neither side can wait on the other.
final class ExternalDecompressor: StreamDecompressor {
    static let zstdPath = "/usr/bin/zstd"
    private let process = Process()
    private let feed: Int32
    private let output = Pipe()
    private let pending = PendingOutput(limit: 8 << 20)

    init(arguments: [String]) throws {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw ArchiveFormatError(.unsupported, "cannot make a socket pair for the decompressor: \(String(cString: strerror(errno)))")
        }
        feed = pair[0]
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardInput = FileHandle(fileDescriptor: pair[1], closeOnDealloc: true)
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            close(feed)
            throw ArchiveFormatError(.unsupported, "cannot run \(arguments[0]) to read the archive: \(error.localizedDescription)")
        }
        try? (process.standardInput as? FileHandle)?.close()  // the child holds its own copy
        let handle = output.fileHandleForReading
        let pending = self.pending
        Thread.detachNewThread {
            while let data = try? handle.read(upToCount: 1 << 20), !data.isEmpty {
                pending.put(Array(data))
            }
            pending.close()
        }
    }

    func push(_ compressed: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = compressed.baseAddress else { return }
        var offset = 0
        while offset < compressed.count {
            let sent = send(feed, base + offset, compressed.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            if sent > 0 {
                offset += sent
            } else if sent < 0, errno == EAGAIN || errno == EINTR {
                try drain(emit, waiting: true)
            } else {
                throw ArchiveFormatError(.malformedTar, "the decompressor stopped reading: the archive's compressed stream is corrupt")
            }
        }
        try drain(emit, waiting: false)
    }

    func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        shutdown(feed, Int32(SHUT_WR))
        while !pending.isFinished { try drain(emit, waiting: true) }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ArchiveFormatError(.malformedTar, "the archive's compressed stream is corrupt (decompressor exit \(process.terminationStatus))")
        }
    }

    private func drain(_ emit: (UnsafeRawBufferPointer) throws -> Void, waiting: Bool) throws {
        for piece in pending.take(waiting: waiting) { try piece.withUnsafeBytes { try emit($0) } }
    }

    deinit {
        close(feed)
        if process.isRunning { process.terminate() }
    }
}

/// Output the reader thread took from the child, at most `limit` bytes of it at a time.
private final class PendingOutput: @unchecked Sendable {
    // @unchecked: every field is read and written under `condition`.
    private let condition = NSCondition()
    private var pieces: [[UInt8]] = []
    private var bytes = 0
    private var closed = false
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Waits while the caller has not taken what is already here.
    func put(_ piece: [UInt8]) {
        condition.lock()
        while bytes >= limit { condition.wait() }
        pieces.append(piece)
        bytes += piece.count
        condition.broadcast()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Everything here; with `waiting`, waits up to 100 ms for something to arrive first.
    func take(waiting: Bool) -> [[UInt8]] {
        condition.lock()
        defer { condition.unlock() }
        if waiting, pieces.isEmpty, !closed { _ = condition.wait(until: Date().addingTimeInterval(0.1)) }
        let taken = pieces
        pieces.removeAll()
        bytes = 0
        condition.broadcast()
        return taken
    }

    var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed && pieces.isEmpty
    }
}
