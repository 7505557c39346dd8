import Foundation
import Glibc
import Testing

@testable import Kernel

/// A folder on disk granted to an actor as a DIRECTORY cap, with a file
/// outside it that no escape may reach.
struct GrantedFolder {
    let f: KernelFixture
    let actor: ActorID
    /// The granted folder and, beside it, the secret outside.
    let root: String
    let folder: String
    let secret: String
    let directory: Handle

    static let secretText = Array("the secret outside".utf8)
    static let photoText = Array("inside the folder".utf8)

    init(rights: Rights = [.list, .open, .create, .read, .write, .resize, .grant], limits: KernelLimits = KernelLimits()) throws {
        f = KernelFixture(limits: limits)
        actor = f.kernel.createActor(name: "app")
        root = NSTemporaryDirectory() + "wskdesk-files-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        folder = root + "/granted"
        secret = root + "/secret.txt"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(Self.secretText).write(to: URL(fileURLWithPath: secret))
        try Data(Self.photoText).write(to: URL(fileURLWithPath: folder + "/photo.png"))
        directory = try f.kernel.grantOpened(descriptor: Self.openDirectory(folder), rights: rights, to: actor)
    }

    static func openDirectory(_ path: String) -> Int32 {
        Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    }

    func open(_ name: String, _ options: OpenOptions = [], rights: Rights = [.read]) throws(SysError) -> Handle {
        try f.kernel.open(actor, in: directory, name: Array(name.utf8), options: options, rights: rights)
    }

