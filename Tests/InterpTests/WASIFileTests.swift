import Foundation
import Glibc
import Interp
import Testing

@testable import Kernel

/// More WASI functions, for the tests of files and directories.
let wasiFileImports = """
    (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_tell" (func $fd_tell (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_pread" (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "fd_filestat_set_size" (func $fd_filestat_set_size (param i32 i64) (result i32)))
    (import "wasi_snapshot_preview1" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "path_unlink_file" (func $path_unlink_file (param i32 i32 i32) (result i32)))
    """

/// WASI files and directories over the kernel's FILE and DIRECTORY caps, on
/// both tiers: a preopen is a directory cap the actor holds; paths are
/// walked a name at a time beneath it; every way out fails.
@Suite struct WASIFileTests {
    static let (badf, exist, inval, noent, notsup, notcapable): (Int64, Int64, Int64, Int64, Int64, Int64) =
        (8, 20, 28, 44, 58, 76)

    /// A folder: hello.txt, sub/inner.txt, a link out; a secret beside it.
    static func folder() throws -> (root: String, folder: String) {
        let root = NSTemporaryDirectory() + "wskdesk-wasi-files-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let folder = root + "/granted"
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        try Data("the secret".utf8).write(to: URL(fileURLWithPath: root + "/secret.txt"))
        try Data("hello world".utf8).write(to: URL(fileURLWithPath: folder + "/hello.txt"))
        try Data("inner".utf8).write(to: URL(fileURLWithPath: folder + "/sub/inner.txt"))
        try FileManager.default.createSymbolicLink(atPath: folder + "/link", withDestinationPath: root + "/secret.txt")
        return (root, folder)
    }

