/// Runs `body`, then `cleanup` whether `body` returned or threw: an async `defer`, which Swift
/// does not have. After a throwing `body` the cleanup's own error is dropped and `body`'s is
/// thrown; after a returning one, the cleanup's error is thrown.
public func withCleanup<Result>(
    isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws -> Result,
    cleanup: () async throws -> Void
) async throws -> Result {
    let result: Result
    do {
        result = try await body()
    } catch {
        try? await cleanup()
        throw error
    }
    try await cleanup()
    return result
}
