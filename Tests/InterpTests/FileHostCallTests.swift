import Foundation
import Glibc
import Interp
import Testing

@testable import Kernel

/// A Wasm actor holding a folder: what it can open, read, list and change,
/// and the ways out it tries, on both tiers. (The kernel's own suite,
/// `FileEscapeTests`, tries every escape natively.)
@Suite struct FileHostCallTests {
    /// The granted folder, a secret beside it, a link out of it.
    static func folder() throws -> (root: String, folder: String) {
        let root = NSTemporaryDirectory() + "wskdesk-wasm-files-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let folder = root + "/granted"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data("the secret".utf8).write(to: URL(fileURLWithPath: root + "/secret.txt"))
        try Data("inside the folder".utf8).write(to: URL(fileURLWithPath: folder + "/photo.png"))
        try FileManager.default.createSymbolicLink(atPath: folder + "/out", withDestinationPath: root + "/secret.txt")
        return (root, folder)
    }

    static let names = """
        (data (i32.const 100) "../secret.txt")
        (data (i32.const 120) "..")
        (data (i32.const 130) "/etc/passwd")
        (data (i32.const 150) "a\\00b")
        (data (i32.const 160) "out")
        (data (i32.const 170) "photo.png")
        (data (i32.const 190) "new.png")
        """

    @Test(arguments: Tier.allCases) func aWasmActorOpensOnlyWhatItsFolderHolds(tier: Tier) throws {
        let (root, folder) = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let system = TestSystem(tier: tier)
        let baseline = system.kernel.counts
        let probe = try Probe(system.kernel)
        let read = Rights.read.rawValue, rw = Rights([.read, .write]).rawValue
        let actor = try system.run(
            reportingActor(
                body: """
                    ;; Ways out: a path up, up, absolute, a NUL, a link out.
                    (call $report (call $dir_open (i64.const 2) (i32.const 100) (i32.const 13) (i32.const 0) (i32.const \(read))))
                    (call $report (call $dir_open (i64.const 2) (i32.const 120) (i32.const 2) (i32.const 8) (i32.const \(read))))
                    (call $report (call $dir_open (i64.const 2) (i32.const 130) (i32.const 11) (i32.const 0) (i32.const \(read))))
                    (call $report (call $dir_open (i64.const 2) (i32.const 150) (i32.const 3) (i32.const 0) (i32.const \(read))))
                    (call $report (call $dir_open (i64.const 2) (i32.const 160) (i32.const 3) (i32.const 0) (i32.const \(read))))
                    ;; More than the folder gives: write, create, empty.
                    (call $report (call $dir_open (i64.const 2) (i32.const 170) (i32.const 9) (i32.const 0) (i32.const \(rw))))
                    (call $report (call $dir_open (i64.const 2) (i32.const 190) (i32.const 7) (i32.const 1) (i32.const \(read))))
                    (call $report (call $dir_open (i64.const 2) (i32.const 170) (i32.const 9) (i32.const 4) (i32.const \(read))))
                    ;; A name or buffer outside memory.
                    (call $report (call $dir_open (i64.const 2) (i32.const 65530) (i32.const 9) (i32.const 0) (i32.const \(read))))
                    (call $report32 (call $dir_list (i64.const 2) (i32.const 0) (i32.const 65530) (i32.const 64)))
                    ;; What it may do: open and read the photo, list the folder.
                    (local.set $file (call $dir_open (i64.const 2) (i32.const 170) (i32.const 9) (i32.const 0) (i32.const \(read))))
                    (call $report (i64.extend_i32_u (i64.gt_s (local.get $file) (i64.const 0))))
                    (call $report32 (call $read (local.get $file) (i32.const 0) (i32.const 1024) (i32.const 64)))
                    (call $report (i64.load (i32.const 1024)))
                    (call $report32 (call $read (local.get $file) (i32.const 100) (i32.const 1024) (i32.const 64)))
                    (call $report32 (call $write (local.get $file) (i32.const 0) (i32.const 1024) (i32.const 4)))
                    (call $report32 (call $file_resize (local.get $file) (i64.const 0)))
                    (call $report32 (call $info (local.get $file) (i32.const 4096)))
                    (call $report (i64.load32_u (i32.const 4096)))
                    (call $report (i64.load (i32.const 4104)))
                    (call $report32 (call $dir_list (i64.const 2) (i32.const 0) (i32.const 2048) (i32.const 1024)))
                    (call $report (i64.load8_u (i32.const 2048)))
                    (call $report (i64.load8_u (i32.const 2049)))
                    ;; Its folder revoked, the file goes with it.
                    (call $report32 (call $revoke (i64.const 2)))
                    (call $report32 (call $read (local.get $file) (i32.const 0) (i32.const 1024) (i32.const 64)))
                    (call $flush (i64.const 1))
                    """,
                locals: "(local $file i64)", data: Self.names),
            name: "viewer"
        ) { actor in
            try probe.grantSend(to: actor)
            let fd = Glibc.open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            _ = try system.kernel.grantOpened(descriptor: fd, rights: [.list, .open, .read, .grant], to: actor)
        }
        let photo = Array("inside the folder".utf8)
        let firstEight = photo.prefix(8).reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }
        func code(_ error: SysError) -> Int64 { Int64(error.rawValue) }
        #expect(try probe.report() == [
            code(.invalidArgument), code(.invalidArgument), code(.invalidArgument), code(.invalidArgument), code(.wrongType),
            code(.noRights), code(.noRights), code(.invalidArgument),
            code(.outOfBounds), code(.outOfBounds),
            1, Int64(photo.count), firstEight, 0, code(.noRights), code(.noRights),
            0, Int64(ObjectKind.file.rawValue), Int64(photo.count),
            2, 0, 3,  // two entries, "out" first: a link (kind 0), 3 bytes of name
            0, code(.invalidHandle),
        ])
        #expect(FileManager.default.contents(atPath: root + "/secret.txt") == Data("the secret".utf8))
        system.expectClean(baseline: baseline, actors: [actor], natives: [probe.id])
    }
}
