import Compositor
import Dispatch
import Interp
import Kernel
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A failure of the environment, said so that a user can act on it.
struct DesktopError: Error, CustomStringConvertible {
    let description: String
}

/// Boots the kernel and the desktop's actors on the chosen backend.
struct Desktop {
    let options: WskDesk
    let logger: Logger

    init(options: WskDesk, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    func run() throws(DesktopError) {
        let backend = try chooseBackend()
        guard backend == .headless else {
            throw DesktopError(description: "the DRM/KMS backend is not built yet; run with --backend headless")
        }
        let actorsDir = try actorDirectory()
        let kernel = Kernel(logger: logger)
        let host = WasmActorHost(kernel: kernel)
        let framebuffer = Framebuffer(width: options.size.width, height: options.size.height)

        let module: CheckedModule
        do {
            module = try host.load(path: actorsDir + "/hello.wasm")
        } catch {
            throw DesktopError(description: "\(error.description) (build the actors with scripts/build-actors)")
        }
        let actor: ActorID
        do {
            actor = try host.spawn(module) { actor in _ = try kernel.grant(framebuffer, to: actor) }
        } catch {
            throw DesktopError(description: "cannot start \(module.source): \(error)")
        }
        logger.info("headless output \(framebuffer.width)x\(framebuffer.height); started \(module.name)")

        usleep(UInt32(max(0, min(options.screenshotDelay, 3600)) * 1_000_000))
        host.wait(for: actor, timeout: .seconds(5))
        let path = options.screenshot ?? "wskdesk-screenshot.png"
        do {
            try PNGWriter.write(
                framebuffer.pixels, width: framebuffer.width, height: framebuffer.height,
                stride: framebuffer.width * 4, to: path)
        } catch {
            throw DesktopError(description: error.description)
        }
        _ = host.shutdown()
        print("wskdesk: screenshot written to \(path)")
    }

    private func chooseBackend() throws(DesktopError) -> BackendChoice {
        switch options.backend {
        case .headless: return .headless
        case .drm: return .drm
        case .auto:
            if access("/dev/dri", F_OK) == 0 {
                logger.notice("/dev/dri exists, but the DRM backend is not built yet: using headless")
            } else {
                logger.info("no /dev/dri: using the headless backend")
            }
            return .headless
        }
    }

    /// --actors, $WSKDESK_ACTORS, or build/actors of the source tree the binary was built in.
    private func actorDirectory() throws(DesktopError) -> String {
        if let dir = options.actors { return dir }
        if let env = getenv("WSKDESK_ACTORS") { return String(cString: env) }
        var candidates: [String] = []
        if let exe = executablePath() {
            // <tree>/.build/<config>/wskdesk -> <tree>/build/actors
            var parts = exe.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count > 3 {
                parts.removeLast(3)
                candidates.append(parts.joined(separator: "/") + "/build/actors")
            }
        }
        candidates.append("build/actors")
        for dir in candidates where access(dir + "/hello.wasm", R_OK) == 0 { return dir }
        throw DesktopError(description: "no actors found in \(candidates.joined(separator: " or ")): build them with scripts/build-actors, or pass --actors DIR")
    }

    private func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
