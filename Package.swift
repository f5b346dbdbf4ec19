// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

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
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RedisClient",
            dependencies: [
                "CHiredis", "BlockingIO",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Swift 6.3's cross-module optimization serializes a body of this module that its
            // importers then fail to read back ("circular reference") in release builds.
            swiftSettings: swiftSettings + [.unsafeFlags(["-disable-cmo"], .when(configuration: .release))]
        ),
        .target(
            name: "PostgresClient",
            dependencies: [
                "CLibPQ", "BlockingIO",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SSHClient",
            dependencies: [
                "CLibSSH2", "BlockingIO",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        // A JSON value type with a fast parser, shared by the queues, records and API.
        .target(name: "JSONSupport", swiftSettings: swiftSettings),
        // BullMQ v6 wire-compatible queues, workers and events; no HTTP or domain code.
        .target(
            name: "JobQueue",
            dependencies: [
                "RedisClient", "JSONSupport", "BlockingIO",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        // The stored archive's formats: chunked AES-256-GCM encryption at rest, the tar manifest; no I/O, no services.
        .target(
            name: "ArchiveFormat",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL records: schema models, repositories, the credential vault, password hashing.
        .target(
            name: "Records",
            dependencies: [
                "PostgresClient", "JSONSupport", "BlockingIO", "CLibCrypt",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The jobs that reach servers: backup, restore, scan and update over SSH.
        .target(
            name: "ServerJobs",
            dependencies: [
                "SSHClient", "Records", "JobQueue", "RedisClient", "BlockingIO", "ArchiveFormat", "CFileSync",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Webhooks: the Notifier that queues deliveries, and the worker that signs and sends them.
        .target(
            name: "Notifications",
            dependencies: [
                "Records", "JobQueue", "ServerJobs", "RedisClient", "BlockingIO", "JSONSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HTTPAPI",
            dependencies: [
                "JobQueue", "Records", "ServerJobs", "ArchiveFormat", "BlockingIO", "Notifications", "SSHClient", "RedisClient", "JSONSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            resources: [.copy("Resources/openapi.json")],
            swiftSettings: swiftSettings
        ),
        // The web dashboard at `/`: server-rendered pages (mustache) over the API's domain layer, a
        // little JavaScript that calls `/api` with the session cookie; templates and assets ship as resources.
        .target(
            name: "Dashboard",
            dependencies: [
                "HTTPAPI", "Records", "JobQueue", "RedisClient", "JSONSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/templates"), .copy("Resources/assets")],
            swiftSettings: swiftSettings
        ),
        // Wires configuration, clients, migrations and services into one process.
        .target(
            name: "PlatformRuntime",
            dependencies: [
                "RedisClient", "PostgresClient", "SSHClient", "HTTPAPI", "Dashboard", "Records", "JobQueue", "ServerJobs", "Scheduling", "Notifications",
                "BlockingIO",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command-line client: talks to a running platform over the HTTP API.
        .target(
            name: "APIClient",
            dependencies: [
                "JSONSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "MedicineManCLI",
            dependencies: [
                "PlatformRuntime", "PostgresClient", "Records", "ServerJobs", "APIClient", "JSONSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
            dependencies: [
                "Records", "ServerJobs", "JobQueue", "JSONSupport", "BlockingIO", "RedisClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "MedicineManBench",
            dependencies: [
                "RedisClient", "JobQueue", "JSONSupport", "ServerJobs", "SSHClient", "Records", "BlockingIO",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // Helpers shared by the test targets (service settings from scripts/test.sh).
        .target(
            name: "TestSupport",
            dependencies: ["PostgresClient", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),

        // The fast tier: the job frame, launcher, scheduler, retention and the API's request
        // validation over in-memory stores; no service needed, runs in seconds (`scripts/test.sh --fast`).
        .testTarget(
            name: "FastTests",
            dependencies: [
                "InMemoryStores", "Scheduling", "ServerJobs", "HTTPAPI", "Records", "JobQueue", "JSONSupport", "BlockingIO", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RedisClientTests",
            dependencies: ["RedisClient", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PostgresClientTests",
            dependencies: ["PostgresClient", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SSHClientTests",
            dependencies: ["SSHClient", "TestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JobQueueTests",
            dependencies: ["JobQueue", "JSONSupport", "RedisClient", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ArchiveFormatTests",
            dependencies: ["ArchiveFormat", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RecordsTests",
            dependencies: ["Records", "PostgresClient", "JSONSupport", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServerJobsTests",
            dependencies: [
                "ServerJobs", "ArchiveFormat", "Scheduling", "SSHClient", "Records", "JobQueue", "RedisClient", "PostgresClient", "TestSupport",
                "PlatformRuntime",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlatformRuntimeTests",
            dependencies: [
                "PlatformRuntime", "HTTPAPI", "RedisClient", "PostgresClient", "Records", "JobQueue", "JSONSupport", "ServerJobs", "TestSupport",
                "BlockingIO", "Scheduling", "Notifications", "Dashboard",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
