// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "capstan",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "capstan", targets: ["capstan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // C libraries from Debian, each behind a module map and a small shim header.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),

        // Pure core: manifest model, YAML loading with positions, validation.
        .target(name: "CapstanCore", dependencies: ["CYAML"], linkerSettings: [.linkedLibrary("m")]),

        .executableTarget(
            name: "capstan",
            dependencies: [
                "CapstanCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks are an executable, not timed tests: `make bench`.
        .executableTarget(name: "capstan-bench", dependencies: ["CapstanCore"]),

        .testTarget(name: "CapstanCoreTests", dependencies: ["CapstanCore"]),
    ]
)