    static let paths = #"""
        (data (i32.const 100) "hello.txt")
        (data (i32.const 120) "../secret.txt")
        (data (i32.const 140) "/etc/passwd")
        (data (i32.const 160) "sub/inner.txt")
        (data (i32.const 180) "link")
        (data (i32.const 190) "missing")
        (data (i32.const 200) "sub/../../secret.txt")
        (data (i32.const 230) "./sub")
        (data (i32.const 240) "a\00b")
        (data (i32.const 250) "out.txt")
        (data (i32.const 300) "\bc\02\00\00\40\00\00\00")
        (data (i32.const 308) "\00\03\00\00\05\00\00\00")
        (data (i32.const 400) "saved!")
        """#

    /// path_open with `path` of `length` bytes, `oflags`, every right asked for; the new fd at 600.
    static func open(_ path: Int, _ length: Int, oflags: Int = 0, fdflags: Int = 0) -> String {
        "(call $path_open (i32.const 3) (i32.const 0) (i32.const \(path)) (i32.const \(length)) (i32.const \(oflags)) (i64.const -1) (i64.const -1) (i32.const \(fdflags)) (i32.const 600))"
    }

    @Test(arguments: Tier.allCases) func aReadOnlyPreopenReadsListsAndNothingElse(tier: Tier) throws {
        let (root, folder) = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let module = try system.module(wat: reportingActor(
            body: """
                (call $report32 (call $fd_prestat_get (i32.const 3) (i32.const 512)))
                (call $report (i64.load32_u (i32.const 516)))
                (call $report32 (call $fd_prestat_dir_name (i32.const 3) (i32.const 520) (i32.const 8)))
                (call $report (i64.load (i32.const 520)))
                (call $report32 (call $fd_prestat_dir_name (i32.const 3) (i32.const 520) (i32.const 4)))
                (call $report32 (call $fd_prestat_get (i32.const 4) (i32.const 512)))
                ;; ways out
                (call $report32 \(Self.open(120, 13)))
                (call $report32 \(Self.open(140, 11)))
                (call $report32 \(Self.open(200, 20)))
                (call $report32 \(Self.open(180, 4)))
                (call $report32 \(Self.open(240, 3)))
                (call $report32 \(Self.open(190, 7)))
                ;; more than a read-only folder gives: create, empty
                (call $report32 \(Self.open(250, 7, oflags: 1)))
                (call $report32 \(Self.open(100, 9, oflags: 8)))
                (call $report32 (call $path_unlink_file (i32.const 3) (i32.const 100) (i32.const 9)))
                ;; read hello.txt: 11 bytes, then from 6 after a seek
                (call $report32 \(Self.open(100, 9)))
                (local.set $fd (i32.load (i32.const 600)))
                (call $report (i64.extend_i32_u (local.get $fd)))
                (call $report32 (call $fd_read (local.get $fd) (i32.const 300) (i32.const 1) (i32.const 608)))
                (call $report (i64.load32_u (i32.const 608)))
                (call $report (i64.load (i32.const 700)))
                (call $report32 (call $fd_read (local.get $fd) (i32.const 300) (i32.const 1) (i32.const 608)))
                (call $report (i64.load32_u (i32.const 608)))
                (call $report32 (call $fd_seek (local.get $fd) (i64.const 6) (i32.const 0) (i32.const 616)))
                (call $report32 (call $fd_read (local.get $fd) (i32.const 300) (i32.const 1) (i32.const 608)))
                (call $report (i64.load32_u (i32.const 608)))
                (call $report32 (call $fd_tell (local.get $fd) (i32.const 616)))
                (call $report (i64.load (i32.const 616)))
                (call $report32 (call $fd_pread (local.get $fd) (i32.const 308) (i32.const 1) (i64.const 0) (i32.const 608)))
                (call $report (i64.load32_u (i32.const 608)))
                (call $report32 (call $fd_write (local.get $fd) (i32.const 308) (i32.const 1) (i32.const 608)))
                (call $report32 (call $fd_filestat_set_size (local.get $fd) (i64.const 0)))
                (call $report32 (call $fd_filestat_get (local.get $fd) (i32.const 800)))
                (call $report (i64.load8_u (i32.const 816)))
                (call $report (i64.load (i32.const 832)))
                (call $report32 (call $fd_close (local.get $fd)))
                (call $report32 (call $fd_read (local.get $fd) (i32.const 300) (i32.const 1) (i32.const 608)))
                ;; two names deep, one at a time; "./sub" is the folder
                (call $report32 \(Self.open(160, 13)))
                (call $report32 (call $fd_read (i32.load (i32.const 600)) (i32.const 300) (i32.const 1) (i32.const 608)))
                (call $report (i64.load32_u (i32.const 608)))
                (call $report32 (call $fd_close (i32.load (i32.const 600))))
                (call $report32 (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 230) (i32.const 5) (i32.const 800)))
                (call $report (i64.load8_u (i32.const 816)))
                ;; the listing: hello.txt, link, sub, in name order
                (call $report32 (call $fd_readdir (i32.const 3) (i32.const 1024) (i32.const 512) (i64.const 0) (i32.const 608)))
                (call $report (i64.load32_u (i32.const 608)))
                (call $report (i64.load (i32.const 1024)))
                (call $report (i64.load32_u (i32.const 1040)))
                (call $report (i64.load8_u (i32.const 1044)))
                (call $report32 (call $fd_readdir (i32.const 3) (i32.const 1024) (i32.const 512) (i64.const 2) (i32.const 608)))
                (call $report (i64.load32_u (i32.const 608)))
                (call $report (i64.load8_u (i32.const 1044)))
                (call $flush (i64.const 2))
                """,
            locals: "(local $fd i32)", data: Self.paths, imports: wasiImports + wasiFileImports), name: "reader")
        let program = ProgramArguments(preopens: [Preopen(name: "/photos", handle: 1)])
        let actor = try system.host.spawn(module, program: program) { actor in
            let fd = Glibc.open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            _ = try system.kernel.grantOpened(descriptor: fd, rights: [.list, .open, .read], to: actor)
            try probe.grantSend(to: actor)
        }
        let name = Array("/photos".utf8) + [0]
        let hello = Array("hello wo".utf8)
        func word(_ bytes: [UInt8]) -> Int64 { bytes.reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) } }
        let preopen: [Int64] = [0, 7, 0, word(name), 37, Self.badf]
        let waysOut: [Int64] = [Self.notcapable, Self.notcapable, Self.notcapable, Self.notsup, Self.inval, Self.noent]
        let tooMuch: [Int64] = [Self.notcapable, Self.notcapable, Self.notcapable]
        let reading: [Int64] = [0, 4, 0, 11, word(hello), 0, 0, 0, 0, 5, 0, 11, 0, 5, Self.notcapable, Self.notcapable]
        let status: [Int64] = [0, 4, 11, 0, Self.badf]
        let deeper: [Int64] = [0, 0, 5, 0, 0, 3]
        let listing: [Int64] = [0, 3 * 24 + 9 + 4 + 3, 1, 9, 4, 0, 24 + 3, 3]
        let expected: [Int64] = preopen + waysOut + tooMuch + reading + status + deeper + listing
        #expect(try probe.report() == expected)
        #expect(FileManager.default.contents(atPath: folder + "/hello.txt") == Data("hello world".utf8))
        #expect(!FileManager.default.fileExists(atPath: folder + "/out.txt"))
        #expect(system.host.wait(for: actor))
        #expect(system.ranOnItsTier)
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }

    @Test(arguments: Tier.allCases) func aWritablePreopenCreatesWritesAndResizes(tier: Tier) throws {
        let (root, folder) = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let module = try system.module(wat: reportingActor(
            body: """
                ;; create out.txt and write "saved!" twice, then cut it to 8
                (call $report32 \(Self.open(250, 7, oflags: 1 | 4)))
                (local.set $fd (i32.load (i32.const 600)))
                (call $report32 (call $fd_write (local.get $fd) (i32.const 320) (i32.const 1) (i32.const 608)))
                (call $report (i64.load32_u (i32.const 608)))
                (call $report32 (call $fd_write (local.get $fd) (i32.const 320) (i32.const 1) (i32.const 608)))
                (call $report32 (call $fd_filestat_set_size (local.get $fd) (i64.const 8)))
                (call $report32 (call $fd_close (local.get $fd)))
                ;; again exclusively: it exists now
                (call $report32 \(Self.open(250, 7, oflags: 1 | 4)))
                ;; append to hello.txt
                (call $report32 \(Self.open(100, 9, fdflags: 1)))
                (call $report32 (call $fd_write (i32.load (i32.const 600)) (i32.const 320) (i32.const 1) (i32.const 608)))
                (call $report32 (call $fd_close (i32.load (i32.const 600))))
                ;; emptied as it is opened
                (call $report32 \(Self.open(160, 13, oflags: 8)))
                (call $report32 (call $fd_close (i32.load (i32.const 600))))
                (call $flush (i64.const 2))
                """,
            locals: "(local $fd i32)",
            data: Self.paths + #"(data (i32.const 320) "\90\01\00\00\06\00\00\00")"#,
            imports: wasiImports + wasiFileImports), name: "writer")
        let actor = try system.host.spawn(module, program: ProgramArguments(preopens: [Preopen(name: ".", handle: 1)])) { actor in
            let fd = Glibc.open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            _ = try system.kernel.grantOpened(
                descriptor: fd, rights: [.list, .open, .create, .read, .write, .resize], to: actor)
            try probe.grantSend(to: actor)
        }
        #expect(try probe.report() == [0, 0, 6, 0, 0, 0, Self.exist, 0, 0, 0, 0, 0])
        #expect(FileManager.default.contents(atPath: folder + "/out.txt") == Data("saved!sa".utf8))
        #expect(FileManager.default.contents(atPath: folder + "/hello.txt") == Data("hello worldsaved!".utf8))
        #expect(FileManager.default.contents(atPath: folder + "/sub/inner.txt") == Data())
        #expect(FileManager.default.contents(atPath: root + "/secret.txt") == Data("the secret".utf8))
        #expect(system.host.wait(for: actor))
        #expect(system.ranOnItsTier)
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }
}
