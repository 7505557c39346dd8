// swift-tools-version:6.0
//
// wskdesk: a framebuffer desktop whose every app and plugin is a sandboxed
// WebAssembly actor. Layout and import rules: docs/ and each folder's README.

import PackageDescription

/// A C library found through pkg-config, with the Debian package that provides it.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "wskdesk",
    products: [
        .executable(name: "wskdesk", targets: ["wskdesk"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swiftwasm/WasmKit.git", .upToNextMinor(from: "0.4.2")),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        // Mechanism: capability kernel. Pure Swift, imports nothing of ours.
        .target(
            name: "Kernel",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            exclude: ["README.md"]
        ),
        // Wasm actors on WasmKit: loading, validation, the "env" host ABI.
        .target(
            name: "Interp",
            dependencies: [
                "Kernel",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        // ui_server and output backends (DRM/KMS, headless).
        .target(
            name: "Compositor",
            dependencies: [
                "Kernel", "CDRM", "CPNG", "CShim",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        // libinput + xkbcommon -> input events as IPC messages.
        .target(
            name: "Input",
            dependencies: [
                "Kernel", "CLibInput", "CXKBCommon", "CUDev", "CShim",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        // The executable: CLI, boot, session/VT, kiosk policy.
        .executableTarget(
            name: "wskdesk",
            dependencies: [
                "Kernel", "Interp", "Compositor", "Input", "CSeat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        // Benchmarks: release builds only, each figure next to a same-run baseline.
        .executableTarget(
            name: "wskbench",
            dependencies: [
                "Kernel", "Interp", "Compositor",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // C libraries, one target each (pkg-config name, Debian provider).
        systemLibrary("CDRM", pkgConfig: "libdrm", apt: "libdrm-dev"),
        systemLibrary("CLibInput", pkgConfig: "libinput", apt: "libinput-dev"),
        systemLibrary("CXKBCommon", pkgConfig: "xkbcommon", apt: "libxkbcommon-dev"),
        systemLibrary("CUDev", pkgConfig: "libudev", apt: "libudev-dev"),
        systemLibrary("CSeat", pkgConfig: "libseat", apt: "libseat-dev"),
        systemLibrary("CPNG", pkgConfig: "libpng", apt: "libpng-dev"),
        // What Swift cannot import: libdrm's function-like macros, va_list callbacks.
        .target(name: "CShim", dependencies: ["CDRM", "CLibInput", "CXKBCommon"]),

        .testTarget(
            name: "KernelTests",
            dependencies: ["Kernel"]
        ),
        .testTarget(
            name: "CompositorTests",
            dependencies: [
                "Compositor", "Kernel", "Interp",
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "InterpTests",
            dependencies: [
                "Kernel", "Interp",
                .product(name: "WAT", package: "WasmKit"),
            ]
        ),
    ]
)
