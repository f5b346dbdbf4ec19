import HTTPTypes
import Synchronization

/// Archive reads the API runs at once (verifies and downloads): each holds a thread and a file
/// or object-store stream, so the process never spends more than `limit` of them however many
/// operators ask; beyond, the answer is 503 `busy` with `Retry-After`.
package final class ArchiveReadSlots: Sendable {
    private let inUse = Atomic<Int>(0)
    package let limit: Int
    /// What a slot is for, as the busy answer names it.
    let what: String

    package init(limit: Int = 8, what: String = "archive reads") {
        self.limit = max(1, limit)
        self.what = what
    }

    /// A slot held until the returned value is released (it frees itself when it goes away, so a
    /// response never written still gives its slot back).
    package func acquire() throws -> Slot {
        guard inUse.add(1, ordering: .acquiringAndReleasing).newValue <= limit else {
            inUse.subtract(1, ordering: .relaxed)
            throw APIError.busy("\(limit) \(what) are running; try again shortly")
        }
        return Slot(owner: self)
    }

    var current: Int { inUse.load(ordering: .relaxed) }

    package final class Slot: Sendable {
        private let owner: ArchiveReadSlots
        fileprivate init(owner: ArchiveReadSlots) { self.owner = owner }
        deinit { owner.inUse.subtract(1, ordering: .acquiringAndReleasing) }
    }
}
