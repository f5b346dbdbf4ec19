import Foundation
import NIOCore
import Synchronization

/// What the bench's SSE connections saw: streams opened or refused, and when each `progress`
/// event (by its `seq`) arrived.
final class SSEBenchRecord: Sendable {
    private struct State {
        var opened = 0
        var refused = 0
        var arrivals: [(seq: Int, at: ContinuousClock.Instant)] = []
    }

    private let state = Mutex(State())

    var opened: Int { state.withLock { $0.opened } }
    var refused: Int { state.withLock { $0.refused } }
    var arrivals: [(seq: Int, at: ContinuousClock.Instant)] { state.withLock { $0.arrivals } }
    var arrivalCount: Int { state.withLock { $0.arrivals.count } }

    func open() { state.withLock { $0.opened += 1 } }
    func refuse() { state.withLock { $0.refused += 1 } }
    func arrive(_ seq: Int, at instant: ContinuousClock.Instant) { state.withLock { $0.arrivals.append((seq, instant)) } }
}

/// One `GET /api/jobs/:id/events` over a raw TCP connection: sends the request, then reads the
/// chunked SSE body line by line (chunk sizes are lines of their own and are ignored).
final class SSEBenchClient: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let request: String
    let record: SSEBenchRecord
    private var pending: [UInt8] = []
    private var sawStatus = false
    private var sawState = false

    init(host: String, port: Int, path: String, token: String, record: SSEBenchRecord) {
        request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nAuthorization: Bearer \(token)\r\nAccept: text/event-stream\r\n\r\n"
        self.record = record
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = ContinuousClock.now
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        var start = 0
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            line(pending[start..<newline], at: now)
            start = newline + 1
        }
        pending.removeFirst(start)
    }

    private func line(_ bytes: ArraySlice<UInt8>, at instant: ContinuousClock.Instant) {
        let text = String(decoding: bytes, as: UTF8.self)
        if !sawStatus {
            sawStatus = true
            if !text.hasPrefix("HTTP/1.1 200") { record.refuse() }
            return
        }
        guard text.hasPrefix("data: ") else { return }
        if !sawState, text.contains("\"state\":") {
            sawState = true
            record.open()
        } else if let marker = text.range(of: "\"seq\":") {
            let digits = text[marker.upperBound...].prefix { $0.isNumber }
            if let seq = Int(digits) { record.arrive(seq, at: instant) }
        }
    }
}
