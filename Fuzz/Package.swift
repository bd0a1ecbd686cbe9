// swift-tools-version:6.0
import Foundation
import PackageDescription

// libFuzzer targets, built apart from the main package with `-sanitize=fuzzer,address` by
// scripts/fuzz.sh. Each executable's LLVMFuzzerTestOneInput is run by libFuzzer's driver.
// The gateway targets reach internal parsers with `@testable import`, which a debug build allows.

// A path dependency is known by its directory's name, which is whatever the clone was called.
let main = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent.lowercased()
let driver: Target.Dependency = "FuzzerDriver"
let core: Target.Dependency = .product(name: "CapstanCore", package: main)
let gateway: Target.Dependency = .product(name: "CapstanGateway", package: main)

let package = Package(
    name: "capstan-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // The same exact version as the main package's, for the HTTPFields the header checks take.
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
    ],
    targets: [
        // libFuzzer's driver, called from each target's main.swift.
        .target(name: "FuzzerDriver"),
        .executableTarget(name: "manifest", dependencies: [driver, core]),
        .executableTarget(name: "jsonrpc", dependencies: [driver, gateway]),
        .executableTarget(name: "mcp-headers", dependencies: [driver, gateway, .product(name: "HTTPTypes", package: "swift-http-types")]),
        .executableTarget(name: "backend-http", dependencies: [driver, gateway]),
        .executableTarget(name: "sse", dependencies: [driver, gateway]),
    ]
)
