import Foundation
import Interp
import Kernel
import TestSupport
import Testing
import WAT

/// Starting modules at run time through a spawner cap (how paint loads
/// filter plugins): by name, from an ordered list of folders only.
@Suite struct SpawnTests {
    /// A native actor holding a spawner over the built actors.
    func system(_ tier: Tier) throws -> (TestSystem, ActorID, Handle) {
        let system = TestSystem(tier: tier)
        let parent = system.kernel.createActor(name: "parent")
        let spawner = try system.kernel.grantSpawner(directory: Repository.root + "/build/actors", to: parent)
        return (system, parent, spawner)
    }

    @Test(arguments: Tier.allCases) func spawnedActorAnswersOnItsActorCap(tier: Tier) throws {
        let (system, parent, spawner) = try system(tier)
        let baseline = system.kernel.counts
        let pong = try system.kernel.spawn(parent, spawner: spawner, module: "pong")
        let info = try system.kernel.info(parent, pong)
        #expect(info.kind == .actor)
        #expect(info.rights == [.send, .kill, .grant])
        let ping = withUnsafeBytes(of: UInt32(41).littleEndian) { Array($0) }
        let outcome = try system.kernel.call(parent, to: pong, opcode: 1, payload: ping, capacity: 64, timeout: .nanoseconds(5_000_000_000))
        guard case .answer(let answer) = outcome else {
            Issue.record("expected an answer, got \(outcome)")
            return
        }
        #expect(answer.opcode == 2)
        #expect(answer.payload == withUnsafeBytes(of: UInt32(42).littleEndian) { Array($0) })
        #expect(answer.sender.rawValue == UInt32(info.size))

        try system.kernel.send(parent, to: pong, opcode: 3, payload: [])  // STOP
        let child = ActorID(rawValue: UInt32(info.size))
        #expect(system.host.wait(for: child))
        #expect(system.kernel.exitReason(of: child) == .exited(code: 0))
        #expect(system.log.lines(of: "pong") == ["pong stopping"])
        // The actor cap outlives the actor; sending on it now finds nobody.
        #expect(throws: SysError.peerClosed) { try system.kernel.send(parent, to: pong, opcode: 1, payload: []) }
        try system.kernel.release(parent, pong)
        #expect(system.kernel.counts == baseline)
    }

    @Test(arguments: Tier.allCases) func spawnPassesTheGrantAsHandleTwo(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let parent = system.kernel.createActor(name: "parent")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Writes one red pixel through handle 2 and reports handle 1's kind in it.
        let wat = """
            (module
              (import "env" "sys_cap_mem_write" (func $write (param i64 i32 i32 i32) (result i32)))
              (import "env" "sys_cap_info" (func $info (param i64 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "_start")
                (drop (call $info (i64.const 1) (i32.const 16)))
                (i32.store (i32.const 0) (i32.or (i32.const 0x00ff0000) (i32.load (i32.const 16))))
                (drop (call $write (i64.const 2) (i32.const 4) (i32.const 0) (i32.const 4)))))
            """
        try Data(try wat2wasm(wat)).write(to: URL(fileURLWithPath: dir + "/painter.wasm"))
        let spawner = try system.kernel.grantSpawner(directory: dir, to: parent)
        let framebuffer = Framebuffer(width: 16, height: 8)
        let fb = try system.kernel.grant(framebuffer, to: parent)
        let painter = try system.kernel.spawn(parent, spawner: spawner, module: "painter", grant: fb)
        let child = ActorID(rawValue: UInt32(try system.kernel.info(parent, painter).size))
        #expect(system.host.wait(for: child))
        #expect(system.kernel.exitReason(of: child) == .exited(code: 0))
        #expect(framebuffer.pixels.load(fromByteOffset: 4, as: UInt32.self) == 0x00ff_0000 | ObjectKind.endpoint.rawValue)
    }

