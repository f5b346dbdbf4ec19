/// Asks again whether the credential a request came with still holds: long-lived responses (live
/// event streams) call it now and then, so a revoked token, a deactivated user or a signed-out
/// session does not keep one open until it ends on its own.
package struct CredentialCheck: Sendable {
    /// True while the credential holds; false once it is revoked, expired or signed out. Throws
    /// when it cannot tell (the database unreachable, lookups busy): the caller decides.
    let stillHolds: @Sendable () async throws -> Bool

    package init(_ stillHolds: @escaping @Sendable () async throws -> Bool) {
        self.stillHolds = stillHolds
    }
}
