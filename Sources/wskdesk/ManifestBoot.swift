import AppProtocols
import Compositor
import Foundation
import Interp
import Kernel
import Logging

/// Starts the actors of a manifest (a file, the default desktop, or the
/// `--app` list): every actor is loaded and created first,
/// then each gets its grants in order (an `endpoint:NAME` is declared by an
/// actor above those that `send:NAME` to it), then all are started.
struct ManifestBoot {
    let kernel: Kernel
    let host: WasmActorHost
    let server: UIServer
    let actorsDir: String
    /// The folders of the `plugins` grant's spawner.
    let pluginFolders: [String]
    let logger: Logger

    private var grants: ManifestGrants {
        ManifestGrants(kernel: kernel, server: server, actorsDir: actorsDir, pluginFolders: pluginFolders)
    }

    func start(_ manifest: Manifest, file: String) throws(DesktopError) {
        /// Where an actor was named, for messages.
        func origin(_ actor: Manifest.Actor) -> String {
            "\(file)\(actor.line > 0 ? " line \(actor.line)" : ""): actor \"\(actor.name)\""
        }
        let desktop = kernel.createActor(name: "wskdesk")
        var prepared: [(Manifest.Actor, ActorID, any PreparedActor)] = []
        for actor in manifest.actors {
            let path = actor.module.hasSuffix(".wasm") ? actor.module : actorsDir + "/" + actor.module + ".wasm"
            let instance: any PreparedActor
            do {
                let module = try host.load(path: path, name: actor.name)
                instance = try host.prepare(module, program: actor.program)
            } catch {
                throw DesktopError(description: "\(origin(actor)): \(error.description) (build the actors with scripts/build-actors)")
            }
            do throws(ActorRefusal) {
                prepared.append((actor, try kernel.admitActor(name: actor.name, account: instance.account), instance))
            } catch {
                throw DesktopError(description: "\(origin(actor)): not started: \(error.reason)")
            }
        }
        var endpoints = ManifestGrants.Endpoints()
        for (actor, id, _) in prepared {
            do throws(GrantFailure) {
                try grants.apply(actor, to: id, endpoints: &endpoints, from: desktop)
            } catch {
                throw DesktopError(description: "\(origin(actor)): \(error)")
            }
        }
        // All start at once; their windows still take the manifest's order.
        server.arrangeInBootOrder(prepared.filter { $0.0.grants.contains(.ui) }.map(\.1))
        for (actor, id, ready) in prepared {
            do throws(SpawnFailure) {
                try ready.start(in: kernel, as: id)
            } catch {
                throw DesktopError(description: "\(origin(actor)): \(error.reason)")
            }
            logger.info("started \(actor.name)")
        }
        kernel.terminate(desktop, reason: .exited(code: 0))
    }
}

extension Manifest.Actor {
    /// Its `args` and `env`, as a WASI program finds them.
    /// A `folder:` grant's cap sits at its place in the grant order
    /// (handles 1, 2, ...) and is the program's preopen of that path.
    var program: ProgramArguments {
        let preopens = grants.enumerated().compactMap { (index, grant) -> Preopen? in
            guard case .folder(let path, _) = grant else { return nil }
            return Preopen(name: path, handle: Int64(index + 1))
        }
        return ProgramArguments(arguments: arguments, environment: environment, preopens: preopens)
    }
}

/// A grant that could not be given: which, and why.
struct GrantFailure: Error, CustomStringConvertible {
    let description: String

    init(grant: Manifest.Grant, error: SysError) {
        description = "grant \(grant): \(error)"
    }

    init(file: UserFile.Failure) {
        description = file.description
    }

    init(description: String) {
        self.description = description
    }
}

/// Gives an actor the caps its manifest entry grants, in order (handle 1,
/// 2, ...): the desktop's boot gives them to every actor it starts, the
/// kiosk to its app at each start, so an app has the same caps in both.
struct ManifestGrants {
    let kernel: Kernel
    let server: UIServer
    let actorsDir: String
    /// The folders of the `plugins` grant's spawner, in order
    /// (`PluginFolders.existing`).
    let pluginFolders: [String]

    /// Without `pluginFolders`, the `plugins` grant is the built-in folder alone.
    init(kernel: Kernel, server: UIServer, actorsDir: String, pluginFolders: [String]? = nil) {
        self.kernel = kernel
        self.server = server
        self.actorsDir = actorsDir
        self.pluginFolders = pluginFolders ?? [actorsDir + "/plugins"]
    }

    /// The endpoints declared so far with `endpoint:NAME`, for `send:NAME`.
    typealias Endpoints = [String: (owner: ActorID, handle: Handle)]

    /// Grants `actor`'s caps to `id` (created, not yet started); the boot
    /// configuration comes from `desktop`.
    func apply(_ actor: Manifest.Actor, to id: ActorID, endpoints: inout Endpoints, from desktop: ActorID)
        throws(GrantFailure)
    {
        // The config endpoint's sending side, kept for a file to hand over.
        var configSender: Handle?
        defer { if let configSender { try? kernel.release(desktop, configSender) } }
        for grant in actor.grants {
            if case .folder(let path, let writable) = grant {
                try grantFolder(path, writable: writable, to: id)
                continue
            }
            do throws(SysError) {
                if let sender = try applyCap(grant, of: actor, to: id, endpoints: &endpoints, desktop: desktop) {
                    configSender = sender
                }
            } catch {
                throw GrantFailure(grant: grant, error: error)
            }
        }
        // After every grant: the file's handle comes after theirs.
        if let path = actor.open {
            guard let configSender else {
                throw GrantFailure(description: "\(actor.name) is given a file to open but has no `config` grant to be told of it")
            }
            try handOver(path, to: id, of: actor, via: configSender, from: desktop)
        }
    }

