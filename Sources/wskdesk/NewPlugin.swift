import AppProtocols
import ArgumentParser
import Foundation

/// `wskdesk new-plugin NAME [DIR]`: a filter plugin crate outside the source
/// tree, ready for `wskdesk build-plugin`: the template filter (brightness,
/// one parameter), the SDK by path, a release profile that keeps the .wasm
/// small, and nothing that needs a crate registry.
struct NewPlugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-plugin",
        abstract: "Create a filter plugin crate (Rust) to build with build-plugin.",
        discussion: """
            The crate builds with Debian's Rust 1.63 and with current rustup toolchains (edition 2021, \
            rust-version 1.63), offline: it depends only on the wsk SDK, by path — the SDK of the source tree \
            this wskdesk was built in, or the one installed with it (PREFIX/share/wskdesk/sdk), or $WSKDESK_SDK. \
            Its src/lib.rs is a working filter (brightness, one parameter) to change. Then: \
            wskdesk build-plugin DIR, wskdesk try, and wskdesk build-plugin --install DIR.
            """
    )

    @Argument(help: "The plugin's name: its crate and module name (letters, digits, _ and -, starting with a letter).")
    var name: String

    @Argument(help: "The folder to create (default: ./NAME); it must not exist or be empty.")
    var folder: String?

    mutating func run() throws {
        do {
            try create()
        } catch let error as PluginToolError {
            print("wskdesk new-plugin: \(error)")
            throw ExitCode(1)
        }
    }

    private func create() throws {
        if let problem = Self.problem(withName: name) { throw PluginToolError(problem) }
        let sdk = try PluginAuthoring.sdkFolder().get()
        let folder = self.folder ?? name
        let files = FileManager.default
        var isFolder: ObjCBool = false
        if files.fileExists(atPath: folder, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw PluginToolError("\(folder) is a file, not a folder") }
            guard (try? files.contentsOfDirectory(atPath: folder))?.isEmpty == true else {
                throw PluginToolError("\(folder) is not empty: give a new or empty folder")
            }
        }
        do {
            try files.createDirectory(atPath: folder + "/src", withIntermediateDirectories: true)
            try Self.manifest(name: name, sdk: sdk).write(toFile: folder + "/Cargo.toml", atomically: true, encoding: .utf8)
            try Self.source(name: name).write(toFile: folder + "/src/lib.rs", atomically: true, encoding: .utf8)
            try "/target\n/Cargo.lock\n".write(toFile: folder + "/.gitignore", atomically: true, encoding: .utf8)
        } catch {
            throw PluginToolError("cannot write the crate into \(folder): \(error.localizedDescription)")
        }
        print("""
            created the filter plugin \(name) in \(folder) (the SDK: \(sdk))
            build it:   wskdesk build-plugin \(folder)
            try it:     wskdesk try \(folder)/target/\(PluginAuthoring.target)/release/\(Self.moduleName(name)).wasm IN.png OUT.png
            install it: wskdesk build-plugin --install \(folder)
            """)
    }

    /// The .wasm's name: cargo spells the crate's `-` as `_`.
    static func moduleName(_ crate: String) -> String {
        crate.replacingOccurrences(of: "-", with: "_")
    }

    /// Why `name` cannot be both a crate's name (cargo's rules) and a module
    /// name the spawner accepts (letters, digits, `_`, `-`, at most 64
    /// bytes); nil when it can.
    static func problem(withName name: String) -> String? {
        let bytes = Array(name.utf8)
        func isLetter(_ b: UInt8) -> Bool { (0x41...0x5a).contains(b) || (0x61...0x7a).contains(b) }
        func isDigit(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) }
        guard let first = bytes.first else { return "a plugin's name cannot be empty" }
        guard bytes.count <= 64 else { return "\"\(name)\" is longer than 64 bytes, the longest module name" }
        guard bytes.allSatisfy({ isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }) else {
            return "\"\(escaped(name))\" is not a plugin name: use only letters, digits, _ and - (e.g. my-filter)"
        }
        guard isLetter(first) else { return "\"\(name)\" is not a plugin name: start it with a letter (a crate name cannot start with \(Character(UnicodeScalar(first))))" }
        let rustName = moduleName(name)
        if rustKeywords.contains(rustName) { return "\"\(name)\" is a Rust keyword, which cannot be a crate's name: choose another" }
        if reservedCrates.contains(rustName) {
            return "\"\(name)\" is the name of a crate every plugin uses (\(reservedCrates.sorted().joined(separator: ", "))): choose another"
        }
        return nil
    }

    static let rustKeywords: Set<String> = [
        "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in",
        "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
        "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box",
        "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
    ]
    /// Names cargo refuses (the standard crates) or that would clash with the SDK's.
    static let reservedCrates: Set<String> = ["std", "core", "alloc", "test", "proc_macro", "wsk", "wsk_sdk"]

    /// Who is writing the plugin, as far as the machine knows: the login
    /// name, when it is plain enough to sit in a Rust string as it is.
    static var author: String {
        let login = ProcessInfo.processInfo.environment["USER"] ?? ""
        let plain = !login.isEmpty && login.utf8.count <= 64
            && login.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        return plain ? login : "you"
    }

    static func manifest(name: String, sdk: String) -> String {
        """
        # A wskdesk filter plugin. Build it with `wskdesk build-plugin` (or
        # `cargo build --release --target \(PluginAuthoring.target)`); the plugin
        # is target/\(PluginAuthoring.target)/release/\(moduleName(name)).wasm.
        # It builds with Rust 1.63 (Debian's) and current releases alike: keep
        # to Rust 1.63's features.
        [package]
        name = "\(name)"
        version = "0.1.0"
        edition = "2021"
        rust-version = "1.63"
        publish = false

        [lib]
        crate-type = ["cdylib"]
        path = "src/lib.rs"

        [dependencies]
        # The wsk SDK, by path: no crate registry needed. `alloc` brings an
        # allocator (Vec and friends).
        wsk-sdk = { path = "\(sdk)", features = ["alloc"] }

        # Small and fast: without this a plugin is megabytes instead of tens of kilobytes.
        [profile.release]
        opt-level = 3
        lto = true
        codegen-units = 1
        panic = "abort"
        debug = false
        strip = "debuginfo"

        [profile.dev]
        panic = "abort"

        """
    }

    static func source(name: String, author: String = Self.author) -> String {
        """
        //! \(name): a wskdesk filter plugin (see /usr/share/doc/wskdesk/plugins.md
        //! or docs/plugins.md).
        //!
        //! For now it is the template's filter: it adds `amount` to each channel,
        //! keeping the result in 0..=255. `filter_plugin!` does the rest: it
        //! answers paint's DESCRIBE with the name and parameters below, and for
        //! APPLY reads the image into `image`, calls `filter`, and writes the
        //! image back.
        #![no_std]

        use wsk::filter::{channels, rgb, Image, Params};

        wsk::filter_plugin!(
            filter,
            name: "\(name)",
            // Shown by paint's parameters dialog and `wskdesk try`.
            version: env!("CARGO_PKG_VERSION"),
            author: "\(author)",
            description: "Adds an amount to each channel",
            // name, min, max, default: paint asks for the values, within these bounds.
            params: [wsk::filter::Param::new("amount", -255, 255, 40)],
        );

        fn filter(image: &mut Image, params: &Params) {
            let amount = params.named("amount");
            let shift = |c: u32| (c as i32 + amount).clamp(0, 255) as u32;
            // A tight loop over the plugin's own memory: no host call per pixel.
            image.map(|pixel| {
                let (r, g, b) = channels(pixel);
                rgb(shift(r), shift(g), shift(b))
            });
        }

        // Host unit tests: `cargo test` (no Wasm needed).
        #[cfg(test)]
        mod tests {
            use super::*;
            use wsk::filter::Param;

            #[test]
            fn brightens_and_clamps() {
                static PARAMS: [Param; 1] = [Param::new("amount", -255, 255, 40)];
                let mut image = Image::from_pixels(2, 1, [0x0010_2030, 0x00f0_fff0].to_vec()).unwrap();
                filter(&mut image, &Params::resolve(&PARAMS, &[]));
                assert_eq!(image.pixels(), &[0x0038_4858, 0x00ff_ffff]);
            }
        }

        """
    }
}
