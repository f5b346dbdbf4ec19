import ArgumentParser
import Foundation
import JSONSupport
import Logging
import PlatformRuntime
import Records

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage users.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user; prints its id.",
            discussion: "Without --password the password is read from standard input, which keeps it out of the process list.")

        @Option(help: "3-64 letters, digits, '.', '_' or '-'.") var username: String
        @Option(help: "The password (or give it on standard input).") var password: String?
        @Option(help: "admin, operator or viewer.") var role: String
        @Option(help: "Email address.") var email: String?

        func validate() throws {
            guard UserRole(rawValue: role) != nil else { throw ValidationError("--role must be admin, operator or viewer") }
        }

        func run() async throws {
            let secret = try password ?? CommandEnvironment.readSecret(prompt: "password")
            let user = try await CommandEnvironment.withDatabase { resources in
                let user = try await UserRepository(database: resources.postgres).create(
                    username: username, email: email, password: secret, role: UserRole(rawValue: role) ?? .viewer)
                await CommandEnvironment.audit(resources, "user.create", resource: user.id.lowercasedString, ["username": .string(user.username), "role": .string(user.role.rawValue)])
                return user
            }
            print(user.id.lowercasedString)
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Manage API tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API token; prints it once (only its hash is stored).")

        @Option(help: "Owner of the token.") var username: String
        @Option(help: "A name to tell the token apart.") var name: String
        @Option(name: .customLong("expires-in"), help: "Days until the token expires (default: never).") var expiresIn: Int?

        func validate() throws {
            if let expiresIn, expiresIn <= 0 { throw ValidationError("--expires-in must be a positive number of days") }
        }

        func run() async throws {
            let token = try await CommandEnvironment.withDatabase { resources in
                let users = UserRepository(database: resources.postgres)
                guard let user = try await users.find(username: username) else {
                    throw CommandFailure(description: "no user named '\(username)'")
                }
                guard user.active else { throw CommandFailure(description: "'\(username)' is deactivated; activate the user first") }
                let expiry = expiresIn.map { Date(timeIntervalSinceNow: Double($0) * 86_400) }
                let created = try await users.createToken(userId: user.id, name: name, expiresAt: expiry)
                await CommandEnvironment.audit(
                    resources, "token.create", resource: created.record.id.lowercasedString,
                    ["name": .string(name), "userId": .string(user.id.lowercasedString), "username": .string(user.username)])
                return created.token
            }
            print(token)
        }
    }
}

struct CredentialsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials", abstract: "Manage stored server credentials and webhook secrets.",
        subcommands: [RotateKey.self])

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Re-encrypt every server credential, webhook secret and webhook URL under a new key, in one transaction.",
            discussion: """
                Opens the credentials, webhook secrets and webhook URLs with ENCRYPTION_KEY (or ENCRYPTION_KEY_PREVIOUS), seals them under the new key and prints \
                the new key. Then set ENCRYPTION_KEY to it, and ENCRYPTION_KEY_PREVIOUS to the old key, and restart every process; then run \
                `rotate-key --finish`, which moves to ENCRYPTION_KEY only what a process still on the old key sealed meanwhile, before dropping \
                ENCRYPTION_KEY_PREVIOUS.
                """)

        @Option(name: .customLong("new-key"), help: "The new key (64 hex characters); generated when omitted.") var newKey: String?
        @Flag(help: "Move to ENCRYPTION_KEY whatever is still sealed under a key of ENCRYPTION_KEY_PREVIOUS; prints no key.") var finish = false

        func run() async throws {
            if finish {
                guard newKey == nil else { throw CommandFailure(description: "--finish moves everything to ENCRYPTION_KEY; give no --new-key") }
                let (count, keyId) = try await CommandEnvironment.withDatabase { resources in
                    let vault = try resources.configuration.requireVault()
                    let count = try await CredentialRotation(database: resources.postgres, vault: vault).rotate(to: vault.currentKey)
                    await CommandEnvironment.audit(resources, "credentials.rotate", resource: vault.currentKey.id, ["resealed": .int(Int64(count)), "finish": true])
                    return (count, vault.currentKey.id)
                }
                FileHandle.standardError.write(Data("moved \(count) credential(s), webhook secret(s) and URL(s) still under an older key to key \(keyId)\n".utf8))
                return
            }
            let hex = newKey ?? EncryptionKey.generateHex()
            let key = try EncryptionKey(hex: hex, variable: "--new-key")
            let count = try await CommandEnvironment.withDatabase { resources in
                let count = try await CredentialRotation(database: resources.postgres, vault: try resources.configuration.requireVault()).rotate(to: key)
                await CommandEnvironment.audit(resources, "credentials.rotate", resource: key.id, ["resealed": .int(Int64(count))])
                return count
            }
            FileHandle.standardError.write(Data("re-encrypted \(count) credential(s), webhook secret(s) and URL(s) under key \(key.id)\n".utf8))
            print(hex)
        }
    }
}

/// A command that could not do its work; the message says why.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}
