import Testing

import Compositor

/// The hotplug state machine's decisions, driven by a fake list of
/// connected monitors: appear, vanish, zero, reappear with what was
/// remembered, a different monitor on the same connector, arrival order,
/// rules against memory, and the warnings and errors of bad settings.
@Suite struct OutputConfiguratorTests {
    static func mode(_ width: Int, _ height: Int, hz: Int = 60, preferred: Bool = false) -> DisplayMode {
        DisplayMode(width: width, height: height, refreshMilliHertz: hz * 1000, isPreferred: preferred)
    }

    static let laptop = Monitor(connector: "eDP-1", identity: "BOE 0x0a1b #0", modes: [mode(1920, 1200, preferred: true), mode(1280, 800), mode(1280, 720)],
                                isBuiltIn: true)
    static let tv = Monitor(connector: "HDMI-A-1", identity: "GSM 0x5b09 #16843009 LG TV",
                            modes: [mode(1920, 1080, preferred: true), mode(1280, 720), mode(1280, 720, hz: 50)])
    static let otherTV = Monitor(connector: "HDMI-A-1", identity: "SAM 0x1234 #7 Samsung",
                                 modes: [mode(3840, 2160, preferred: true), mode(1920, 1080)])
    static let dp = Monitor(connector: "DP-2", modes: [mode(2560, 1440, preferred: true)])

    static func rules(_ specs: String...) throws -> [OutputRule] { try specs.map { try OutputRule(parsing: $0) } }

    /// "eDP-1 1920x1200@60 at 0,0 rotate=0 primary": what a test compares.
    static func lines(_ arrangement: Arrangement) -> [String] {
        arrangement.layout.outputs.map { output in
            "\(output.name) \(arrangement.modes[output.name]!) at \(output.x),\(output.y) rotate=\(output.rotation)"
                + (output.primary ? " primary" : "")
        }
    }

    // MARK: defaults

