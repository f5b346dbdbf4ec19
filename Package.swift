// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The products of other packages our targets use, named once.
enum Products {
    static let dequeModule = Target.Dependency.product(name: "DequeModule", package: "swift-collections")
    static let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
    static let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
    static let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
    static let tracing = Target.Dependency.product(name: "Tracing", package: "swift-distributed-tracing")
    static let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
    static let compressNIO = Target.Dependency.product(name: "CompressNIO", package: "compress-nio")
    static let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
    static let coreMetrics = Target.Dependency.product(name: "CoreMetrics", package: "swift-metrics")
    static let asyncHTTPClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
    static let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
    static let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
    static let jwtKit = Target.Dependency.product(name: "JWTKit", package: "jwt-kit")
    static let hummingbirdCore = Target.Dependency.product(name: "HummingbirdCore", package: "hummingbird")
    static let nioHTTPTypes = Target.Dependency.product(name: "NIOHTTPTypes", package: "swift-nio-extras")
    static let httpTypes = Target.Dependency.product(name: "HTTPTypes", package: "swift-http-types")
    static let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
    static let mustache = Target.Dependency.product(name: "Mustache", package: "swift-mustache")
    static let unixSignals = Target.Dependency.product(name: "UnixSignals", package: "swift-service-lifecycle")
    static let otel = Target.Dependency.product(name: "OTel", package: "swift-otel")
    static let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
    static let hummingbirdTesting = Target.Dependency.product(name: "HummingbirdTesting", package: "hummingbird")
    static let inMemoryTracing = Target.Dependency.product(name: "InMemoryTracing", package: "swift-distributed-tracing")
}