    /// Grants the caps of an actor started alone (the kiosk's app): there
    /// are no other actors' endpoints to send to, and its boot configuration
    /// comes from a sender that lives only for the grant.
    func apply(_ actor: Manifest.Actor, to id: ActorID) throws(GrantFailure) {
        let sender = kernel.createActor(name: "wskdesk")
        defer { kernel.terminate(sender, reason: .exited(code: 0)) }
        var endpoints = Endpoints()
        try apply(actor, to: id, endpoints: &endpoints, from: sender)
    }

    /// Grants one cap; for `config`, returns the desktop's cap to send on
    /// the app's config endpoint (the caller releases it).
    private func applyCap(
        _ grant: Manifest.Grant, of actor: Manifest.Actor, to id: ActorID,
        endpoints: inout Endpoints, desktop: ActorID
    ) throws(SysError) -> Handle? {
        switch grant {
        case .ui:
            _ = try server.connect(app: id)
        case .framebuffer:
            throw .wrongType  // ui_server owns the screen; see --ui-server
        case .spawner(let dir):
            _ = try kernel.grantSpawner(directory: resolve(dir), rights: [.spawn], to: id)
        case .plugins:
            _ = try kernel.grantSpawner(folders: pluginFolders, rights: [.spawn], to: id)
        case .config:
            let (_, toApp) = try kernel.connect(owner: id, peer: desktop, peerRights: [.send])
            guard let payload = bootConfig(for: actor).payload else {
                try? kernel.release(desktop, toApp)
                throw .invalidArgument
            }
            do {
                try kernel.send(desktop, to: toApp, opcode: BootConfig.opcode, payload: payload)
            } catch {
                try? kernel.release(desktop, toApp)
                throw error
            }
            return toApp
        case .endpoint(let name):
            endpoints[name] = (id, try kernel.createEndpoint(id))
        case .send(let name):
            guard let (owner, handle) = endpoints[name] else { throw .notFound }
            _ = try kernel.grantCopy(of: handle, held: owner, rights: [.send], to: id)
        case .folder:
            preconditionFailure("folders are granted by grantFolder")
        }
        return nil
    }

    /// Opens a folder the manifest grants and gives the app a DIRECTORY cap
    /// on it: list, open and read, and with `folder-rw` create and write.
    private func grantFolder(_ path: String, writable: Bool, to id: ActorID) throws(GrantFailure) {
        let expanded = UserFile.expand(path)
        let descriptor = open(expanded, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let why = errno == ENOENT ? "no such folder" : errno == ENOTDIR ? "not a folder" : String(cString: strerror(errno))
            throw GrantFailure(description: "grant folder \(expanded.debugDescription): \(why)")
        }
        let rights: Rights = writable ? [.list, .open, .create, .read, .write, .resize] : [.list, .open, .read]
        do throws(SysError) {
            _ = try kernel.grantOpened(descriptor: descriptor, rights: rights, to: id)
        } catch {
            throw GrantFailure(description: "grant folder \(expanded.debugDescription): \(error)")
        }
    }

    /// Opens the file the user named for the app and hands it over: a FILE
    /// cap in the app's own space (it outlives the boot's sender), named in
    /// an `OPEN_FILE` message after the boot configuration.
    private func handOver(
        _ path: String, to id: ActorID, of actor: Manifest.Actor, via toApp: Handle, from desktop: ActorID
    ) throws(GrantFailure) {
        let file: UserFile
        do throws(UserFile.Failure) {
            file = try UserFile.open(path)
        } catch {
            throw GrantFailure(file: error)
        }
        do throws(SysError) {
            let handle = try kernel.grantOpened(descriptor: file.descriptor, rights: file.rights, to: id)
            try kernel.send(desktop, to: toApp, opcode: BootConfig.openFileOpcode, payload: BootConfig.openFilePayload(handle: UInt64(bitPattern: handle.rawValue), name: file.name))
        } catch {
            throw GrantFailure(description: "cannot hand \(file.path.debugDescription) to \(actor.name): \(error)")
        }
        let access = file.rights.contains(.write) ? "read-write" : "read-only"
        kernel.logger.info("gave \(actor.name) the file \(file.path.debugDescription) (\(access))")
    }

    /// `config.*` keys as the app's boot configuration; "auto" values are
    /// filled in: `plugins` lists the modules of the actor's first spawner
    /// (the plugin folders merged, for the `plugins` grant), `workers` is the
    /// number of cores (1 to 16).
    private func bootConfig(for actor: Manifest.Actor) -> BootConfig {
        var config = BootConfig()
        for (key, value) in actor.config.sorted(by: { $0.key < $1.key }) {
            switch (key, value) {
            case ("plugins", .string("auto")):
                let folders = actor.grants.lazy.compactMap { grant -> [String]? in
                    switch grant {
                    case .spawner(let dir): [resolve(dir)]
                    case .plugins: pluginFolders
                    default: nil
                    }
                }.first
                config.set(key, list: folders.map { PluginFolders.modules(in: $0).keys.sorted() } ?? [])
            case ("workers", .string("auto")):
                config.set(key, "\(min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 16))")
            case (_, .string(let text)):
                config.set(key, text)
            case (_, .list(let items)):
                config.set(key, list: items)
            case (_, .table):
                break  // the parser takes a table for `env` only
            }
        }
        return config
    }

    private func resolve(_ dir: String) -> String {
        dir.hasPrefix("/") ? dir : actorsDir + "/" + dir
    }
}
