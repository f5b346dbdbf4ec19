import HTTPTypes
@testable import HTTPAPI
import Testing

/// Operators asking for many verifies or downloads at once get 503, not a thread each.
@Suite struct AttackArchiveReadTests {
    @Test func readsBeyondTheLimitAreRefusedAndSlotsComeBack() throws {
        let slots = ArchiveReadSlots(limit: 3)
        var held = try (0..<3).map { _ in try slots.acquire() }
        #expect(slots.current == 3)
        #expect { _ = try slots.acquire() } throws: { ($0 as? APIError)?.status == .serviceUnavailable }
        #expect(slots.current == 3, "a refused read holds nothing")
        held.removeLast()
        #expect(slots.current == 2)
        _ = try slots.acquire()  // released again at once
        held.removeAll()
        #expect(slots.current == 0)
    }
}
