// swift-tools-version: 6.1
import PackageDescription

/// Swift 6.3.1's LLVM dead-store elimination drops stores to an async function's indirect result
/// when they are overwritten on some paths only (every exit of a not-yet-split async function ends
/// in `unreachable`, which DSE does not count as an exit): a reply's default field kept the previous
/// call's freed string and the server crashed. Reproducer: `reproducers/async-indirect-result-dse`,
/// run by `scripts/check-toolchain` (from `scripts/test`), which also says when a toolchain no
/// longer needs this. The limit 0 stops DSE from looking for overwriting stores at all.
let deadStoreEliminationWorkaround: SwiftSetting = .unsafeFlags(
    [
        "-Xllvm", "-dse-memoryssa-scanlimit=0",
        // The frontend skips code generation when a module's IR is unchanged, and -Xllvm options
        // are not part of that check: without this, objects built before the flag keep the bug.
        "-Xfrontend", "-disable-incremental-llvm-codegen",
    ],
    .when(configuration: .release)
)

/// Settings shared by every target: strict about existentials and about importing what is used.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    deadStoreEliminationWorkaround,
]

let package = Package(
    name: "mailgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mailgate", targets: ["mailgate"]),
        .library(name: "MailgateClient", targets: ["MailgateClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // The server sheet's .xlsx export and import (Office Open XML is a zip archive).
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.19"),
        // `mailgate server put --file` reads YAML as well as JSON.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        // The console: HTTP server and server-rendered pages. No default traits: the console
        // needs neither swift-configuration nor full Foundation in Hummingbird.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.5.0"),
        // Traces exported over OTLP/HTTP when the OTEL_* variables ask for it; only the HTTP
        // exporter (no gRPC stack). Metrics stay Prometheus.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .target(
            name: "MailgateProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MailgateCore",
            dependencies: ["CIDN2", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // Domain names: UTS #46 processing (IDNA2008) by libidn2, which libcurl links anyway.
        .systemLibrary(
            name: "CIDN2",
            pkgConfig: "libidn2",
            providers: [.apt(["libidn2-dev"])]
        ),
        .target(
            name: "MailgateSheets",
            dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: strictSettings
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "MailgateMail",
            dependencies: [
                "CCurl",
                "MailgateCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MailgateRPC",
            dependencies: [
                "MailgateProto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MailgateStore",
            dependencies: [
                "MailgateCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // TLS settings for sslmode (verify-ca, verify-full, sslrootcert).
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // The pool's error type, so an unreachable database is recognised by type.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MailgateService",
            dependencies: [
                "MailgateCore",
                "MailgateMail",
                "MailgateProto",
                "MailgateRPC",
                "MailgateStore",
                "MailgateSheets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MailgateConsole",
            dependencies: [
                "MailgateCore",
                "MailgateProto",
                "MailgateRPC",
                "MailgateService",
                "MailgateStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MailgateClient",
            dependencies: [
                "MailgateProto",
                "MailgateRPC",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "mailgate",
            dependencies: [
                "MailgateClient",
                "MailgateConsole",
                "MailgateCore",
                "MailgateProto",
                "MailgateRPC",
                "MailgateService",
                "MailgateSheets",
                "MailgateStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MailgateTestSupport",
            dependencies: [
                "MailgateStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            path: "Tests/MailgateTestSupport",
            exclude: [
                "smtp_server.py", "token_server.py", "scripted_smtp.py", "pg_plaintext_proxy.py", "webhook_receiver.py",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailgateSheetsTests",
            dependencies: ["MailgateSheets", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailgateCoreTests",
            dependencies: ["MailgateCore", "MailgateTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailgateRPCTests",
            dependencies: [
                "MailgateRPC",
                "MailgateTestSupport",
                "MailgateProto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailgateMailTests",
            dependencies: [
                "MailgateMail",
                "MailgateCore",
                "MailgateTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailgateStoreTests",
            dependencies: [
                "MailgateTestSupport",
                "MailgateStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailgateConsoleTests",
            dependencies: [
                "MailgateConsole", "MailgateProto", "MailgateRPC",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailgateServiceTests",
            dependencies: ["MailgateService", "MailgateStore", "MailgateMail", "MailgateCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailgateIntegrationTests",
            dependencies: [
                "MailgateTestSupport",
                "MailgateClient",
                "MailgateConsole",
                "MailgateService",
                "MailgateRPC",
                "MailgateProto",
                "MailgateStore",
                "MailgateCore",
                "MailgateSheets",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
