/// Runs `body`, then `cleanup` whether `body` returned or threw: an async `defer`, which Swift
/// does not have. After a throwing `body` the cleanup's own error is dropped and `body`'s is
/// thrown; after a returning one, the cleanup's error is thrown. Both throw `Failure`, so a
/// typed-throws caller keeps its error type.
public func withCleanup<Result, Failure: Error>(
    isolation: isolated (any Actor)? = #isolation,
    _ body: () async throws(Failure) -> Result,
    cleanup: () async throws(Failure) -> Void
) async throws(Failure) -> Result {
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
