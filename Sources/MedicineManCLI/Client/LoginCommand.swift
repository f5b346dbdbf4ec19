import APIClient
import ArgumentParser
import Foundation
import JSONSupport

/// `medicineman login`: checks a token (or signs in with a password) and saves it for the
/// client commands in `~/.config/medicineman/credentials` (mode 0600).
struct LoginCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Save the platform's URL and a token for the client commands.",
        discussion: """
            With --token (or MEDICINEMAN_TOKEN) the API token is checked and saved. With --username the password is read \
            from standard input and a session token (15 minutes) is saved; an API token (`medicineman token create`, or an \
            admin's POST /api/users/:id/tokens) lasts longer.
            """)
    @OptionGroup var options: ClientOptions
    @Option(help: "Sign in as this user; the password is read from standard input.") var username: String?

    func execute(_ client: PlatformClient) async throws(ClientError) {
        let path = ClientCredentials.path(environment: options.environment)
        if let username {
            let password = Self.readPassword()
            let session = try await client.call(.post, "/api/auth/login", body: ["username": .string(username), "password": .string(password)])
            guard let token = session["token"]?.stringValue else { throw ClientError("the platform answered no token") }
            let expires = session["expiresAt"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) }
            try Self.save(ClientCredentials(url: client.baseURL, token: token, expiresAt: expires), to: path)
            Terminal.say("logged in to \(client.baseURL) as \(username) until \(session.cell("expiresAt")); saved in \(path)")
            return
        }
        let me = try await client.call(.get, "/api/auth/me")
        guard let token = options.token ?? options.environment["MEDICINEMAN_TOKEN"] else {
            throw ClientError("give --token (or MEDICINEMAN_TOKEN), or --username to sign in with a password")
        }
        try Self.save(ClientCredentials(url: client.baseURL, token: token), to: path)
        Terminal.say("logged in to \(client.baseURL) as \(me.cell("username")) (\(me.cell("role"))); saved in \(path)")
    }

    static func save(_ credentials: ClientCredentials, to path: String) throws(ClientError) {
        do { try credentials.save(to: path) } catch let error as ClientError { throw error } catch { throw ClientError("cannot save \(path): \(error)") }
    }

    /// One line from standard input, without echo on a terminal.
    static func readPassword() -> String {
        let terminal = isatty(STDIN_FILENO) == 1
        var saved = termios()
        if terminal {
            FileHandle.standardError.write(Data("password: ".utf8))
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        }
        defer {
            if terminal {
                tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        return readLine(strippingNewline: true) ?? ""
    }
}
