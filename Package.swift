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
            exclude: ["README.md"],
            // All kernel state is touched by one thread at a time (the kernel
            // lock), so the dynamic exclusivity checks on its class properties
            // can only catch a bug in single-threaded code, which debug builds
            // (all the tests) still check; in release they were a fifth of a
            // message's cost.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // The payload codec every message layout is read and written with. Imports nothing.
        .target(name: "Wire", exclude: ["README.md"]),
        // Wasm actors: loading, validation, the "env" host ABI; the WasmKit
        // interpreter and the compiled tier (wasm2c + the system C compiler).
        .target(
            name: "Interp",
            dependencies: [
                "Kernel", "CWasmRT", "CSubprocess",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmParser", package: "WasmKit"),
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        // A thread of its own for a loop that blocks, started, woken, stopped.
        .target(name: "Threads", exclude: ["README.md"]),
        // ui_server and output backends (DRM/KMS, headless).
        .target(
            name: "Compositor",
            dependencies: [
                "Kernel", "Threads", "Wire", "CDRM", "CUDev", "CPNG", "CPixelStream",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        // libinput + xkbcommon -> input events as IPC messages.
        .target(
            name: "Input",
            dependencies: [
                "Kernel", "Threads", "Wire", "CLibInput", "CXKBCommon", "CUDev", "CLogSinks",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        // The Swift side of the apps' plugin protocols and boot configuration,
        // and native reference filters and fractals (tests, benchmarks).
        .target(
            name: "AppProtocols",
            dependencies: ["Kernel", "Wire"],
            exclude: ["README.md"]
        ),
        // The executable: CLI, boot, session/VT, kiosk policy.
        .executableTarget(
            name: "wskdesk",
            dependencies: [
                "Kernel", "Interp", "Compositor", "Input", "Threads", "CSeat", "CLogSinks", "CVT",
                "AppProtocols",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        // Benchmarks: release builds only, each figure next to a same-run baseline.
        .executableTarget(
            name: "wskbench",
            dependencies: [
                "Kernel", "Interp", "Compositor", "Input",
                "AppProtocols", "Wire",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The compiled tier's fuzzer (issue #13): scripts/fuzz builds it with
        // -sanitize=fuzzer; built plainly, it replays inputs.
        .executableTarget(
            name: "wskfuzz",
            dependencies: ["Interp"],
            exclude: ["README.md"]
        ),

        // C libraries, one target each (pkg-config name, Debian provider).
        systemLibrary("CDRM", pkgConfig: "libdrm", apt: "libdrm-dev"),
        systemLibrary("CLibInput", pkgConfig: "libinput", apt: "libinput-dev"),
        systemLibrary("CXKBCommon", pkgConfig: "xkbcommon", apt: "libxkbcommon-dev"),
        systemLibrary("CUDev", pkgConfig: "libudev", apt: "libudev-dev"),
        systemLibrary("CSeat", pkgConfig: "libseat", apt: "libseat-dev"),
        systemLibrary("CPNG", pkgConfig: "libpng", apt: "libpng-dev"),
        // What Swift cannot call, one concern each: the compositor's SSE2
        // streaming stores (linking no input or seat library), the va_list
        // log callbacks of libinput, xkbcommon and libseat, the VT ioctls.
        .target(name: "CPixelStream"),
        .target(name: "CLogSinks", dependencies: ["CLibInput", "CXKBCommon", "CSeat"]),
        .target(name: "CVT"),
        // The runtime of compiled Wasm actors (wasm-rt.h for wasm2c's output);
        // module/ is compiled into each actor's shared object, not into wskdesk.
        .target(name: "CWasmRT", exclude: ["module", "README.md"]),
        // fork/exec of the compiled tier's tools with limits, in C: only
        // async-signal-safe calls may run between the two.
        .target(name: "CSubprocess", exclude: ["README.md"]),

        // What several test targets share: the repository's files, constants read from sources.
        .target(
            name: "TestSupport", dependencies: [.product(name: "Logging", package: "swift-log")], path: "Tests/TestSupport"),
        .testTarget(name: "ThreadsTests", dependencies: ["Threads"]),
        .testTarget(name: "WireTests", dependencies: ["Wire"]),
        .testTarget(
            name: "KernelTests",
            dependencies: ["Kernel", "TestSupport"]
        ),
        .testTarget(
            name: "CompositorTests",
            dependencies: [
                "Compositor", "Kernel", "Interp", "Input", "Wire", "TestSupport",
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "InputTests",
            dependencies: [
                "Input", "Kernel", "Compositor", "Wire", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "InterpTests",
            dependencies: [
                "Kernel", "Interp", "TestSupport",
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "WasmParser", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // paint, fractal and the plugins (built Rust actors) against Swift references.
        .testTarget(
            name: "AppTests",
            dependencies: [
                "AppProtocols", "Kernel", "Interp", "Compositor", "Wire", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The fuzzer's harness and oracle, on the seed corpus (Tests/fuzz).
        .testTarget(
            name: "FuzzTests",
            dependencies: [
                "wskfuzz", "Interp", "TestSupport",
                .product(name: "WAT", package: "WasmKit"),
            ]
        ),
        // Runs the built wskdesk executable as a user would.
        .testTarget(
            name: "WskdeskTests",
            dependencies: [
                "wskdesk", "Kernel", "Interp", "Compositor", "TestSupport", "Wire", "CPNG",
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
