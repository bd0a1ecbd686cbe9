// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "capstan",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "capstan", targets: ["capstan"]),
        // For the fuzz targets of Fuzz/Package.swift, built apart with `-sanitize=fuzzer,address`.
        .library(name: "CapstanCore", targets: ["CapstanCore"]),
        .library(name: "CapstanGateway", targets: ["CapstanGateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        // Already in the graph through hummingbird; named for the MCP header names the gateway defines.
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
    ],
    targets: [
        // C libraries from Debian, each behind a module map and a small shim header.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Pure core: manifest model, YAML loading with positions, validation, plan.
        .target(
            name: "CapstanCore",
            dependencies: ["CYAML", .product(name: "Crypto", package: "swift-crypto")],
            linkerSettings: [.linkedLibrary("m")]
        ),
        // libgit2: a commit's tree read in memory, build contexts exported from it.
        .target(name: "CapstanGit", dependencies: ["CGit2", "CapstanCore"]),
        // The Docker Engine API over its unix socket, on libcurl.
        .target(name: "CapstanDocker", dependencies: ["CCurl"]),
        // The append-only, hash-chained audit store (SQLite through GRDB).
        .target(
            name: "CapstanAudit",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")]
        ),

        // Observe → plan → apply, against the engine, the repository and the audit store.
        .target(
            name: "CapstanReconciler",
            dependencies: [
                "CapstanCore", "CapstanGit", "CapstanDocker", "CapstanAudit",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // The controller's HTTP API: health, status, metrics, webhooks, manual sync, the dashboard.
        .target(
            name: "CapstanServer",
            dependencies: [
                "CapstanCore", "CapstanReconciler", "CapstanAudit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // The MCP gateway: client sessions, policies, backends over Docker attach or loopback HTTP,
        // the route table and its admin API, tool calls into the audit store.
        .target(
            name: "CapstanGateway",
            dependencies: [
                "CapstanCore", "CapstanDocker", "CapstanAudit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        .executableTarget(
            name: "capstan",
            dependencies: [
                "CapstanCore", "CapstanReconciler", "CapstanAudit", "CapstanDocker", "CapstanGit", "CapstanServer", "CapstanGateway",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks are an executable, not timed tests: `make bench`.
        .executableTarget(name: "capstan-bench", dependencies: ["CapstanCore", "CapstanDocker", "CapstanGateway", "CapstanAudit", .product(name: "Hummingbird", package: "hummingbird")]),

        .testTarget(name: "CapstanCoreTests", dependencies: ["CapstanCore"]),
        .testTarget(name: "CapstanGitTests", dependencies: ["CapstanGit"]),
        .testTarget(name: "CapstanDockerTests", dependencies: ["CapstanDocker"]),
        .testTarget(name: "CapstanAuditTests", dependencies: ["CapstanAudit"]),
        .testTarget(name: "CapstanReconcilerTests", dependencies: ["CapstanReconciler"]),
        .testTarget(
            name: "CapstanGatewayTests",
            dependencies: ["CapstanGateway", .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
        .testTarget(
            name: "CapstanServerTests",
            dependencies: ["CapstanServer", .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
    ]
)
