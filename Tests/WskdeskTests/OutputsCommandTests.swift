import Foundation
import Testing

/// `wskdesk outputs` shows the layout the output flags would light, here on
/// headless outputs; bad output flags stop `wskdesk run` before anything
/// runs, in words naming the output.
@Suite struct OutputsCommandTests {
    @Test func showsTheHeadlessLayoutTheFlagsWouldLight() throws {
        let (status, output) = try runWskdesk(["outputs", "--backend", "headless", "--size", "800x600,640x480",
                                               "--output", "HEADLESS-2 rotate=90"])
        #expect(status == 0, "\(output)")
        #expect(output == """
            HEADLESS-1 connected: 800x600@60 (preferred)
            HEADLESS-2 connected: 640x480@60 (preferred)
            Layout:
              HEADLESS-1 800x600@60 at 0,0 (primary)
              HEADLESS-2 640x480@60 at 800,0 rotated 90

            """)
    }

    @Test func aLayoutFileAndFlagsTogether() throws {
        let dir = NSTemporaryDirectory() + "wskdesk-outputs-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            # two screens, the small one on top
            HEADLESS-2 pos=0,0
            HEADLESS-1 pos=0,480 primary
            DP-3 off
            """.write(toFile: dir + "/desk.conf", atomically: false, encoding: .utf8)
        let (status, output) = try runWskdesk(["outputs", "--backend", "headless", "--size", "800x600,640x480,320x240",
                                               "--layout", dir + "/desk.conf", "--output", "HEADLESS-3 off"])
        #expect(status == 0, "\(output)")
        #expect(output.hasSuffix("""
            Layout:
              HEADLESS-1 800x600@60 at 0,480 (primary)
              HEADLESS-2 640x480@60 at 0,0
              HEADLESS-3 off
            warning: no monitor on connector DP-3 (connected: HEADLESS-1, HEADLESS-2, HEADLESS-3): its settings wait until one is plugged in

            """), "\(output)")
    }

    /// Each mistake is refused by `outputs` and by `run` alike, before
    /// anything runs.
    @Test func badOutputSettingsAreRefusedInWords() throws {
        let dir = NSTemporaryDirectory() + "wskdesk-outputs-bad-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "HEADLESS-1\nHEADLESS-2 rotate=45\n".write(toFile: dir + "/bad.conf", atomically: false, encoding: .utf8)
        try "HEADLESS-1\n".write(toFile: dir + "/good.conf", atomically: false, encoding: .utf8)
        let size = ["--size", "800x600,640x480"]
        let cases: [([String], String)] = [
            (["--output", "HEADLESS-2 rotate=45"], "--output: rotate=45 for HEADLESS-2: a rotation is 0, 90, 180 or 270 (degrees clockwise)"),
            (["--output", "HEADLESS-2 zoom=2"], "--output: unknown setting zoom=2 for HEADLESS-2: the settings are"),
            (["--layout", dir + "/bad.conf"], "\(dir)/bad.conf:2: rotate=45 for HEADLESS-2: a rotation is 0, 90, 180 or 270"),
            (["--layout", dir + "/none.conf"], "no layout file \"\(dir)/none.conf\": check the name and the folder"),
            (["--layout", dir + "/good.conf", "--output", "headless-1 primary"],
             "two rules for headless-1: HEADLESS-1 (in \"\(dir)/good.conf\") and headless-1 (--output); "
                + "put all of an output's settings in one rule"),
            (["--only"], "--only lights just the outputs named by --output or --layout, and none is named"),
            (["--mode", "huge"], "--mode \"huge\": a mode is WIDTHxHEIGHT or WIDTHxHEIGHT@HZ"),
            (["--output", "HEADLESS-1 mode=800x600", "--mode", "640x480"],
             "--mode 640x480 and mode=800x600 in the rule for HEADLESS-1 both set the primary output's mode: give one"),
            (["--size", "800x600,tiny"], "--size \"tiny\": a size is WIDTHxHEIGHT, each 16 to 8192"),
        ]
        for (arguments, message) in cases {
            for command in [["outputs"], ["run", "--screenshot-delay", "0", "--screenshot", dir + "/never.png"]] {
                let (status, output) = try runWskdesk(command + ["--backend", "headless"] + size + arguments)
                #expect(status != 0, "\(command) \(arguments)")
                #expect(output.contains(message), "\(command) \(arguments): \(output)")
                #expect(!FileManager.default.fileExists(atPath: dir + "/never.png"))
            }
        }
    }

    /// What only the monitors can say: `outputs` shows it; the running
    /// desktop's start (H1 wiring) says the same through `arrangeAtStart`.
    @Test func overlapsAndModesNotOfferedNameTheOutputs() throws {
        let cases: [([String], String)] = [
            (["--output", "HEADLESS-1 pos=0,0", "--output", "HEADLESS-2 pos=700,100"],
             "outputs HEADLESS-1 (800x600 at 0,0) and HEADLESS-2 (640x480 at 700,100) overlap: move one with pos=X,Y"),
            (["--output", "HEADLESS-2 mode=1920x1080"], "HEADLESS-2 does not offer mode=1920x1080: it offers 640x480@60 (preferred)"),
        ]
        for (arguments, message) in cases {
            let (status, output) = try runWskdesk(["outputs", "--backend", "headless", "--size", "800x600,640x480"] + arguments)
            #expect(status == 1, "\(arguments)")
            #expect(output.contains("wskdesk outputs: " + message), "\(arguments): \(output)")
        }
    }
}
