import Foundation
import Testing

import Compositor

/// `--output SPEC` and layout files: what parses, and the words each
/// mistake is answered with.
@Suite struct OutputRuleTests {
    @Test func parsesEveryField() throws {
        let rule = try OutputRule(parsing: "HDMI-A-1 mode=1920x1080@59.94 pos=1280,0\trotate=90  primary")
        #expect(rule == OutputRule(match: "HDMI-A-1", mode: ModeRequest(width: 1920, height: 1080, refreshMilliHertz: 59_940),
                                   position: (1280, 0), rotation: .degrees90, primary: true))
        #expect(try OutputRule(parsing: "Virtual-1") == OutputRule(match: "Virtual-1"))
        #expect(try OutputRule(parsing: "  eDP-1 off ") == OutputRule(match: "eDP-1", off: true))
        #expect(try OutputRule(parsing: "DP-1 pos=32767,0 rotate=0").position! == (32767, 0))
        #expect(try OutputRule(parsing: "hdmi-a-1").matches("HDMI-A-1"))
        #expect(try !OutputRule(parsing: "HDMI-A-1").matches("HDMI-A-10"))
    }

    /// Each mistake, and the words that say what is wrong and how it is written.
    @Test(arguments: [
        ("", "an empty output rule: it starts with the output's connector name, e.g. HDMI-A-1"),
        ("   \t ", "an empty output rule"),
        ("HDMI-A-1 rotate=45", "rotate=45 for HDMI-A-1: a rotation is 0, 90, 180 or 270 (degrees clockwise)"),
        ("HDMI-A-1 rotate=-90", "rotate=-90 for HDMI-A-1: a rotation is 0, 90, 180 or 270"),
        ("HDMI-A-1 rotate=", "rotate= for HDMI-A-1: a rotation is 0, 90, 180 or 270"),
        ("HDMI-A-1 rotate", "rotate for HDMI-A-1: a rotation is 0, 90, 180 or 270"),
        ("HDMI-A-1 pos=-10,0", "pos=-10,0 for HDMI-A-1: a position is X,Y in desktop pixels, each 0 to 32767, e.g. pos=1920,0"),
        ("HDMI-A-1 pos=32768,0", "pos=32768,0 for HDMI-A-1: a position is X,Y"),
        ("HDMI-A-1 pos=1,2,3", "pos=1,2,3 for HDMI-A-1: a position is X,Y"),
        ("HDMI-A-1 pos=1920", "pos=1920 for HDMI-A-1: a position is X,Y"),
        ("HDMI-A-1 pos=x,0", "pos=x,0 for HDMI-A-1: a position is X,Y"),
        ("HDMI-A-1 mode=big", "mode=big for HDMI-A-1: a mode is WIDTHxHEIGHT or WIDTHxHEIGHT@HZ, e.g. mode=1920x1080"),
        ("HDMI-A-1 mode=1920x1080@0", "mode=1920x1080@0 for HDMI-A-1: a mode is WIDTHxHEIGHT"),
        ("HDMI-A-1 scale=2", "unknown setting scale=2 for HDMI-A-1: the settings are mode=WIDTHxHEIGHT[@HZ], pos=X,Y, "
            + "rotate=0|90|180|270, primary and off"),
        ("HDMI-A-1 Rotate=90", "unknown setting Rotate=90 for HDMI-A-1"),
        ("HDMI-A-1 rotate=90 rotate=180", "rotate is given twice for HDMI-A-1 (rotate=90 and rotate=180): give it once"),
        ("HDMI-A-1 primary primary", "primary is given twice for HDMI-A-1"),
        ("HDMI-A-1 primary=yes", "primary=yes for HDMI-A-1: primary takes no value, write just primary"),
        ("HDMI-A-1 off=1", "off=1 for HDMI-A-1: off takes no value"),
        ("HDMI-A-1 primary off", "HDMI-A-1 is both primary and off: the primary output is one that is lit"),
        ("rotate=90", "rotate=90 is a setting, not an output: a rule starts with the output's connector name, "
            + "e.g. \"HDMI-A-1 rotate=90\""),
        ("primary", "primary is a setting, not an output"),
        ("HDMI/A/1", "\"HDMI/A/1\" is not an output name: outputs are named by their connector, e.g. HDMI-A-1"),
        ("HDMI\u{1b}[31m rotate=90", "\"HDMI\\e[31m\" is not an output name"),
        ("HDMI-A-1\u{202e} off", "\"HDMI-A-1\\u{202e}\" is not an output name"),
        ("Écran-1", "\"Écran-1\" is not an output name"),
        (String(repeating: "A", count: 33), "\"" + String(repeating: "A", count: 33) + "\" is not an output name"),
        (String(repeating: "B", count: 100), "\"" + String(repeating: "B", count: 40) + "...\" is not an output name"),
    ])
    func refusesWithWordsThatSayWhy(_ spec: String, _ words: String) {
        #expect {
            try OutputRule(parsing: spec)
        } throws: { error in
            (error as? LayoutError)?.description.contains(words) == true
        }
    }

    @Test func theMessageNamesTheWordAsGiven() throws {
        #expect(throws: LayoutError("rotate=45 for HDMI-A-1: a rotation is 0, 90, 180 or 270 (degrees clockwise)")) {
            try OutputRule(parsing: "HDMI-A-1 rotate=45")
        }
    }

    @Test func aSetOfRulesHasOneRulePerOutputAndOnePrimary() throws {
        let rules = try ["HDMI-A-1 rotate=90", "eDP-1 primary", "hdmi-a-1 off"].map { try OutputRule(parsing: $0) }
        #expect(throws: LayoutError("two rules for hdmi-a-1: HDMI-A-1 (a.conf:1) and hdmi-a-1 (--output); "
                                    + "put all of an output's settings in one rule")) {
            try OutputRule.check(rules, sources: ["a.conf:1", "a.conf:2", "--output"])
        }
        let primaries = try ["DP-1 primary", "DP-2 primary"].map { try OutputRule(parsing: $0) }
        #expect(throws: LayoutError("DP-1 and DP-2 are both marked primary: one output is")) {
            try OutputRule.check(primaries)
        }
        try OutputRule.check(Array(rules.prefix(2)))
    }

    // MARK: layout files

    @Test func layoutFileSkipsCommentsAndBlankLines() throws {
        let text = """
            # the desk
            eDP-1 pos=0,0   # the laptop

            \tHDMI-A-1 pos=1920,0 rotate=90 primary\r
            #DP-1 off
            DP-2 off
            """
        let rules = try LayoutFile.parse(Array(text.utf8), file: "desk.conf")
        #expect(rules == [
            OutputRule(match: "eDP-1", position: (0, 0)),
            OutputRule(match: "HDMI-A-1", position: (1920, 0), rotation: .degrees90, primary: true),
            OutputRule(match: "DP-2", off: true),
        ])
        #expect(try LayoutFile.parse([], file: "empty.conf").isEmpty)
    }

    @Test func layoutFileErrorsNameFileAndLine() {
        func message(_ text: [UInt8]) -> String {
            do {
                _ = try LayoutFile.parse(text, file: "desk.conf")
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(message(Array("# desk\n\neDP-1\nHDMI-A-1 rotate=45\n".utf8))
                == "desk.conf:4: rotate=45 for HDMI-A-1: a rotation is 0, 90, 180 or 270 (degrees clockwise)")
        #expect(message(Array("eDP-1\n\nedp-1 off\n".utf8))
                == "two rules for edp-1: eDP-1 (desk.conf:1) and edp-1 (desk.conf:3); put all of an output's settings in one rule")
        #expect(message(Array("eDP-1\nDP-1 \u{1b}[2J\n".utf8))
                == "desk.conf:2: a control character (\\e): a layout file is plain text, one output rule a line")
        #expect(message(Array("eDP-1\n# caf".utf8) + [0xE9, 0x0A])
                == "desk.conf:2: not UTF-8 text: a layout file is plain text, one output rule a line")
        #expect(message([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x00]).hasPrefix("desk.conf:1: a control character (\\x7f)"))
        #expect(message(Array("eDP-1 # a \u{202e} trick\n".utf8)).hasPrefix("desk.conf:1: a control character (\\u{202e})"))
    }

    @Test func layoutFilesThatAreNotSmallTextFilesAreRefused() throws {
        let dir = NSTemporaryDirectory() + "wskdesk-layout-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func message(_ path: String) -> String {
            do {
                _ = try LayoutFile.load(path: path)
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(message(dir + "/missing.conf") == "no layout file \"\(dir)/missing.conf\": check the name and the folder")
        #expect(message(dir) == "\"\(dir)\" is a folder: a layout is a text file, one output rule a line")
        #expect(mkfifo(dir + "/pipe", 0o644) == 0)
        #expect(message(dir + "/pipe") == "\"\(dir)/pipe\" is not a regular file (a device, FIFO or socket): "
                + "a layout is a text file, one output rule a line")

        // At the limit it is read; one byte more is refused.
        let line = "# " + String(repeating: "x", count: 1021) + "\n"  // 1024 bytes
        let full = String(repeating: line, count: 63) + "HDMI-A-1 rotate=270" + String(repeating: " ", count: 1004) + "\n"
        #expect(full.utf8.count == LayoutFile.maxBytes)
        try full.write(toFile: dir + "/full.conf", atomically: false, encoding: .utf8)
        #expect(try LayoutFile.load(path: dir + "/full.conf") == [OutputRule(match: "HDMI-A-1", rotation: .degrees270)])
        try (full + "\n").write(toFile: dir + "/huge.conf", atomically: false, encoding: .utf8)
        #expect(message(dir + "/huge.conf") == "the layout file \"\(dir)/huge.conf\" is larger than 64 KiB: "
                + "a layout is a few lines, one output rule a line")

        if getuid() != 0 {
            try "eDP-1\n".write(toFile: dir + "/secret.conf", atomically: false, encoding: .utf8)
            #expect(chmod(dir + "/secret.conf", 0) == 0)
            #expect(message(dir + "/secret.conf") == "cannot read the layout file \"\(dir)/secret.conf\": Permission denied")
        }
    }
}
