import BlockingIO
import Foundation

/// Where and how to reach PostgreSQL.
///
/// `url` is a libpq connection URI (`DATABASE_URL`, e.g. `postgres://user:pw@127.0.0.1:5432/db`).
/// When it is nil libpq reads the standard `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD` and
/// `PGDATABASE` variables itself.
public struct PostgresConfiguration: Sendable {
    public var url: String?
    /// Longest wait for a connection (libpq counts whole seconds, at least 2).
    public var connectTimeout: Duration
    /// Server-side limit for one statement (`statement_timeout`); nil for none.
    public var statementTimeout: Duration?
    /// How long unacknowledged data may stay on the wire before the socket is declared dead
    /// (`tcp_user_timeout`), so a vanished server fails a query instead of hanging it.
    public var networkTimeout: Duration
    public var applicationName: String

    public init(
        url: String? = nil,
        connectTimeout: Duration = .seconds(5),
        statementTimeout: Duration? = .seconds(60),
        networkTimeout: Duration = .seconds(30),
        applicationName: String = "medicineman"
    ) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
        self.networkTimeout = networkTimeout
        self.applicationName = applicationName
    }

    /// Connection keywords for `PQconnectdbParams`; the URL comes last so what it sets wins.
    var connectionParameters: [(String, String)] {
        var options = "-c DateStyle=ISO -c TimeZone=UTC -c client_min_messages=warning"
        if let statementTimeout {
            options += " -c statement_timeout=\(Self.milliseconds(statementTimeout))"
        }
        var parameters: [(String, String)] = [
            ("connect_timeout", String(max(2, Self.milliseconds(connectTimeout) / 1000))),
            ("application_name", applicationName),
            ("options", options),
            ("keepalives", "1"),
            ("keepalives_idle", "10"),
            ("keepalives_interval", "5"),
            ("keepalives_count", "3"),
            ("tcp_user_timeout", String(Self.milliseconds(networkTimeout))),
            ("client_encoding", "UTF8"),
        ]
        if let url { parameters.append(("dbname", url)) }
        return parameters
    }

    /// The URL with its password replaced, for logs and errors.
    public var redactedDescription: String {
        guard let url else { return "PG* environment" }
        guard let at = url.lastIndex(of: "@"), let schemeEnd = url.range(of: "://") else { return url }
        let credentials = url[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.wholeMilliseconds)
    }
}
