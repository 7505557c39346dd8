import Testing

/// `--idle-blank SECONDS` takes a whole number of seconds above 0; anything
/// else is said plainly before anything starts.
@Suite struct IdleBlankOptionTests {
    @Test(arguments: ["0", "-5", "1.5", "ten"])
    func aValueThatIsNoWholeNumberOfSecondsAboveZeroIsRefused(_ value: String) throws {
        let result = try runHeadless(["--idle-blank=\(value)"])
        #expect(result.status != 0)
        #expect(result.output.contains("--idle-blank \(value): give a whole number of seconds above 0"), "\(result.output)")
    }
}
