import Foundation
import Glibc
import Testing
import Wire

@testable import Compositor
@testable import Kernel

/// The file chooser (the "powerbox") on the headless backend, driven by
/// scripted input as a user would drive it: what it shows, what the app gets
/// (a FILE cap to the one file the user picked, read through the kernel),
/// and everything it refuses. The folder offered is a temporary one.
@Suite(.serialized) struct FileChooserTests {
    /// A ui_server offering one temporary folder ("Home"), and an app with a
    /// window. The folder: Pictures/cat.png, a.txt, b.png, .hidden.
    final class Fixture {
        let h: UIServerHarness
        let root: String
        let app: TestApp
        let window: TestApp.Created

        init(offerFolder: Bool = true, secondFolder: Bool = false) throws {
            h = try UIServerHarness(width: 640, height: 480)
            root = NSTemporaryDirectory() + "wskdesk-chooser-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: root + "/Pictures", withIntermediateDirectories: true)
            try Data("meow".utf8).write(to: URL(fileURLWithPath: root + "/Pictures/cat.png"))
            try Data("alpha".utf8).write(to: URL(fileURLWithPath: root + "/a.txt"))
            try Data("bee".utf8).write(to: URL(fileURLWithPath: root + "/b.png"))
            try Data("dot".utf8).write(to: URL(fileURLWithPath: root + "/.hidden"))
            if offerFolder { try h.server.allowFiles(in: root, label: "Home") }
            if secondFolder {
                try FileManager.default.createDirectory(atPath: root + "-work", withIntermediateDirectories: true)
                try Data("work".utf8).write(to: URL(fileURLWithPath: root + "-work/w.txt"))
                try h.server.allowFiles(in: root + "-work")
            }
            app = try h.app("paint")
            window = try app.createWindow(width: 40, height: 30) { _, _ in 0x00d0_2020 }
            _ = try h.settle()
            _ = try app.events(window)
        }

        deinit {
            h.stop()
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: root + "-work")
        }

        func ask(_ mode: FileChooserMode, types: String = "", name: String = "", window: UInt32? = nil, from app: TestApp? = nil)
            throws
        {
            var p = PayloadWriter()
            p.u32(window ?? self.window.id)
            p.u32(mode.rawValue)
            p.u32(UInt32(types.utf8.count))
            p.text(types)
            p.text(name)
            try (app ?? self.app).send(WindowProtocol.chooseFile, p.bytes)
            _ = try h.settle()
        }

        /// A key press, handled (and drawn) before this returns.
        func press(_ keysym: UInt32, _ text: String = "") throws {
            try h.key(100, keysym: keysym, text: text)
            _ = try h.settle()
        }

        /// Two clicks in a row, as quick as a user's double click.
        func doubleClick(_ x: Int, _ y: Int) throws {
            try h.click(at: x, y)
            try h.click(at: x, y)
            _ = try h.settle()
        }

        /// A click, handled (and drawn) before this returns.
        func click(_ x: Int, _ y: Int) throws {
            try h.click(at: x, y)
            _ = try h.settle()
        }

        func type(_ text: String) throws {
            for c in text.unicodeScalars { try press(c.value, String(c)) }
        }

        var dialog: FileDialog? { h.onServer { $0.compositor.dialog } }

        func layout() throws -> FileDialog.Layout {
            let dialog = try #require(self.dialog)
            return dialog.layout(on: Rect(x: 0, y: 0, width: 640, height: 480))
        }

        /// The chooser's answers the app got, after everything sent so far.
        func answers() throws -> [(UInt32, [UInt8])] {
            _ = try h.settle()
            return try app.events(window).filter {
                $0.0 == WindowProtocol.fileChosen || $0.0 == WindowProtocol.fileNotChosen
            }
        }

