package import Foundation
package import ServiceLifecycle

/// A service that makes one pass every interval until shutdown. The loop, the clock and the
/// start and stop lines are its `duty`'s; the service says only what a pass does.
package protocol PeriodicService: Service {
    var duty: PeriodicDuty { get }

    /// One pass at `now`. Failures are logged through `duty.failures`, never thrown: the next
    /// pass tries again.
    func pass(now: Date) async
}

extension PeriodicService {
    package func run() async throws {
        await duty.run { await pass(now: $0) }
    }
}