    func read(_ file: Handle, count: Int = 64, offset: Int = 0) throws(SysError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(SysError) in try f.kernel.read(actor, from: file, offset: offset, into: buffer) }
        }
        return Array(bytes.prefix(try read.get()))
    }

    func contents(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }

    func finish() {
        f.expectBaseline(after: [actor])
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Every way out of a granted folder an actor might try, each refused, and
/// the outside untouched. A name is one component; links are never
/// followed; only regular files and directories open; rights only shrink.
@Suite(.serialized) struct FileEscapeTests {
    @Test(arguments: [
        "..", ".", "", "/etc/passwd", "../secret.txt", "sub/../../secret.txt", "granted/../secret.txt",
        "a\u{0}b", "photo.png/", String(repeating: "x", count: 256),
    ])
    func aNameIsOneComponentOfTheFolder(name: String) throws {
        let g = try GrantedFolder()
        defer { g.finish() }
        #expect(throws: SysError.invalidArgument) { try g.open(name) }
        #expect(throws: SysError.invalidArgument) { try g.open(name, [.create], rights: [.read, .write]) }
        #expect(g.contents(g.secret) == GrantedFolder.secretText)
    }

    @Test func aSymlinkIsNeverFollowedOutOrIn() throws {
        let g = try GrantedFolder()
        defer { g.finish() }
        try FileManager.default.createSymbolicLink(atPath: g.folder + "/out", withDestinationPath: g.secret)
        try FileManager.default.createSymbolicLink(atPath: g.folder + "/in", withDestinationPath: "photo.png")
        try FileManager.default.createSymbolicLink(atPath: g.folder + "/up", withDestinationPath: g.root)
        #expect(throws: SysError.wrongType) { try g.open("out") }
        #expect(throws: SysError.wrongType) { try g.open("in") }
        #expect(throws: SysError.wrongType) { try g.open("up", [.directory], rights: [.list, .open, .read]) }
        #expect(throws: SysError.wrongType) { try g.open("out", [.truncate], rights: [.read, .write, .resize]) }
        #expect(g.contents(g.secret) == GrantedFolder.secretText)
    }

    @Test func creatingThroughADanglingSymlinkCreatesNothingOutside() throws {
        let g = try GrantedFolder()
        defer { g.finish() }
        let target = g.root + "/planted"
        try FileManager.default.createSymbolicLink(atPath: g.folder + "/new.png", withDestinationPath: target)
        #expect(throws: SysError.wrongType) { try g.open("new.png", [.create], rights: [.read, .write]) }
        #expect(throws: SysError.alreadyExists) { try g.open("new.png", [.create, .exclusive], rights: [.read, .write]) }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func fifosSocketsAndDevicesAreNotOpenedAndDoNotBlock() throws {
        let g = try GrantedFolder()
        defer { g.finish() }
        #expect(mkfifo(g.folder + "/pipe", 0o644) == 0)
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(socket) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array((g.folder + "/sock").utf8CString)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.prefix(raw.count).enumerated() { raw[i] = UInt8(bitPattern: byte) }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        // A FIFO opened for reading would wait for a writer: it must be refused at once.
        #expect(throws: SysError.wrongType) { try g.open("pipe") }
        #expect(throws: SysError.wrongType) { try g.open("pipe", rights: [.read, .write]) }
        #expect(throws: SysError.wrongType) { try g.open("sock") }

        // A folder of device nodes: none of them opens.
        let dev = try g.f.kernel.grantOpened(
            descriptor: GrantedFolder.openDirectory("/dev"), rights: [.list, .open, .read, .write], to: g.actor)
        for name in ["null", "zero", "tty", "random"] {
            #expect(throws: SysError.wrongType, "/dev/\(name)") {
                try g.f.kernel.open(g.actor, in: dev, name: Array(name.utf8), options: [], rights: [.read])
            }
        }
    }

    @Test func aReadGrantCannotWriteEmptyOrResize() throws {
        let g = try GrantedFolder(rights: [.list, .open, .read])
        defer { g.finish() }
        let photo = try g.open("photo.png")
        #expect(try g.read(photo) == GrantedFolder.photoText)
        // More rights than the folder's, truncation without them, creation without create.
        #expect(throws: SysError.noRights) { try g.open("photo.png", rights: [.read, .write]) }
        #expect(throws: SysError.noRights) { try g.open("photo.png", [.truncate], rights: [.read, .write, .resize]) }
        #expect(throws: SysError.invalidArgument) { try g.open("photo.png", [.truncate], rights: [.read]) }
        #expect(throws: SysError.noRights) { try g.open("fresh.png", [.create], rights: [.read]) }
        let bytes: [UInt8] = [1, 2, 3]
        #expect(throws: SysError.noRights) {
            try bytes.withUnsafeBytes { raw in try g.f.kernel.write(g.actor, to: photo, offset: 0, from: raw) }
        }
        #expect(throws: SysError.noRights) { try g.f.kernel.resizeFile(g.actor, photo, to: 0) }
        #expect(g.contents(g.folder + "/photo.png") == GrantedFolder.photoText)
        #expect(!FileManager.default.fileExists(atPath: g.folder + "/fresh.png"))
        // Derived caps only shrink.
        #expect(throws: SysError.noRights) { try g.f.kernel.derive(g.actor, photo, rights: [.read, .write]) }
    }

    @Test func aRevokedOrReleasedFolderTakesItsFilesWithIt() throws {
        let g = try GrantedFolder()
        defer { g.finish() }
        // A folder lent on (a plugin, say) and a file opened through the loan.
        let lent = try g.f.kernel.derive(g.actor, g.directory, rights: [.open, .read, .grant])
        let viaLent = try g.f.kernel.open(g.actor, in: lent, name: Array("photo.png".utf8), options: [], rights: [.read])
        let photo = try g.open("photo.png")
        try g.f.kernel.revoke(g.actor, lent)
        #expect(throws: SysError.invalidHandle) { try g.read(viaLent) }
        let again = try g.f.kernel.open(g.actor, in: lent, name: Array("photo.png".utf8), options: [], rights: [.read])
        try g.f.kernel.release(g.actor, lent)
        #expect(throws: SysError.invalidHandle) { try g.read(again) }
        #expect(try g.read(photo) == GrantedFolder.photoText, "the folder's own files stay")
        // Revoking the folder takes every file opened through it; the folder stays.
        try g.f.kernel.revoke(g.actor, g.directory)
        #expect(throws: SysError.invalidHandle) { try g.read(photo) }
        let reopened = try g.open("photo.png")
        try g.f.kernel.release(g.actor, g.directory)
        #expect(throws: SysError.invalidHandle) { try g.read(reopened) }
        #expect(throws: SysError.invalidHandle) { try g.open("photo.png") }
        #expect(g.f.kernel.counts.openFiles == 0, "every descriptor given back")
    }

    @Test func aSubfolderHasAtMostItsParentsRightsAndNoWayUp() throws {
        let g = try GrantedFolder(rights: [.list, .open, .read])
        defer { g.finish() }
        try FileManager.default.createDirectory(atPath: g.folder + "/sub", withIntermediateDirectories: false)
        try Data([7]).write(to: URL(fileURLWithPath: g.folder + "/sub/inner.txt"))
        #expect(throws: SysError.noRights) { try g.open("sub", [.directory], rights: [.open, .read, .create]) }
        #expect(throws: SysError.invalidArgument) { try g.open("sub", [.directory, .create], rights: [.open]) }
        let sub = try g.open("sub", [.directory], rights: [.open, .read])
        #expect(throws: SysError.invalidArgument) {
            try g.f.kernel.open(g.actor, in: sub, name: Array("..".utf8), options: [.directory], rights: [.open])
        }
        let inner = try g.f.kernel.open(g.actor, in: sub, name: Array("inner.txt".utf8), options: [], rights: [.read])
        #expect(try g.read(inner) == [7])
        var listing = [UInt8](repeating: 0, count: 64)
        #expect(throws: SysError.noRights) {
            try listing.withUnsafeMutableBytes { raw in try g.f.kernel.listDirectory(g.actor, sub, start: 0, into: raw) }
        }
        // A file is no directory and a directory no file.
        #expect(throws: SysError.wrongType) { try g.open("sub") }
        #expect(throws: SysError.wrongType) { try g.open("photo.png", [.directory], rights: [.open]) }
        #expect(throws: SysError.wrongType) { try g.f.kernel.open(g.actor, in: inner, name: Array("x".utf8), options: [], rights: [.read]) }
    }

    @Test func aSwapAfterTheListingIsRefusedNotFollowed() throws {
        let g = try GrantedFolder()
        defer { g.finish() }
        var buffer = [UInt8](repeating: 0, count: 512)
        let listed = try buffer.withUnsafeMutableBytes { raw in
            try g.f.kernel.listDirectory(g.actor, g.directory, start: 0, into: raw)
        }
        #expect(listed == 1)
        // Between the chooser's listing and the open, the file becomes a link out.
        try FileManager.default.removeItem(atPath: g.folder + "/photo.png")
        try FileManager.default.createSymbolicLink(atPath: g.folder + "/photo.png", withDestinationPath: g.secret)
        #expect(throws: SysError.wrongType) { try g.open("photo.png", rights: [.read, .write]) }
        #expect(g.contents(g.secret) == GrantedFolder.secretText)
    }

    @Test func aHugeFileIsReadInPlacesAndWritesStopAtTheLimit() throws {
        let g = try GrantedFolder()
        defer { g.finish() }
        // Sparse: 3 GiB on paper, nothing on disk.
        let path = g.folder + "/huge.bin"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, 3 << 30) == 0)
        let huge = try g.open("huge.bin", rights: [.read, .write, .resize])
        #expect(try g.f.kernel.info(g.actor, huge).size == 3 << 30)
        #expect(try g.read(huge, count: 16, offset: Int(Int32.max) - 16) == [UInt8](repeating: 0, count: 16))
        let bytes: [UInt8] = [1, 2]
        #expect(throws: SysError.outOfBounds) {
            try bytes.withUnsafeBytes { raw in
                try g.f.kernel.write(g.actor, to: huge, offset: Int(Int32.max) - 1, from: raw)
            }
        }
        #expect(throws: SysError.outOfBounds) { try g.f.kernel.resizeFile(g.actor, huge, to: 4 << 30) }
        #expect(throws: SysError.invalidArgument) { try g.f.kernel.resizeFile(g.actor, huge, to: -1) }
    }

    @Test func openFilesAreBoundedAndGivenBack() throws {
        var limits = KernelLimits()
        limits.maxOpenFiles = 3  // the folder and two files
        let g = try GrantedFolder(limits: limits)
        defer { g.finish() }
        let one = try g.open("photo.png")
        _ = try g.open("photo.png")
        #expect(throws: SysError.limitReached) { try g.open("photo.png") }
        #expect(g.f.kernel.counts.openFiles == 3)
        try g.f.kernel.release(g.actor, one)
        _ = try g.open("photo.png")
    }
}