    func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "wsk-spawn-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test(arguments: Tier.allCases) func killEndsTheSpawnedActor(tier: Tier) throws {
        let (system, parent, spawner) = try system(tier)
        let pong = try system.kernel.spawn(parent, spawner: spawner, module: "pong")
        let child = ActorID(rawValue: UInt32(try system.kernel.info(parent, pong).size))
        try system.kernel.kill(parent, pong)
        #expect(system.host.wait(for: child))
        #expect(system.kernel.exitReason(of: child) == .killed(by: parent))
        let noKill = try system.kernel.derive(parent, pong, rights: [.send])
        #expect(throws: SysError.noRights) { try system.kernel.derive(parent, noKill, rights: [.send, .kill]) }
        #expect(throws: SysError.noRights) { try system.kernel.kill(parent, noKill) }
    }

    @Test(arguments: Tier.allCases) func badNamesAndModulesAreRefused(tier: Tier) throws {
        let (system, parent, spawner) = try system(tier)
        for name in ["", "../hello", "hello.wasm", "a/b", String(repeating: "x", count: 65), "héllo"] {
            #expect(throws: SysError.invalidArgument, "\(name)") {
                try system.kernel.spawn(parent, spawner: spawner, module: name)
            }
        }
        #expect(throws: SysError.notFound) { try system.kernel.spawn(parent, spawner: spawner, module: "no-such-actor") }

        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("not wasm".utf8).write(to: URL(fileURLWithPath: dir + "/broken.wasm"))
        let local = try system.kernel.grantSpawner(directory: dir, to: parent)
        let before = system.kernel.counts
        #expect(throws: SysError.loadFailed) { try system.kernel.spawn(parent, spawner: local, module: "broken") }
        #expect(system.kernel.counts == before)

        let noSpawn = try system.kernel.derive(parent, spawner, rights: [.grant])
        #expect(throws: SysError.noRights) { try system.kernel.spawn(parent, spawner: noSpawn, module: "hello") }
        let buffer = try system.kernel.createBuffer(parent, size: 4)
        #expect(throws: SysError.wrongType) { try system.kernel.spawn(parent, spawner: buffer, module: "hello") }
    }

    /// A module that exits with `code`.
    func exiting(_ code: Int) throws -> Data {
        Data(try wat2wasm("""
            (module
              (import "env" "sys_exit" (func $exit (param i32)))
              (memory (export "memory") 1)
              (func (export "_start") (call $exit (i32.const \(code)))))
            """))
    }

    /// Spawns `name` and waits for it: its exit code.
    func run(_ system: TestSystem, _ parent: ActorID, _ spawner: Handle, _ name: String) throws -> ExitReason? {
        let child = try system.kernel.spawn(parent, spawner: spawner, module: name)
        let id = ActorID(rawValue: UInt32(try system.kernel.info(parent, child).size))
        #expect(system.host.wait(for: id))
        try system.kernel.release(parent, child)
        return system.kernel.exitReason(of: id)
    }

    /// Later folders override earlier ones by name, looked up at each spawn:
    /// adding a module to a later folder takes over, removing it brings back
    /// the earlier folder's; a folder that does not exist holds nothing.
    @Test(arguments: Tier.allCases) func theLastFolderHoldingTheModuleWins(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let parent = system.kernel.createActor(name: "parent")
        let (lower, upper) = (try temporaryDirectory(), try temporaryDirectory())
        defer { for dir in [lower, upper] { try? FileManager.default.removeItem(atPath: dir) } }
        try exiting(1).write(to: URL(fileURLWithPath: lower + "/both.wasm"))
        try exiting(3).write(to: URL(fileURLWithPath: lower + "/low.wasm"))
        let spawner = try system.kernel.grantSpawner(folders: [lower, upper, upper + "/missing"], to: parent)
        #expect(try run(system, parent, spawner, "both") == .exited(code: 1))
        try exiting(2).write(to: URL(fileURLWithPath: upper + "/both.wasm"))
        #expect(try run(system, parent, spawner, "both") == .exited(code: 2))
        #expect(try run(system, parent, spawner, "low") == .exited(code: 3))
        try FileManager.default.removeItem(atPath: upper + "/both.wasm")
        #expect(try run(system, parent, spawner, "both") == .exited(code: 1))
        #expect(throws: SysError.notFound) { try system.kernel.spawn(parent, spawner: spawner, module: "nowhere") }
        // A folder named like a module is not one.
        try FileManager.default.createDirectory(atPath: upper + "/low.wasm", withIntermediateDirectories: false)
        #expect(try run(system, parent, spawner, "low") == .exited(code: 3))
        #expect(throws: SysError.invalidArgument) { try system.kernel.grantSpawner(folders: [], to: parent) }
    }

    /// Modules are remembered by their bytes, not their path: a file
    /// rewritten in place, or replaced by a rename, starts its new contents
    /// at the next spawn (how a plugin is reloaded).
    @Test(arguments: Tier.allCases) func aRewrittenModuleStartsItsNewContents(tier: Tier) throws {
        let system = TestSystem(tier: tier)
        let parent = system.kernel.createActor(name: "parent")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/plugin.wasm"
        try exiting(5).write(to: URL(fileURLWithPath: path))
        let spawner = try system.kernel.grantSpawner(folders: [dir], to: parent)
        #expect(try run(system, parent, spawner, "plugin") == .exited(code: 5))
        // In place: the same inode, truncated and written (as `cp` does).
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: try exiting(6))
        try handle.close()
        #expect(try run(system, parent, spawner, "plugin") == .exited(code: 6))
        // Replaced: another file renamed over it.
        try exiting(7).write(to: URL(fileURLWithPath: dir + "/.plugin.wasm.tmp"))
        #expect(rename(dir + "/.plugin.wasm.tmp", path) == 0)
        #expect(try run(system, parent, spawner, "plugin") == .exited(code: 7))
        // And back to the first contents, remembered from the first spawn.
        try exiting(5).write(to: URL(fileURLWithPath: path))
        #expect(try run(system, parent, spawner, "plugin") == .exited(code: 5))
    }
}
