/// Knows no bearer token. A worker's probe server uses it: there `METRICS_TOKEN` alone unlocks the
/// `/ready` details, so no anonymous request on a worker reaches PostgreSQL (an API-token lookup
/// would cost a query per request, on the pool its jobs use).
package struct NoBearerTokens: TokenAuthenticating {
    package init() {}

    package func identity(forBearer token: String, from client: String) async throws -> Identity? { nil }

    package func identity(forSessionCookie token: String, from client: String) async throws -> Identity? { nil }

    package func identity(rechecking token: String) async throws -> Identity? { nil }
}