/// What a granted folder and file do for an actor: list, read, write,
/// create, resize, each charged and given back.
@Suite(.serialized) struct FileTests {
    @Test func listingIsSortedPagedAndSaysWhatEachEntryIs() throws {
        let g = try GrantedFolder()
        defer { g.finish() }
        try Data(count: 5).write(to: URL(fileURLWithPath: g.folder + "/b.txt"))
        try FileManager.default.createDirectory(atPath: g.folder + "/albums", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: g.folder + "/link", withDestinationPath: g.secret)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = try buffer.withUnsafeMutableBytes { raw in
            try g.f.kernel.listDirectory(g.actor, g.directory, start: 0, into: raw)
        }
        #expect(n == 4)
        let entries = Self.decode(buffer, count: n)
        #expect(entries.map(\.name) == ["albums", "b.txt", "link", "photo.png"])
        #expect(entries.map(\.kind) == [2, 1, 0, 1])
        #expect(entries.map(\.size) == [0, 5, 0, UInt64(GrantedFolder.photoText.count)])
        // Paged: from the third on; past the end, none; a buffer too small for one.
        let rest = try buffer.withUnsafeMutableBytes { raw in
            try g.f.kernel.listDirectory(g.actor, g.directory, start: 2, into: raw)
        }
        #expect(Self.decode(buffer, count: rest).map(\.name) == ["link", "photo.png"])
        #expect(try buffer.withUnsafeMutableBytes { raw in
            try g.f.kernel.listDirectory(g.actor, g.directory, start: 4, into: raw)
        } == 0)
        #expect(throws: SysError.bufferTooSmall) {
            try buffer.withUnsafeMutableBytes { raw in
                try g.f.kernel.listDirectory(g.actor, g.directory, start: 0, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<12]))
            }
        }
    }

    static func decode(_ bytes: [UInt8], count: Int) -> [(name: String, kind: UInt8, size: UInt64)] {
        var entries: [(String, UInt8, UInt64)] = []
        var at = 0
        for _ in 0..<count {
            let length = Int(bytes[at + 1])
            var size: UInt64 = 0
            for i in 0..<8 { size |= UInt64(bytes[at + 2 + i]) << (8 * UInt64(i)) }
            let name = String(decoding: bytes[(at + DirectoryListing.headerSize)..<(at + DirectoryListing.headerSize + length)], as: UTF8.self)
            entries.append((name, bytes[at], size))
            at += DirectoryListing.headerSize + length
        }
        return entries
    }

    @Test func saveAsCreatesWritesAndReplaces() throws {
        let g = try GrantedFolder()
        defer { g.finish() }
        let account = try #require(g.f.kernel.account(of: g.actor))
        let before = account.used
        let drawing = try g.open("drawing.png", [.create, .exclusive], rights: [.read, .write, .resize])
        #expect(account.used == before + Kernel.fileObjectCost)
        let data: [UInt8] = Array("first version, long".utf8)
        try data.withUnsafeBytes { raw in try g.f.kernel.write(g.actor, to: drawing, offset: 0, from: raw) }
        #expect(g.contents(g.folder + "/drawing.png") == data)
        #expect(throws: SysError.alreadyExists) { try g.open("drawing.png", [.create, .exclusive], rights: [.read, .write]) }
        // Saving again: emptied as it is opened, then written.
        let again = try g.open("drawing.png", [.create, .truncate], rights: [.read, .write, .resize])
        #expect(g.contents(g.folder + "/drawing.png") == [])
        let short: [UInt8] = Array("v2".utf8)
        try short.withUnsafeBytes { raw in try g.f.kernel.write(g.actor, to: again, offset: 0, from: raw) }
        try g.f.kernel.resizeFile(g.actor, again, to: 2)
        #expect(try g.read(drawing) == short)  // the same file through both caps
        #expect(try g.f.kernel.info(g.actor, again) == CapabilityInfo(kind: .file, rights: [.read, .write, .resize], size: 2))
        try g.f.kernel.release(g.actor, drawing)
        try g.f.kernel.release(g.actor, again)
        #expect(account.used == before)
    }

    @Test func aNameThatIsNotThereIsNotFound() throws {
        let g = try GrantedFolder()
        defer { g.finish() }
        #expect(throws: SysError.notFound) { try g.open("missing.png") }
        #expect(throws: SysError.notFound) { try g.open("missing", [.directory], rights: [.list]) }
        // Non-UTF-8 names are names too.
        #expect(throws: SysError.notFound) {
            try g.f.kernel.open(g.actor, in: g.directory, name: [0xff, 0xfe], options: [], rights: [.read])
        }
    }
}