let package = Package(
    name: "MedicineMan",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "medicineman", targets: ["MedicineManCLI"]),
        .executable(name: "medicineman-bench", targets: ["MedicineManBench"]),
        .library(name: "RedisClient", targets: ["RedisClient"]),
        .library(name: "PostgresClient", targets: ["PostgresClient"]),
        .library(name: "SSHClient", targets: ["SSHClient"]),
        .library(name: "JobQueue", targets: ["JobQueue"]),
        .library(name: "Records", targets: ["Records"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.20.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP over HTTP only: the gRPC exporter would double the build for no use here.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // C libraries, linked from the system (Debian -dev packages).
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibSSH2", pkgConfig: "libssh2", providers: [.apt(["libssh2-1-dev"])]),
        .systemLibrary(name: "CLibCrypt", pkgConfig: "libcrypt", providers: [.apt(["libcrypt-dev"])]),
        // sync_file_range(2), which Glibc's Swift module leaves out.
        .systemLibrary(name: "CFileSync"),

        // Runs blocking C calls on threads of their own, never on NIO or the cooperative pool.
        .target(
            name: "BlockingIO",
            dependencies: [Products.dequeModule, Products.nioPosix],
            swiftSettings: swiftSettings
        ),
        // The library errors' shared parts: one generic code type (each domain's codes are its static
        // members) and one generic error of a code and a message (RedisError, SSHError, JobQueueError).
        .target(name: "ErrorCodes", swiftSettings: swiftSettings),
        .target(
            name: "RedisClient",
            dependencies: ["CHiredis", "BlockingIO", "ErrorCodes", Products.crypto, Products.logging],
            // Swift 6.3's cross-module optimization serializes a body of this module that its
            // importers then fail to read back ("circular reference") in release builds.
            swiftSettings: swiftSettings + [.unsafeFlags(["-disable-cmo"], .when(configuration: .release))]
        ),
        .target(
            name: "PostgresClient",
            dependencies: ["CLibPQ", "BlockingIO", "ErrorCodes", Products.crypto, Products.logging],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SSHClient",
            dependencies: ["CLibSSH2", "BlockingIO", "ErrorCodes", Products.logging, Products.tracing],
            swiftSettings: swiftSettings
        ),
        // A JSON value type with a fast parser, shared by the queues, records and API.
        .target(name: "JSONSupport", swiftSettings: swiftSettings),
        // BullMQ v6 wire-compatible queues, workers and events; no HTTP or domain code.
        .target(
            name: "JobQueue",
            dependencies: ["RedisClient", "JSONSupport", "BlockingIO", "ErrorCodes", Products.logging, Products.serviceLifecycle, Products.tracing],
            swiftSettings: swiftSettings
        ),
        // The stored archive's formats: chunked AES-256-GCM encryption at rest, the tar manifest; no I/O, no services.
        .target(
            name: "ArchiveFormat",
            dependencies: [Products.crypto, Products.compressNIO, Products.nioCore],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL records: schema models, repositories, the credential vault, password hashing.
        .target(
            name: "Records",
            dependencies: ["PostgresClient", "JSONSupport", "BlockingIO", "ErrorCodes", "CLibCrypt", Products.crypto, Products.logging],
            swiftSettings: swiftSettings
        ),
        // The jobs that reach servers: backup, restore, scan and update over SSH.
        .target(
            name: "ServerJobs",
            dependencies: [
                "SSHClient", "Records", "JobQueue", "RedisClient", "BlockingIO", "ErrorCodes", "ArchiveFormat", "CFileSync", Products.crypto, Products.logging, Products.coreMetrics, Products.tracing,
                Products.asyncHTTPClient, Products.nioCore, Products.nioHTTP1,
            ],
            swiftSettings: swiftSettings
        ),
        // Webhooks: the Notifier that queues deliveries, and the worker that signs and sends them.
        .target(
            name: "Notifications",
            dependencies: [
                "Records", "JobQueue", "ServerJobs", "RedisClient", "BlockingIO", "JSONSupport", Products.asyncHTTPClient, Products.nioCore, Products.nioHTTP1, Products.nioPosix, Products.crypto,
                Products.logging,
                Products.coreMetrics,
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HTTPAPI",
            dependencies: [
                "JobQueue", "Records", "ServerJobs", "ArchiveFormat", "BlockingIO", "ErrorCodes", "Notifications", "SSHClient", "RedisClient", "JSONSupport", Products.hummingbird, Products.nioCore,
                Products.logging, Products.jwtKit, Products.hummingbirdCore, Products.nioHTTPTypes, Products.httpTypes, Products.crypto, Products.coreMetrics, Products.prometheus, Products.tracing,
            ],
            resources: [.copy("Resources/openapi.json")],
            swiftSettings: swiftSettings
        ),
        // The web dashboard at `/`: server-rendered pages (mustache) over the API's domain layer, a
        // little JavaScript that calls `/api` with the session cookie; templates and assets ship as resources.
        .target(
            name: "Dashboard",
            dependencies: ["HTTPAPI", "Records", "JobQueue", "RedisClient", "JSONSupport", Products.hummingbird, Products.mustache, Products.httpTypes, Products.crypto, Products.logging],
            resources: [.copy("Resources/templates"), .copy("Resources/assets")],
            swiftSettings: swiftSettings
        ),
        // Wires configuration, clients, migrations and services into one process.
        .target(
            name: "PlatformRuntime",
            dependencies: [
                "RedisClient", "PostgresClient", "SSHClient", "HTTPAPI", "Dashboard", "Records", "JobQueue", "ServerJobs", "Scheduling", "Notifications", "BlockingIO", "ErrorCodes",
                Products.hummingbird,
                Products.logging, Products.serviceLifecycle, Products.nioCore, Products.unixSignals, Products.tracing, Products.otel,
            ],
            swiftSettings: swiftSettings
        ),
        // The command-line client: talks to a running platform over the HTTP API.
        .target(
            name: "APIClient",
            dependencies: ["JSONSupport", "ErrorCodes", Products.asyncHTTPClient, Products.nioCore, Products.nioHTTP1],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "MedicineManCLI",
            dependencies: [
                "PlatformRuntime", "PostgresClient", "Records", "ServerJobs", "APIClient", "JSONSupport", "BlockingIO", "ErrorCodes", Products.logging,
                Products.argumentParser,
            ],
            swiftSettings: swiftSettings
        ),
        // In-memory record stores, dispatcher, lease and connector: the fast test tier's parts.
        .target(
            name: "InMemoryStores",
            dependencies: ["Records", "ServerJobs", "JSONSupport"],
            swiftSettings: swiftSettings
        ),
        // Schedules, the reconciler and storage housekeeping: the platform's background duties.
        .target(
            name: "Scheduling",
            dependencies: ["Records", "ServerJobs", "JobQueue", "JSONSupport", "BlockingIO", "RedisClient", Products.crypto, Products.logging, Products.serviceLifecycle],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "MedicineManBench",
            dependencies: [
                "RedisClient", "PostgresClient", "JobQueue", "JSONSupport", "ServerJobs", "SSHClient", "Records", "BlockingIO", "ErrorCodes", Products.crypto, Products.hummingbird, Products.nioCore,
                Products.nioPosix,
                Products.logging, Products.serviceLifecycle, Products.unixSignals, Products.argumentParser,
            ],
            swiftSettings: swiftSettings
        ),

        // Helpers shared by the test targets (service settings from scripts/test.sh).
        .target(
            name: "TestSupport",
            dependencies: ["PostgresClient", "RedisClient", "BlockingIO", Products.logging],
            swiftSettings: swiftSettings
        ),

        // The fast tier: the job frame, launcher, scheduler, retention and the API's request
        // validation over in-memory stores; no service needed, runs in seconds (`scripts/test.sh --fast`).
        .testTarget(
            name: "FastTests",
            dependencies: [
                "InMemoryStores", "Scheduling", "ServerJobs", "HTTPAPI", "Records", "JobQueue", "JSONSupport", "BlockingIO", "ErrorCodes", "APIClient", "TestSupport",
                Products.logging,
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RedisClientTests",
            dependencies: ["RedisClient", "ErrorCodes", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PostgresClientTests",
            dependencies: ["PostgresClient", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SSHClientTests",
            dependencies: ["SSHClient", "ErrorCodes", "TestSupport", Products.crypto],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JobQueueTests",
            dependencies: ["JobQueue", "ErrorCodes", "JSONSupport", "RedisClient", "BlockingIO", "TestSupport", Products.logging],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArchiveFormatTests",
            dependencies: ["ArchiveFormat", Products.crypto],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RecordsTests",
            dependencies: ["Records", "PostgresClient", "JSONSupport", "TestSupport", Products.logging],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServerJobsTests",
            dependencies: [
                "ServerJobs", "ArchiveFormat", "Scheduling", "SSHClient", "Records", "JobQueue", "RedisClient", "PostgresClient", "ErrorCodes", "TestSupport", "PlatformRuntime", Products.crypto,
                Products.logging,
                Products.coreMetrics, Products.tracing, Products.nioCore,
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlatformRuntimeTests",
            dependencies: [
                "PlatformRuntime", "HTTPAPI", "RedisClient", "PostgresClient", "ErrorCodes", "Records", "JobQueue", "JSONSupport", "ServerJobs", "TestSupport", "BlockingIO", "Scheduling",
                "Notifications",
                "Dashboard", Products.nioCore, Products.hummingbird, Products.hummingbirdTesting, Products.httpTypes, Products.logging, Products.crypto, Products.coreMetrics, Products.tracing,
                Products.inMemoryTracing, Products.asyncHTTPClient, Products.nioHTTP1,
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
