/// Polls `produce` every `interval` until it gives a value or `timeout` passes (asked once more at
/// the deadline); nil when it never did. The one polling loop of the suites. The default timeout
/// is generous on purpose: a passing wait returns at once, and the whole suite shares two cores.
package func eventualValue<Value>(
    timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(20), _ produce: () async throws -> Value?
) async throws -> Value? {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if let value = try await produce() { return value }
        try await Task.sleep(for: interval)
    }
    return try await produce()
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
package func eventually(
    timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(20), _ condition: () async throws -> Bool
) async throws -> Bool {
    try await eventualValue(timeout: timeout, every: interval) { try await condition() ? true : nil } ?? false
}