    @Test func everyMonitorLitLeftToRightInConnectorOrder() {
        var configurator = OutputConfigurator()
        let arrangement = configurator.arrange([Self.tv, Self.laptop, Self.dp])
        #expect(Self.lines(arrangement) == [
            "DP-2 2560x1440@60 at 0,0 rotate=0 primary",
            "HDMI-A-1 1920x1080@60 at 2560,0 rotate=0",
            "eDP-1 1920x1200@60 at 4480,0 rotate=0",
        ])
        #expect(arrangement.warnings.isEmpty && arrangement.dark.isEmpty)
    }

    @Test func connectorNumbersCountAsNumbers() {
        var configurator = OutputConfigurator()
        let names = ["DP-10", "DP-2", "dp-3", "Virtual-1", "DP-1-1"].map { Monitor(connector: $0, modes: [Self.mode(10, 10)]) }
        #expect(configurator.arrange(names).layout.outputs.map(\.name) == ["DP-1-1", "DP-2", "DP-10", "Virtual-1", "dp-3"])
    }

    // MARK: hotplug

    /// Monitors appearing one by one end where they would have been had
    /// they all been there at the start (cosmic-comp#2813).
    @Test func arrivalOrderDoesNotChangePositions() {
        var atOnce = OutputConfigurator()
        let expected = Self.lines(atOnce.arrange([Self.laptop, Self.tv, Self.dp]))
        for order in [[Self.tv, Self.dp, Self.laptop], [Self.dp, Self.laptop, Self.tv], [Self.laptop, Self.tv, Self.dp]] {
            var oneByOne = OutputConfigurator()
            var connected: [Monitor] = []
            var last: Arrangement?
            for monitor in order {
                connected.append(monitor)
                last = oneByOne.arrange(connected)
            }
            // The primary stays the first one lit (not moved by arrivals), so compare placements without it.
            #expect(last.map(Self.lines)?.map(Self.withoutPrimary) == expected.map(Self.withoutPrimary), "\(order.map(\.connector))")
        }
    }

    static func withoutPrimary(_ line: String) -> String {
        line.hasSuffix(" primary") ? String(line.dropLast(" primary".count)) : line
    }

    @Test func vanishingLeavesNoGapAndZeroMonitorsIsAnEmptyLayout() {
        var configurator = OutputConfigurator()
        let both = configurator.arrange([Self.laptop, Self.tv, Self.dp])
        // The middle one goes: the one to its right moves up, no gap.
        #expect(Self.lines(configurator.arrange([Self.dp, Self.laptop])) == [
            "DP-2 2560x1440@60 at 0,0 rotate=0 primary",
            "eDP-1 1920x1200@60 at 2560,0 rotate=0",
        ])
        let none = configurator.arrange([])
        #expect(none.layout.isEmpty && none.modes.isEmpty && none.warnings.isEmpty && none.dark.isEmpty)
        #expect(none.layout.bounds == .zero && none.layout.primary == nil)
        #expect(configurator.arrange([Self.tv, Self.dp, Self.laptop]) == both)
    }

    /// A TV switched off and on (to the kernel, an unplug) comes back with
    /// the mode, rotation and position it had, even when the rules that
    /// gave them are gone by then.
    @Test func reappearingMonitorGetsWhatItHad() throws {
        var configurator = OutputConfigurator(rules: try Self.rules("HDMI-A-1 mode=1280x720@50 rotate=90 pos=0,1200"))
        // Turned, it is 720 wide: the laptop goes to its right.
        let before = Self.lines(configurator.arrange([Self.laptop, Self.tv]))
        #expect(before == [
            "HDMI-A-1 1280x720@50 at 0,1200 rotate=90 primary",
            "eDP-1 1920x1200@60 at 720,0 rotate=0",
        ])
        configurator.rules = []
        #expect(Self.lines(configurator.arrange([Self.laptop])) == ["eDP-1 1920x1200@60 at 0,0 rotate=0 primary"])
        _ = configurator.arrange([])
        // Everything as it was, but the laptop keeps the primary it took meanwhile.
        let after = configurator.arrange([Self.laptop, Self.tv])
        #expect(Self.lines(after).map(Self.withoutPrimary) == before.map(Self.withoutPrimary))
        #expect(after.layout.primary?.name == "eDP-1")
    }

    /// The primary's --mode is given when it is first lit; a monitor that
    /// becomes primary later keeps the mode it has (no mode change under
    /// the user's windows), and the first comes back with its own.
    @Test func modesStayWithTheirMonitorsAcrossPrimaryChanges() throws {
        var configurator = OutputConfigurator(primaryMode: try ModeRequest(parsing: "1280x720"))
        #expect(Self.lines(configurator.arrange([Self.laptop, Self.tv])) == [
            "HDMI-A-1 1280x720@60 at 0,0 rotate=0 primary",
            "eDP-1 1920x1200@60 at 1280,0 rotate=0",
        ])
        // The laptop offers 1280x720 too, but keeps the mode it has.
        #expect(Self.lines(configurator.arrange([Self.laptop])) == ["eDP-1 1920x1200@60 at 0,0 rotate=0 primary"])
        // The laptop stays primary: it has the windows now.
        #expect(Self.lines(configurator.arrange([Self.laptop, Self.tv])) == [
            "HDMI-A-1 1280x720@60 at 0,0 rotate=0",
            "eDP-1 1920x1200@60 at 1280,0 rotate=0 primary",
        ])
    }

    /// Settings are remembered per monitor (connector and EDID identity):
    /// a different TV on the same connector starts from its own defaults.
    @Test func aDifferentMonitorOnTheSameConnectorGetsDefaults() throws {
        var configurator = OutputConfigurator(rules: try Self.rules("HDMI-A-1 rotate=180 mode=1280x720"))
        #expect(Self.lines(configurator.arrange([Self.tv])) == ["HDMI-A-1 1280x720@60 at 0,0 rotate=180 primary"])
        configurator.rules = []
        _ = configurator.arrange([])
        #expect(Self.lines(configurator.arrange([Self.otherTV])) == ["HDMI-A-1 3840x2160@60 at 0,0 rotate=0 primary"])
        _ = configurator.arrange([])
        #expect(Self.lines(configurator.arrange([Self.tv])) == ["HDMI-A-1 1280x720@60 at 0,0 rotate=180 primary"])
    }

    @Test func rulesWinOverMemoryAndMemoryFillsWhatTheyLeaveOut() throws {
        var configurator = OutputConfigurator(rules: try Self.rules("HDMI-A-1 rotate=90 mode=1280x720"))
        _ = configurator.arrange([Self.tv])
        configurator.rules = try Self.rules("HDMI-A-1 rotate=270")
        #expect(Self.lines(configurator.arrange([Self.tv])) == ["HDMI-A-1 1280x720@60 at 0,0 rotate=270 primary"])
        configurator.rules = try Self.rules("HDMI-A-1 mode=1920x1080")
        #expect(Self.lines(configurator.arrange([Self.tv])) == ["HDMI-A-1 1920x1080@60 at 0,0 rotate=270 primary"])
    }

    /// Memory is bounded: a cable that makes up identities without end
    /// pushes out the longest-unseen monitor, not memory.
    @Test func memoryForgetsTheLongestUnseenMonitorBeyondItsCapacity() throws {
        var configurator = OutputConfigurator(rules: try Self.rules("HDMI-A-1 rotate=90"))
        _ = configurator.arrange([Self.tv])
        configurator.rules = []
        func stranger(_ n: Int) -> Monitor { Monitor(connector: "HDMI-A-1", identity: "XXX #\(n)", modes: [Self.mode(640, 480)]) }
        for n in 0..<63 { _ = configurator.arrange([stranger(n)]) }
        #expect(configurator.arrange([Self.tv]).layout.outputs[0].rotation == .degrees90)
        for n in 0..<64 { _ = configurator.arrange([stranger(100 + n)]) }
        #expect(configurator.arrange([Self.tv]).layout.outputs[0].rotation == .degrees0)
    }

    // MARK: rules

    @Test func rulePositionsFirstTheRestToTheirRight() throws {
        var configurator = OutputConfigurator(rules: try Self.rules("hdmi-a-1 pos=0,1200", "eDP-1 pos=320,0 primary"))
        #expect(Self.lines(configurator.arrange([Self.laptop, Self.tv, Self.dp])) == [
            "DP-2 2560x1440@60 at 2240,0 rotate=0",
            "HDMI-A-1 1920x1080@60 at 0,1200 rotate=0",
            "eDP-1 1920x1200@60 at 320,0 rotate=0 primary",
        ])
    }

    @Test func aTurnedOutputTakesItsTurnedWidth() throws {
        var configurator = OutputConfigurator(rules: try Self.rules("DP-2 rotate=270"))
        #expect(Self.lines(configurator.arrange([Self.dp, Self.laptop])) == [
            "DP-2 2560x1440@60 at 0,0 rotate=270 primary",
            "eDP-1 1920x1200@60 at 1440,0 rotate=0",
        ])
    }

    @Test func offAndOnlyLeaveMonitorsDark() throws {
        var off = OutputConfigurator(rules: try Self.rules("eDP-1 off"))
        let lidClosed = off.arrange([Self.laptop, Self.tv])
        #expect(Self.lines(lidClosed) == ["HDMI-A-1 1920x1080@60 at 0,0 rotate=0 primary"])
        #expect(lidClosed.dark == ["eDP-1"])
        var only = OutputConfigurator(rules: try Self.rules("DP-2"), onlyListed: true)
        let arrangement = only.arrange([Self.tv, Self.laptop, Self.dp])
        #expect(Self.lines(arrangement) == ["DP-2 2560x1440@60 at 0,0 rotate=0 primary"])
        #expect(arrangement.dark == ["HDMI-A-1", "eDP-1"])
        let alone = only.arrange([Self.laptop])
        #expect(alone.layout.isEmpty && alone.dark == ["eDP-1"])
        #expect(alone.warnings.contains("no output is lit: the settings leave eDP-1 dark"))
    }

    @Test func thePrimaryIsTheMarkedOneElseTheFirstBareRulesElseTheFirst() throws {
        var marked = OutputConfigurator(rules: try Self.rules("eDP-1", "HDMI-A-1 primary"))
        #expect(marked.arrange([Self.laptop, Self.tv, Self.dp]).layout.primary?.name == "HDMI-A-1")
        var firstRule = OutputConfigurator(rules: try Self.rules("DP-7", "HDMI-A-1", "eDP-1"))
        #expect(firstRule.arrange([Self.laptop, Self.tv, Self.dp]).layout.primary?.name == "HDMI-A-1")
        // Turning or placing a monitor does not make it the primary.
        var turned = OutputConfigurator(rules: try Self.rules("eDP-1 rotate=90"))
        let layout = turned.arrange([Self.laptop, Self.tv]).layout
        #expect(layout.primary?.name == "HDMI-A-1" && layout.primary?.x == 0, "the leftmost, not the turned one")
        var none = OutputConfigurator()
        #expect(none.arrange([Self.laptop, Self.tv]).layout.primary?.name == "HDMI-A-1")
        // The marked one is gone: the next choice, and it comes back primary.
        #expect(marked.arrange([Self.laptop, Self.dp]).layout.primary?.name == "eDP-1")
        #expect(marked.arrange([Self.laptop, Self.tv, Self.dp]).layout.primary?.name == "HDMI-A-1")
        for arrangement in [marked.arrange([Self.dp]), none.arrange([Self.dp, Self.tv, Self.laptop])] {
            #expect(arrangement.layout.outputs.filter(\.primary).count == 1)
        }
    }

    @Test func theModeAFlagAsksForGoesToThePrimary() throws {
        var configurator = OutputConfigurator(rules: try Self.rules("HDMI-A-1 primary"), primaryMode: try ModeRequest(parsing: "1280x720@50"))
        #expect(Self.lines(configurator.arrange([Self.laptop, Self.tv])) == [
            "HDMI-A-1 1280x720@50 at 0,0 rotate=0 primary",
            "eDP-1 1920x1200@60 at 1280,0 rotate=0",
        ])
    }

    // MARK: problems: warnings after a hotplug, errors at the start

    @Test func aRuleNamingNoMonitorIsAWarningTheRestLit() throws {
        var configurator = OutputConfigurator(rules: try Self.rules("DP-3 rotate=90"))
        let arrangement = try configurator.arrangeAtStart([Self.tv, Self.laptop])
        #expect(arrangement.layout.outputs.count == 2)
        #expect(arrangement.warnings == [
            "no monitor on connector DP-3 (connected: HDMI-A-1, eDP-1): its settings wait until one is plugged in",
        ])
        #expect(configurator.arrange([]).warnings == [
            "no monitor on connector DP-3 (connected: none): its settings wait until one is plugged in",
        ])
    }

    @Test func aModeNotOfferedIsAnErrorAtStartAndThePreferredModeAfterAHotplug() throws {
        var configurator = OutputConfigurator(rules: try Self.rules("HDMI-A-1 mode=2560x1440"))
        #expect(throws: LayoutError("HDMI-A-1 does not offer mode=2560x1440: it offers "
                                    + "1920x1080@60 (preferred), 1280x720@60, 1280x720@50")) {
            try configurator.validate(monitors: [Self.tv])
        }
        let arrangement = configurator.arrange([Self.tv])
        #expect(Self.lines(arrangement) == ["HDMI-A-1 1920x1080@60 at 0,0 rotate=0 primary"])
        #expect(arrangement.warnings == ["HDMI-A-1 does not offer mode=2560x1440: using its preferred mode 1920x1080@60 "
                                         + "(it offers 1920x1080@60 (preferred), 1280x720@60, 1280x720@50)"])
        var flag = OutputConfigurator(primaryMode: try ModeRequest(parsing: "1024x768"))
        #expect(throws: LayoutError("eDP-1 does not offer mode 1024x768 (--mode, for the primary output): "
                                    + "it offers 1920x1200@60 (preferred), 1280x800@60, 1280x720@60")) {
            try flag.arrangeAtStart([Self.laptop])
        }
    }

    @Test func overlappingPositionsAreAnErrorAtStartNamingBothRectangles() throws {
        var configurator = OutputConfigurator(rules: try Self.rules("eDP-1 pos=0,0", "HDMI-A-1 pos=1000,100"))
        #expect(throws: LayoutError("outputs eDP-1 (1920x1200 at 0,0) and HDMI-A-1 (1920x1080 at 1000,100) overlap: "
                                    + "move one with pos=X,Y")) {
            try configurator.validate(monitors: [Self.laptop, Self.tv])
        }
        let arrangement = configurator.arrange([Self.laptop, Self.tv])
        #expect(Self.lines(arrangement) == [
            "HDMI-A-1 1920x1080@60 at 1920,0 rotate=0",
            "eDP-1 1920x1200@60 at 0,0 rotate=0 primary",
        ])
        #expect(arrangement.warnings == ["HDMI-A-1 (1920x1080 at 1000,100) would overlap eDP-1 (1920x1200 at 0,0): "
                                         + "placed to the right instead"])
        #expect(arrangement.layout.overlap == nil)
    }

    /// A remembered position that the rules now cover is a warning even at
    /// the start of a new configuration: the user did not ask for it.
    @Test func aRememberedPositionThatWouldOverlapIsDropped() throws {
        var configurator = OutputConfigurator(rules: try Self.rules("eDP-1 pos=0,0", "HDMI-A-1 pos=1920,0"))
        _ = configurator.arrange([Self.laptop, Self.tv])
        configurator.rules = try Self.rules("eDP-1 pos=1000,0")
        let arrangement = try configurator.arrangeAtStart([Self.laptop, Self.tv])
        #expect(Self.lines(arrangement) == [
            "HDMI-A-1 1920x1080@60 at 2920,0 rotate=0",
            "eDP-1 1920x1200@60 at 1000,0 rotate=0 primary",
        ])
        #expect(arrangement.warnings == ["HDMI-A-1 (1920x1080 at 1920,0), where it was last time, would overlap "
                                         + "eDP-1 (1920x1200 at 1000,0): placed to the right instead"])
        // Placed automatically now, so that is what it remembers.
        configurator.rules = []
        #expect(Self.lines(configurator.arrange([Self.laptop, Self.tv])) == [
            "HDMI-A-1 1920x1080@60 at 2920,0 rotate=0",
            "eDP-1 1920x1200@60 at 1000,0 rotate=0 primary",
        ])
    }

    @Test func rulesThatCannotWorkTogetherAreErrorsAtStart() throws {
        var twice = OutputConfigurator(rules: try Self.rules("HDMI-A-1 rotate=90", "hdmi-a-1 pos=0,0"))
        #expect(throws: LayoutError("two rules for hdmi-a-1: HDMI-A-1 and hdmi-a-1; put all of an output's settings in one rule")) {
            try twice.arrangeAtStart([Self.tv])
        }
        // After a hotplug the first rule counts.
        #expect(twice.arrange([Self.tv]).layout.outputs[0].rotation == .degrees90)
        var primaries = OutputConfigurator(rules: try Self.rules("HDMI-A-1 primary", "eDP-1 primary"))
        #expect(throws: LayoutError("HDMI-A-1 and eDP-1 are both marked primary: one output is")) {
            try primaries.arrangeAtStart([Self.tv, Self.laptop])
        }
        #expect(primaries.arrange([Self.tv, Self.laptop]).layout.outputs.filter(\.primary).map(\.name) == ["HDMI-A-1"])
    }

    @Test func oddMonitorListsAreWarningsNotCrashes() {
        var configurator = OutputConfigurator()
        let blank = Monitor(connector: "DP-5", modes: [])
        let arrangement = configurator.arrange([Self.tv, blank, Self.otherTV])
        #expect(Self.lines(arrangement) == ["HDMI-A-1 1920x1080@60 at 0,0 rotate=0 primary"])
        #expect(arrangement.dark == ["DP-5"])
        #expect(arrangement.warnings == [
            "two monitors are reported on connector HDMI-A-1: the second is ignored",
            "DP-5 offers no modes: left dark",
        ])
    }
}
