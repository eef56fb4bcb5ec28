// swift-tools-version: 6.1
import PackageDescription

// Reproduces the Swift 6.3.1 miscompile that Mailgate's release build works around
// (Package.swift, `dseWorkaround`). `scripts/check-toolchain` builds it optimised twice: with the
// workaround it must print `ok`; without it, it tells whether this toolchain still needs it.
let package = Package(
    name: "AsyncIndirectResultDSE",
    targets: [
        .executableTarget(
            name: "AsyncIndirectResultDSE",
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