        /// The one answer: a chosen file's handle and name, or nil and the refusal.
        func answer() throws -> (file: Handle?, name: String, code: Int32?) {
            let all = try answers()
            try #require(all.count == 1, "one answer, got \(all.count)")
            var r = PayloadReader(all[0].1)
            if all[0].0 == WindowProtocol.fileChosen {
                let raw = r.u64()
                let handle = Handle(rawValue: Int64(bitPattern: try #require(raw)))
                return (handle, r.text(), nil)
            }
            let code = try #require(r.i32() as Int32?)
            return (nil, r.text(), code)
        }

        func read(_ file: Handle) throws -> String {
            var bytes = [UInt8](repeating: 0, count: 64)
            let count = try bytes.withUnsafeMutableBytes { buffer in
                try Result { () throws(SysError) in try h.kernel.read(app.actor, from: file, offset: 0, into: buffer) }.get()
            }
            return String(decoding: bytes.prefix(count), as: UTF8.self)
        }

        func contents(_ name: String) -> String? {
            FileManager.default.contents(atPath: root + "/" + name).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    static let enter: UInt32 = 0xff0d, escape: UInt32 = 0xff1b, down: UInt32 = 0xff54, up: UInt32 = 0xff52
    static let backspace: UInt32 = 0xff08, tab: UInt32 = 0xff09, end: UInt32 = 0xff57

    @Test func theDialogIsDrawnOverEverythingAndSaysWhoAsks() throws {
        let f = try Fixture()
        try f.ask(.open)
        let dialog = try #require(f.dialog)
        #expect(dialog.title == "paint wants to open a file")
        #expect(dialog.folder == "Home")
        #expect(dialog.rows.map(\.text) == ["Pictures", "a.txt", "b.png"], "folders first, dotfiles hidden")
        let screen = try f.h.settle()
        let l = try f.layout()
        #expect(screen[l.frame.x, l.frame.y] == FileDialog.border)
        #expect(screen[l.frame.x + 3, l.frame.y + 3] == FileDialog.background)
        func count(_ color: UInt32, in r: Rect) -> Int {
            var n = 0
            for y in r.y..<r.maxY { for x in r.x..<r.maxX where screen[x, y] == color { n += 1 } }
            return n
        }
        #expect(count(FileDialog.text, in: l.title) > 100, "the title is written")
        #expect(count(FileDialog.folderText, in: l.folder) > 20, "the folder is written")
        let firstRow = Rect(x: l.list.x, y: l.list.y, width: l.list.width, height: FileDialog.rowHeight)
        #expect(count(FileDialog.selection, in: firstRow) > 1000, "the first row is selected")
        #expect(count(FileDialog.folderText, in: firstRow) > 20, "Pictures/ is written as a folder")
        // Keys go to the chooser, not to the app.
        try f.press(Self.down)
        #expect(try f.app.events(f.window).filter { $0.0 == WindowProtocol.key }.isEmpty)
        #expect(f.dialog?.selected == 1)
    }

    @Test func choosingAFileWithTheKeyboardGivesTheAppThatFileReadOnly() throws {
        let f = try Fixture()
        try f.ask(.open)
        try f.press(Self.down)
        try f.press(Self.enter)
        let answer = try f.answer()
        let file = try #require(answer.file)
        #expect(answer.name == "a.txt")
        #expect(try f.read(file) == "alpha")
        #expect(throws: SysError.noRights) {
            try [UInt8]("x".utf8).withUnsafeBytes { raw in try f.h.kernel.write(f.app.actor, to: file, offset: 0, from: raw) }
        }
        #expect(f.dialog == nil)
        #expect(f.contents("a.txt") == "alpha")
    }

    @Test func foldersOpenAndBackspaceGoesUpButNeverAboveTheRoot() throws {
        let f = try Fixture()
        try f.ask(.edit)
        try f.press(Self.backspace)
        #expect(f.dialog?.folder == "Home")
        try f.press(Self.enter)  // Pictures
        #expect(f.dialog?.folder == "Home/Pictures")
        #expect(f.dialog?.rows.map(\.text) == ["cat.png"])
        try f.press(Self.backspace)
        #expect(f.dialog?.folder == "Home")
        #expect(f.dialog?.selected == 0, "back on Pictures")
        try f.press(Self.enter)
        try f.press(Self.enter)
        let answer = try f.answer()
        let file = try #require(answer.file)
        #expect(answer.name == "cat.png")
        #expect(try f.read(file) == "meow")
        // Edit: read and write.
        try [UInt8]("purr".utf8).withUnsafeBytes { raw in try f.h.kernel.write(f.app.actor, to: file, offset: 0, from: raw) }
        #expect(f.contents("Pictures/cat.png") == "purr")
    }

    @Test func choosingWithTheMouseDoubleClickOrOpenButton() throws {
        let f = try Fixture()
        try f.ask(.open, types: "png")
        var l = try f.layout()
        let row = { (i: Int) in (l.list.x + 20, l.list.y + i * FileDialog.rowHeight + 5) }
        // a.txt is not a png: grey, and not chosen.
        #expect(f.dialog?.rows[1].enabled == false)
        try f.doubleClick(row(1).0, row(1).1)
        #expect(try f.answers().isEmpty)
        #expect(f.dialog != nil)
        // A click selects, Open chooses.
        try f.click(row(2).0, row(2).1)
        #expect(f.dialog?.selected == 2)
        l = try f.layout()
        try f.click(l.confirm.x + 5, l.confirm.y + 5)
        var answer = try f.answer()
        #expect(answer.name == "b.png")
        #expect(try f.read(try #require(answer.file)) == "bee")
        // A double click chooses at once.
        try f.ask(.open)
        try f.doubleClick(row(2).0, row(2).1)
        answer = try f.answer()
        #expect(answer.name == "b.png")
        // The app saw no press while the chooser was open.
        #expect(try f.app.events(f.window).filter { $0.0 == WindowProtocol.pointerButton }.isEmpty)
    }

    @Test func escapeOrCancelSaysCancelled() throws {
        let f = try Fixture()
        try f.ask(.open)
        try f.press(Self.escape)
        var answer = try f.answer()
        #expect(answer.file == nil)
        #expect(answer.code == ProtocolError.cancelled.rawValue)
        #expect(f.dialog == nil)
        try f.ask(.save, name: "x.png")
        let l = try f.layout()
        try f.click(l.cancel.x + 5, l.cancel.y + 5)
        answer = try f.answer()
        #expect(answer.code == ProtocolError.cancelled.rawValue)
        #expect(f.contents("x.png") == nil)
    }

    @Test func saveAsANewNameCreatesIt() throws {
        let f = try Fixture()
        try f.ask(.save, name: "drawing.png")
        #expect(f.dialog?.title == "paint wants to save a file")
        #expect(f.dialog?.name == "drawing.png")
        try f.press(Self.backspace)
        try f.press(Self.backspace)
        try f.press(Self.backspace)
        try f.type("txt")
        try f.press(Self.enter)
        let answer = try f.answer()
        let file = try #require(answer.file)
        #expect(answer.name == "drawing.txt")
        #expect(f.contents("drawing.txt") == "")
        try [UInt8]("lines".utf8).withUnsafeBytes { raw in try f.h.kernel.write(f.app.actor, to: file, offset: 0, from: raw) }
        #expect(f.contents("drawing.txt") == "lines")
        #expect(f.contents("drawing.png") == nil)
    }

    @Test func saveOverAnExistingFileAsksAndReplacesOnlyAfterYes() throws {
        let f = try Fixture()
        try f.ask(.save, name: "a.txt")
        try f.press(Self.enter)
        #expect(try f.answers().isEmpty)
        #expect(f.dialog?.message?.hasPrefix("Replace a.txt?") == true)
        try f.type("n")
        #expect(f.dialog?.message == nil, "back to the dialog")
        #expect(f.contents("a.txt") == "alpha")
        try f.press(Self.enter)
        #expect(f.dialog?.message?.hasPrefix("Replace a.txt?") == true)
        #expect(f.contents("a.txt") == "alpha")
        try f.type("y")
        let answer = try f.answer()
        let file = try #require(answer.file)
        #expect(answer.name == "a.txt")
        #expect(f.contents("a.txt") == "", "replaced: emptied for the app to write")
        try [UInt8]("omega".utf8).withUnsafeBytes { raw in try f.h.kernel.write(f.app.actor, to: file, offset: 0, from: raw) }
        #expect(f.contents("a.txt") == "omega")
    }

    @Test(arguments: ["../x", "..", ".", "sub/x", "Pictures"])
    func aTypedNameThatIsNotAFileHereIsRefusedInTheDialog(name: String) throws {
        let f = try Fixture()
        try f.ask(.save)
        try f.type(name)
        try f.press(Self.enter)
        #expect(try f.answers().isEmpty)
        #expect(f.dialog?.message != nil, "the dialog says why")
        let parent = (f.root as NSString).deletingLastPathComponent
        #expect(!FileManager.default.fileExists(atPath: parent + "/x"))
        #expect(!FileManager.default.fileExists(atPath: f.root + "/x"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.root).sorted() == [".hidden", "Pictures", "a.txt", "b.png"])
    }

    @Test func aSymlinkOrFIFOCannotBeChosen() throws {
        let f = try Fixture()
        let outside = f.root + "-outside.png"
        try Data("secret".utf8).write(to: URL(fileURLWithPath: outside))
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try FileManager.default.createSymbolicLink(atPath: f.root + "/link.png", withDestinationPath: outside)
        #expect(mkfifo(f.root + "/pipe.png", 0o644) == 0)
        try f.ask(.open)
        #expect(f.dialog?.rows.map(\.text) == ["Pictures", "a.txt", "b.png"], "never offered")
        try f.press(Self.escape)
        _ = try f.answers()
        for name in ["link.png", "pipe.png"] {
            try f.ask(.save)
            try f.type(name)
            try f.press(Self.enter)
            #expect(try f.answers().isEmpty, "\(name)")
            #expect(f.dialog?.message?.contains("not a plain file") == true)
            try f.press(Self.escape)
            _ = try f.answers()
        }
        #expect(FileManager.default.contents(atPath: outside) == Data("secret".utf8))
    }

    @Test func oneChooserAtATimePerApp() throws {
        let f = try Fixture()
        try f.ask(.open)
        try f.ask(.save, name: "other.png")
        let answer = try f.answer()
        #expect(answer.code == ProtocolError.busy.rawValue)
        #expect(f.dialog?.title == "paint wants to open a file", "the first one stays")
    }

    @Test func anotherAppsWindowIsRefused() throws {
        let f = try Fixture()
        let intruder = try f.h.app("intruder")
        let own = try intruder.createWindow(width: 20, height: 20) { _, _ in 0 }
        try f.ask(.open, window: f.window.id, from: intruder)
        #expect(f.dialog == nil)
        #expect(try f.answers().isEmpty)
        #expect(try intruder.events(own).filter { $0.0 == WindowProtocol.fileChosen || $0.0 == WindowProtocol.fileNotChosen }.isEmpty)
    }

    @Test func anotherAppsRequestWaitsItsTurn() throws {
        let f = try Fixture()
        let other = try f.h.app("fractal")
        let window = try other.createWindow(width: 20, height: 20) { _, _ in 0 }
        try f.ask(.open)
        try f.ask(.save, window: window.id, from: other)
        #expect(f.dialog?.title == "paint wants to open a file")
        try f.press(Self.escape)
        #expect(try f.answer().code == ProtocolError.cancelled.rawValue)
        #expect(f.dialog?.title == "fractal wants to save a file", "then the waiting one")
        try f.press(Self.escape)
        let answers = try other.events(window).filter { $0.0 == WindowProtocol.fileNotChosen }
        #expect(answers.count == 1)
    }

    @Test func manyFilesScrollByKeysAndWheel() throws {
        let f = try Fixture()
        for i in 0..<60 { try Data().write(to: URL(fileURLWithPath: f.root + "/file\(100 + i).txt")) }
        try f.ask(.open)
        let visible = try f.layout().visibleRows
        #expect(visible < 63)
        try f.press(Self.end)
        #expect(f.dialog?.selected == 62)
        #expect(f.dialog?.top == 63 - visible, "the last row in view")
        try f.press(0xff50)  // Home
        #expect(f.dialog?.top == 0)
        let l = try f.layout()
        try f.h.moveTo(l.list.x + 10, l.list.y + 10)
        var p = PayloadWriter()
        p.f64(0)
        p.f64(2)
        try f.h.kernel.send(f.h.input, to: f.h.inputHandle, opcode: WindowProtocol.inputPointerScroll, payload: p.bytes)
        _ = try f.h.settle()
        #expect(f.dialog?.top == 6, "two wheel steps, three rows each")
        #expect(try f.app.events(f.window).filter { $0.0 == WindowProtocol.pointerScroll }.isEmpty)
    }

    @Test func severalFoldersAreChosenFirstAndNeverLeft() throws {
        let f = try Fixture(secondFolder: true)
        try f.ask(.open)
        let work = (f.root + "-work" as NSString).lastPathComponent
        #expect(f.dialog?.folder == "Choose a place")
        #expect(f.dialog?.rows.map(\.text) == ["Home", work])
        try f.press(Self.backspace)
        #expect(f.dialog?.folder == "Choose a place", "nothing above the places")
        try f.press(Self.down)
        try f.press(Self.enter)
        #expect(f.dialog?.folder == work)
        try f.press(Self.backspace)
        #expect(f.dialog?.selected == 1, "back on the place left")
        try f.press(Self.enter)
        try f.press(Self.enter)
        let answer = try f.answer()
        #expect(answer.name == "w.txt")
        #expect(try f.read(try #require(answer.file)) == "work")
    }

    @Test func noFolderOfferedSaysHowToOfferOne() throws {
        let f = try Fixture(offerFolder: false)
        try f.ask(.open)
        let answer = try f.answer()
        #expect(answer.code == ProtocolError.noFiles.rawValue)
        #expect(answer.name.contains("--file-root"))
        #expect(f.dialog == nil)
    }

    @Test func theAppEndingClosesItsChooserAndItIsNotHungMeanwhile() throws {
        let f = try Fixture()
        try f.ask(.open)
        let app = f.app.actor
        let beat = f.h.onServer { $0.heartbeat(app) }
        #expect(beat?.queued == 0, "waiting on the user is not hanging")
        #expect(try f.app.events(f.window).filter { $0.0 == WindowProtocol.heartbeat }.isEmpty)
        f.h.kernel.terminate(f.app.actor, reason: .exited(code: 0))
        _ = try f.h.settle()
        #expect(f.dialog == nil)
        #expect(f.h.onServer { $0.chooser == nil })
    }
}
