import Logging
import Synchronization
import Testing

@testable import wskdesk

/// Every log line the executable writes is one line of plain text, whatever
/// text reached the logger.
@Suite struct LogHandlerTests {
    final class Written: Sendable {
        let lines = Mutex<[(String, Logger.Metadata?)]>([])
    }

    /// A handler that keeps what it is asked to write.
    struct Keeper: LogHandler {
        let written: Written
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { written.lines.withLock { $0.append((event.message.description, event.metadata)) } }
    }

    @Test func messagesAndMetadataReachTheHandlerWithoutControls() {
        let written = Written()
        let logger = Logger(label: "test") { _ in PlainLineLogHandler(Keeper(written: written)) }
        logger.warning("cannot load \("evil\n2026-12-06 critical wskdesk : FAKE\u{1b}[2J").wasm: done", metadata: ["actor": "x\r\ny", "list": ["a\u{7}", "b"]])
        logger.info("a path C:\\dir, kept")
        let lines = written.lines.withLock { $0 }
        #expect(lines.map(\.0) == ["cannot load evil\\n2026-12-06 critical wskdesk : FAKE\\e[2J.wasm: done", "a path C:\\dir, kept"])
        #expect(lines[0].1?["actor"] == .string("x\\r\\ny"))
        #expect(lines[0].1?["list"] == .array([.string("a\\x07"), .string("b")]))
    }
}
