import ArgumentParser
import Compositor

/// The output settings of `wskdesk run` and `wskdesk outputs`: which
/// monitors to light, in which mode, where and turned how (docs/outputs.md).
struct OutputOptions: ParsableArguments {
    @Option(name: .customLong("output"), help: ArgumentHelp(
        "An output's settings (repeatable): NAME [mode=WIDTHxHEIGHT[@HZ]] [pos=X,Y] [rotate=0|90|180|270] [primary] [off], e.g. \"HDMI-A-1 rotate=90 pos=1920,0\".",
        discussion: "Every connected monitor is lit, left to right in connector order, unless a rule says off or --only is given.",
        valueName: "spec"))
    var outputSpecs: [String] = []

    @Option(help: ArgumentHelp("A file of output settings: one --output SPEC a line, # starts a comment.", valueName: "file"))
    var layout: String?

    @Flag(help: "Light only the outputs named by --output or --layout.")
    var only = false

    @Option(help: "Mode of the primary output, WIDTHxHEIGHT or WIDTHxHEIGHT@HZ (default: its rule's, else its preferred mode).")
    var mode: String?

    func validate() throws {
        do {
            _ = try configurator()
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The rules of the layout file, then those of each `--output`; one
    /// rule per output across both.
    func rules() throws(LayoutError) -> [OutputRule] {
        var rules: [OutputRule] = []
        var sources: [String] = []
        if let layout {
            rules = try LayoutFile.load(path: layout)
            sources = rules.map { _ in "in \(OutputRule.shownInMessage(layout))" }
        }
        for spec in outputSpecs {
            do {
                rules.append(try OutputRule(parsing: spec))
            } catch {
                throw LayoutError("--output: \(error.description)")
            }
            sources.append("--output")
        }
        try OutputRule.check(rules, sources: sources)
        return rules
    }

    /// A configurator holding these settings, checked as far as they can be
    /// without the monitors: parsed, one rule per output, one primary,
    /// `--only` with a rule, `--mode` not said twice.
    func configurator() throws(LayoutError) -> OutputConfigurator {
        let rules = try rules()
        if only && rules.isEmpty {
            throw LayoutError("--only lights just the outputs named by --output or --layout, and none is named")
        }
        var primaryMode: DisplayMode.Request?
        if let mode {
            do {
                primaryMode = try DisplayMode.Request(parsing: mode)
            } catch {
                throw LayoutError("--mode \(OutputRule.shownInMessage(mode)): a mode is WIDTHxHEIGHT or WIDTHxHEIGHT@HZ, "
                    + "e.g. 1920x1080 or 1920x1080@60")
            }
            if let rule = rules.first(where: \.primary) ?? rules.first(where: { !$0.off }), let own = rule.mode {
                throw LayoutError("--mode \(mode) and mode=\(own) in the rule for \(rule.match) both set the "
                    + "primary output's mode: give one")
            }
        }
        return OutputConfigurator(rules: rules, onlyListed: only, primaryMode: primaryMode)
    }

    /// The single connector the one-head DRM path drives (the first rule's),
    /// and its mode: until the desktop lights every output.
    var firstConnector: String? { (try? rules())?.first?.match }
    var firstConnectorMode: String? { (try? rules())?.first?.mode?.description ?? mode }
}

/// `--size WxH[,WxH...]` of the headless backend: one monitor per size,
/// HEADLESS-1, HEADLESS-2, ...
struct HeadlessSizeOption: ParsableArguments {
    @Option(name: .customLong("size"), help: ArgumentHelp(
        "Sizes of the headless outputs, WIDTHxHEIGHT[,WIDTHxHEIGHT...]: one output each, HEADLESS-1, HEADLESS-2, ...",
        valueName: "sizes"))
    var text = "1280x800"

    func validate() throws {
        do {
            _ = try HeadlessSizes(parsing: text)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The sizes (checked by `validate` before anything runs).
    var sizes: HeadlessSizes { (try? HeadlessSizes(parsing: text)) ?? HeadlessSizes([OutputSize(width: 1280, height: 800)]) }
}

struct HeadlessSizes {
    let sizes: [OutputSize]

    /// More heads than any test or screenshot needs; each is a buffer in memory.
    static let maxCount = 16

    init(_ sizes: [OutputSize]) {
        precondition(!sizes.isEmpty, "no headless size")
        self.sizes = sizes
    }

    init(parsing text: String) throws(LayoutError) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var sizes: [OutputSize] = []
        for part in parts {
            guard let size = OutputSize(parsing: String(part)) else {
                throw LayoutError("--size \(OutputRule.shownInMessage(String(part))): a size is WIDTHxHEIGHT, each 16 to 8192, "
                    + "e.g. 1280x800; several are separated by commas, e.g. 800x600,640x480")
            }
            sizes.append(size)
        }
        guard sizes.count <= Self.maxCount else {
            throw LayoutError("--size gives \(sizes.count) outputs: at most \(Self.maxCount)")
        }
        self.init(sizes)
    }

    /// The first size: the one head of the single-head path.
    var width: Int { sizes[0].width }
    var height: Int { sizes[0].height }

    /// The monitors these sizes make, named as the headless display names them.
    var monitors: [Monitor] {
        sizes.enumerated().map { index, size in
            Monitor(connector: "HEADLESS-\(index + 1)",
                    modes: [DisplayMode(width: size.width, height: size.height, refreshMilliHertz: 60_000, isPreferred: true)])
        }
    }
}
