/// Services a scan recognises, by process name or listening port, with what matters for backups.
struct KnownService: Sendable {
    let name: String
    let type: String
    let processes: [String]
    let ports: [Int]
    let configPaths: [String]
    let dataPaths: [String]
    let logPaths: [String]
    /// A fixed command printing the version (stdout or stderr).
    let versionCommand: String?
    let priority: Int

    static let all: [KnownService] = [
        KnownService(
            name: "sshd", type: "remote-access", processes: ["sshd"], ports: [22], configPaths: ["/etc/ssh"], dataPaths: [],
            logPaths: ["/var/log/auth.log"], versionCommand: "sshd -V", priority: 6),
        KnownService(
            name: "postgresql", type: "database", processes: ["postgres", "postmaster"], ports: [5432],
            configPaths: ["/etc/postgresql"], dataPaths: ["/var/lib/postgresql"], logPaths: ["/var/log/postgresql"],
            versionCommand: "postgres --version", priority: 10),
        KnownService(
            name: "mysql", type: "database", processes: ["mysqld", "mariadbd"], ports: [3306], configPaths: ["/etc/mysql"],
            dataPaths: ["/var/lib/mysql"], logPaths: ["/var/log/mysql"], versionCommand: "mysqld --version", priority: 10),
        KnownService(
            name: "redis", type: "database", processes: ["redis-server"], ports: [6379], configPaths: ["/etc/redis"],
            dataPaths: ["/var/lib/redis"], logPaths: ["/var/log/redis"], versionCommand: "redis-server --version", priority: 8),
        KnownService(
            name: "mongodb", type: "database", processes: ["mongod"], ports: [27017], configPaths: ["/etc/mongod.conf"],
            dataPaths: ["/var/lib/mongodb"], logPaths: ["/var/log/mongodb"], versionCommand: "mongod --version", priority: 10),
        KnownService(
            name: "nginx", type: "web", processes: ["nginx"], ports: [80, 443], configPaths: ["/etc/nginx"],
            dataPaths: ["/var/www"], logPaths: ["/var/log/nginx"], versionCommand: "nginx -v", priority: 7),
        KnownService(
            name: "apache", type: "web", processes: ["apache2", "httpd"], ports: [80, 443], configPaths: ["/etc/apache2", "/etc/httpd"],
            dataPaths: ["/var/www"], logPaths: ["/var/log/apache2"], versionCommand: "apache2 -v", priority: 7),
        KnownService(
            name: "docker", type: "containers", processes: ["dockerd"], ports: [], configPaths: ["/etc/docker"],
            dataPaths: ["/var/lib/docker/volumes"], logPaths: [], versionCommand: "docker --version", priority: 8),
    ]
}
