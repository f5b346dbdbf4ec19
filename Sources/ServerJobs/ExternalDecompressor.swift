import ArchiveFormat
import Foundation
import Synchronization

/// zstd (no zstd library is linked): a `zstd -dc` child process fed through a pipe. A reader
/// thread drains its output while the caller writes, so neither side can fill a pipe and wait
/// on the other; each `push` hands over what has come out so far.
final class ExternalDecompressor: StreamDecompressor {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let decompressed = DecompressedPieces()
    private let reader = DispatchGroup()

    init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw ArchiveFormatError(.unsupported, "cannot run \(arguments.joined(separator: " ")) to read the archive: \(error.localizedDescription)")
        }
        let handle = output.fileHandleForReading
        let sink = decompressed
        reader.enter()
        Thread.detachNewThread { [reader] in
            while let data = try? handle.read(upToCount: 1 << 20), !data.isEmpty {
                sink.pieces.withLock { $0.append(Array(data)) }
            }
            reader.leave()
        }
    }

    func push(_ compressed: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        do { try input.fileHandleForWriting.write(contentsOf: Data(compressed)) } catch {
            throw ArchiveFormatError(.malformedTar, "the decompressor stopped reading: the archive's compressed stream is corrupt")
        }
        try drain(emit)
    }

    func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try? input.fileHandleForWriting.close()
        reader.wait()
        process.waitUntilExit()
        try drain(emit)
        guard process.terminationStatus == 0 else {
            throw ArchiveFormatError(.malformedTar, "the archive's compressed stream is corrupt (decompressor exit \(process.terminationStatus))")
        }
    }

    private func drain(_ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let pieces = decompressed.pieces.withLock { pieces in
            defer { pieces.removeAll() }
            return pieces
        }
        for piece in pieces { try piece.withUnsafeBytes { try emit($0) } }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// What the reader thread has taken out of the pipe and the caller has not consumed yet.
private final class DecompressedPieces: Sendable {
    let pieces = Mutex<[[UInt8]]>([])
}
