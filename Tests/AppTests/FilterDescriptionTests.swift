import AppProtocols
import Testing

/// The DESCRIPTION text as the Swift side reads it (`wskdesk try`): the
/// first form (name and parameters) and the one with metadata lines, and
/// what makes one invalid.
@Suite struct FilterDescriptionTests {
    @Test func theFirstFormStillParses() throws {
        let description = try #require(FilterDescription(parsing: "Box blur\nradius 1 32 2\npasses 1 3 1\n"))
        #expect(description.name == "Box blur")
        #expect(description.parameters == [
            .init(name: "radius", range: 1...32, defaultValue: 2), .init(name: "passes", range: 1...3, defaultValue: 1),
        ])
        #expect(description.version == nil && description.author == nil && description.about == nil)
        #expect(FilterDescription(parsing: "Invert")?.parameters == [])
    }

    @Test func metadataLinesAreReadAndUnknownKeysIgnored() throws {
        let text = "Box blur\nversion: 1.2.0\nauthor:   Jane Doe \nlicense: MIT\ndescription: Averages: a box\nradius 1 32 2\n"
        let description = try #require(FilterDescription(parsing: text))
        #expect(description.version == "1.2.0")
        #expect(description.author == "Jane Doe")
        #expect(description.about == "Averages: a box")
        #expect(description.parameters.map(\.name) == ["radius"])
    }

    @Test func invalidDescriptions() {
        let invalid = [
            "", "\nradius 1 2 1", "x\nr 5 1 3", "x\nr 1 5", "x\nr 1 5 3 9", "x\nr 1 5 9", "x\nr one 5 3",
            "x\nrädius 1 5 3", "x\n\(String(repeating: "r", count: 33)) 1 5 3", "x\nr 1 5 3\nr 1 5 3",
            "x\nversion: \(String(repeating: "9", count: 201))", "x\nauthor: a\u{1b}[2Jb",
            "x\n" + (1...9).map { "p\($0) 0 1 0" }.joined(separator: "\n"),
        ]
        for text in invalid { #expect(FilterDescription(parsing: text) == nil, "\(text.debugDescription)") }
        #expect(FilterDescription(parsing: "x\n" + (1...8).map { "p\($0) 0 1 0" }.joined(separator: "\n")) != nil)
    }

    @Test func textFromAPluginIsEscapedForTheTerminal() {
        #expect(FilterDescription.escaped("a\u{1b}[2Jb\nc") == "a\\u{1b}[2Jb\\u{a}c")
        #expect(FilterDescription.escaped("Flou – ok") == "Flou – ok")
    }
}
