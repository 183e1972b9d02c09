// swift-tools-version: 6.0
import PackageDescription

// Every Swift target gets the same strictness (the swift-log pattern).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "emdiag",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "emdiag", targets: ["emdiag"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        // SHA-256 for the manifest and HMAC-SHA256 for redaction fingerprints:
        // Foundation on Linux has no CryptoKit.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
    ],
    targets: [
        // C, at one edge: two system libraries, each a modulemap and a shim.h of typed inline wrappers.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),

        // The pure core: kubeconfig, Kubernetes client over a transport protocol, bundle model,
        // playbooks, analysis, redaction, reports, the API router used by `serve`. No C shims.
        .target(
            name: "EMDiagCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The only target that imports C: libcurl transport and libarchive tar.gz reader/writer.
        .target(
            name: "EMDiagSystem",
            dependencies: ["EMDiagCore", "CCurl", "CArchive", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // `emdiag serve`: the read-only Kubernetes API on SwiftNIO, over the core's router.
        .target(
            name: "EMDiagServe",
            dependencies: [
                "EMDiagCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Thin executable: parses arguments, wires the parts, maps errors to exit codes.
        .executableTarget(
            name: "emdiag",
            dependencies: [
                "EMDiagCore", "EMDiagSystem", "EMDiagServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Redaction throughput benchmark (scripts/bench-redact); not shipped.
        .executableTarget(
            name: "BenchRedact",
            dependencies: ["EMDiagCore"],
            swiftSettings: swiftSettings
        ),
        // Test doubles shared by the test targets: loopback HTTP(S) servers, throwaway CAs, temp folders.
        .target(
            name: "EMDiagTestSupport",
            dependencies: [
                "EMDiagCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EMDiagCoreTests",
            dependencies: ["EMDiagCore", "EMDiagTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EMDiagSystemTests",
            dependencies: ["EMDiagCore", "EMDiagSystem", "EMDiagTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EMDiagServeTests",
            dependencies: ["EMDiagCore", "EMDiagServe", "EMDiagSystem", "EMDiagTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EMDiagEndToEndTests",
            dependencies: ["EMDiagCore", "EMDiagSystem", "EMDiagServe", "EMDiagTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