/// The file chooser's grant (`Kernel.openForGrant`): ui_server opens the
/// user's choice beneath a folder it holds and the app gets that one file,
/// as a cap of its own, with every check of `open`.
@Suite(.serialized) struct ChooserGrantTests {
    /// `g.actor` plays ui_server (it holds the folder); the app receives.
    func grant(_ g: GrantedFolder, _ name: String, _ options: OpenOptions = [], rights: Rights = [.read], to app: ActorID)
        throws(SysError) -> Handle
    {
        try g.f.kernel.openForGrant(
            in: g.directory, heldBy: g.actor, name: Array(name.utf8), options: options, rights: rights, to: app)
    }

    func read(_ g: GrantedFolder, _ app: ActorID, _ file: Handle) throws(SysError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 64)
        let read = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(SysError) in try g.f.kernel.read(app, from: file, offset: 0, into: buffer) }
        }
        return Array(bytes.prefix(try read.get()))
    }

    @Test func theAppKeepsItsFileWhenTheChooserLetsTheFolderGo() throws {
        let g = try GrantedFolder()
        let account = g.f.kernel.makeAccount()
        let app = g.f.kernel.createActor(name: "paint", account: account)
        defer {
            g.f.kernel.terminate(app, reason: .exited(code: 0))
            g.finish()
        }
        let before = account.used
        let photo = try grant(g, "photo.png", to: app)
        #expect(account.used >= before + Kernel.fileObjectCost, "the app pays for its file")
        try g.f.kernel.release(g.actor, g.directory)
        #expect(try read(g, app, photo) == GrantedFolder.photoText)
        // Read only: no write, no resize, no wider copy.
        let bytes: [UInt8] = [1]
        #expect(throws: SysError.noRights) {
            try bytes.withUnsafeBytes { raw in try g.f.kernel.write(app, to: photo, offset: 0, from: raw) }
        }
        #expect(throws: SysError.noRights) { try g.f.kernel.resizeFile(app, photo, to: 0) }
        #expect(throws: SysError.noRights) { try g.f.kernel.derive(app, photo, rights: [.read, .write]) }
        g.f.kernel.terminate(app, reason: .exited(code: 0))
        #expect(g.f.kernel.counts.openFiles == 0, "the app's end gives the descriptor back")
        #expect(g.contents(g.folder + "/photo.png") == GrantedFolder.photoText)
    }

    @Test func aGrantHasEveryCheckOfOpen() throws {
        let g = try GrantedFolder(rights: [.list, .open, .read])
        let app = g.f.kernel.createActor(name: "paint")
        defer {
            g.f.kernel.terminate(app, reason: .exited(code: 0))
            g.finish()
        }
        try FileManager.default.createSymbolicLink(atPath: g.folder + "/out", withDestinationPath: g.secret)
        #expect(mkfifo(g.folder + "/pipe", 0o644) == 0)
        try FileManager.default.createDirectory(atPath: g.folder + "/sub", withIntermediateDirectories: false)
        for name in ["..", "../secret.txt", "/etc/passwd", "a/b", ""] {
            #expect(throws: SysError.invalidArgument, "\(name)") { try grant(g, name, to: app) }
        }
        #expect(throws: SysError.wrongType) { try grant(g, "out", to: app) }
        #expect(throws: SysError.wrongType) { try grant(g, "pipe", to: app) }
        #expect(throws: SysError.wrongType) { try grant(g, "sub", to: app) }
        // Files only, file rights only, at most the folder's.
        #expect(throws: SysError.invalidArgument) { try grant(g, "sub", [.directory], to: app) }
        #expect(throws: SysError.invalidArgument) { try grant(g, "photo.png", rights: [.read, .list], to: app) }
        #expect(throws: SysError.noRights) { try grant(g, "photo.png", rights: [.read, .write], to: app) }
        #expect(throws: SysError.noRights) { try grant(g, "new.png", [.create, .exclusive], rights: [.read], to: app) }
        #expect(throws: SysError.invalidArgument) { try grant(g, "photo.png", [.truncate], rights: [.read], to: app) }
        // Only the holder's own folder cap: the app's handle numbers mean nothing here.
        #expect(throws: SysError.invalidHandle) {
            try g.f.kernel.openForGrant(
                in: g.directory, heldBy: app, name: Array("photo.png".utf8), options: [], rights: [.read], to: app)
        }
        #expect(g.contents(g.secret) == GrantedFolder.secretText)
        #expect(!FileManager.default.fileExists(atPath: g.folder + "/new.png"))
        #expect(g.f.kernel.counts.openFiles == 1, "only the folder is open")
    }

    @Test func saveCreatesNewOrReplacesAnExistingFile() throws {
        let g = try GrantedFolder()
        let app = g.f.kernel.createActor(name: "paint")
        defer {
            g.f.kernel.terminate(app, reason: .exited(code: 0))
            g.finish()
        }
        let save: Rights = [.read, .write, .resize]
        #expect(throws: SysError.alreadyExists) { try grant(g, "photo.png", [.create, .exclusive], rights: save, to: app) }
        let fresh = try grant(g, "drawing.png", [.create, .exclusive], rights: save, to: app)
        try [UInt8]("new".utf8).withUnsafeBytes { raw in try g.f.kernel.write(app, to: fresh, offset: 0, from: raw) }
        #expect(g.contents(g.folder + "/drawing.png") == Array("new".utf8))
        let replaced = try grant(g, "photo.png", [.create, .truncate], rights: save, to: app)
        #expect(g.contents(g.folder + "/photo.png") == [])
        try [UInt8]("over".utf8).withUnsafeBytes { raw in try g.f.kernel.write(app, to: replaced, offset: 0, from: raw) }
        #expect(g.contents(g.folder + "/photo.png") == Array("over".utf8))
        #expect(throws: SysError.noRights) { try g.f.kernel.derive(app, replaced, rights: [.read, .grant]) }
    }
}
