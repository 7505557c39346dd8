import ArgumentParser
import Foundation
import Interp

/// `wskdesk manual`: the man page, wskdesk.1, in roff, made from the same
/// definitions as `--help` so the two never disagree. `scripts/install`
/// writes it to PREFIX/share/man/man1.
struct Manual: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manual", abstract: "Print the man page (roff) to standard output.", shouldDisplay: false)

    func run() {
        print(Manual.page(date: "December 2026"))
    }

    static func page(date: String) -> String {
        // The page is written once (scripts/install) and read by every user:
        // it states where plugins are looked for, not where they were for
        // whoever wrote it.
        let resolved = PluginFolders.helpShowsResolvedFolders.withLock { shows in
            defer { shows = false }
            return shows
        }
        defer { PluginFolders.helpShowsResolvedFolders.withLock { $0 = resolved } }
        let top = WskDesk.configuration
        var lines = [
            #".TH WSKDESK 1 "\#(date)" "wskdesk" "User Commands""#,
            ".SH NAME", "wskdesk \\- \(escape(top.abstract))",
            ".SH SYNOPSIS", ".B wskdesk", "[\\fIsubcommand\\fR] [\\fIoptions\\fR]",
            ".SH DESCRIPTION", escape(top.discussion),
            ".PP",
            "Without a subcommand wskdesk runs the desktop (\\fBwskdesk run\\fR). "
                + "Installed, it finds its actors in \\fIPREFIX/share/wskdesk/actors\\fR.",
        ]
        for command in top.subcommands where command.configuration.shouldDisplay {
            let name = command.configuration.commandName ?? "\(command)".lowercased()
            lines += [".SH \"WSKDESK \(name.uppercased())\"", ".nf"]
            lines += WskDesk.helpMessage(for: command, columns: 78).split(separator: "\n", omittingEmptySubsequences: false)
                .map { escape(String($0)) }
            lines.append(".fi")
        }
        lines += [
            ".SH SEAT",
            "On a VT wskdesk gets the display and input devices through libseat: from seatd (its socket, "
                + "\\fI/run/seatd.sock\\fR, is open to the group seatd runs with: Debian runs \\fBseatd \\-g video\\fR) "
                + "or from logind (a session from logging in on that VT). "
                + "An ordinary user needs one of them; root without either opens the devices itself. "
                + "\\fBLIBSEAT_BACKEND\\fR=\\fIseatd\\fR|\\fIlogind\\fR|\\fIbuiltin\\fR picks one.",
            ".SH \"EXIT STATUS\"",
            ".TP", "0", "stopped as asked (a signal, the quit key, the kiosk's admin box)",
            ".TP", "1", "an error: said on the log's last line",
            ".TP", "\(SeatMessages.lostExitStatus)",
            "the seat was lost while wskdesk ran (seatd or logind went away): the display and input devices are gone. "
                + "A service manager that restarts wskdesk (the kiosk unit's \\fBRestart=always\\fR) starts it again",
            ".TP", "64", "a mistake in the command line",
            ".SH FILES",
            ".TP", "\\fIPREFIX/share/wskdesk/actors\\fR", "apps, \\fIplugins/\\fR and \\fIformulas/\\fR",
            ".TP", "\\fIPREFIX/share/wskdesk/sdk\\fR", "the Rust SDK's sources, for building plugins",
            ".TP", "\\fI\(escape(PluginFolders.systemFolder))\\fR", "filter plugins for every user (override the built-in ones)",
            ".TP", "\\fI$XDG_DATA_HOME/wskdesk/plugins\\fR",
            "your own filter plugins (default \\fI~/.local/share/wskdesk/plugins\\fR; override the system's); "
                + "\\fB\\-\\-plugins\\fR adds more. wskdesk watches them and tells paint of each change",
            ".TP", "\\fI$XDG_CACHE_HOME/wskdesk/compiled\\fR", "compiled actors (the compiled tier's cache)",
            ".TP", "\\fI\(ModuleCompiler.systemDirectory)\\fR",
            "compiled actors for every user (the system cache: root's, filled by \\fBwskdesk compile \\-\\-system\\fR)",
            ".SH SEE ALSO", "\\fIPREFIX/share/doc/wskdesk/\\fR: README.md, ABI.md, manifest.md, kiosk.md, plugins.md",
        ]
        return lines.joined(separator: "\n")
    }

    /// Text safe in roff: backslashes written `\e`, hyphens as `\-` (so
    /// options copy and paste as typed), and a line that would start with a
    /// control character (`.` or `'`) guarded.
    static func escape(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
        return escaped.first == "." || escaped.first == "'" ? "\\&" + escaped : escaped
    }
}
