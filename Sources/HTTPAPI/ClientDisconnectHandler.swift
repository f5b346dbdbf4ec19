import NIOCore

/// Tells a live event stream that its client went away, so its slot is freed at once rather than
/// at the next keep-alive write (up to 15 s later). Sits at the front of the connection's
/// pipeline while the stream is open: the server allows half-closed connections, so a client
/// that closes its socket shows up as `inputClosed` first and as an inactive channel only later.
/// (A client that closes its sending side and still reads an event stream is treated as gone.)
final class ClientDisconnectHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let onDisconnect: @Sendable () -> Void

    init(onDisconnect: @escaping @Sendable () -> Void) {
        self.onDisconnect = onDisconnect
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { onDisconnect() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        onDisconnect()
        context.fireChannelInactive()
    }
}
