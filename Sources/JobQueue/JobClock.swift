import Foundation

/// Where the queue reads "now" (milliseconds since the epoch); tests may move it.
public struct JobClock: Sendable {
    public let nowMilliseconds: @Sendable () -> Int

    public init(nowMilliseconds: @escaping @Sendable () -> Int) {
        self.nowMilliseconds = nowMilliseconds
    }

    public static let system = JobClock { Int((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
