import Logging
import Synchronization

/// A logger whose lines the test can read, to assert exactly what was said.
public final class LogCapture: Sendable {
    private let lines = Mutex<[(Logger.Level, String)]>([])

    public init() {}

    public var logger: Logger {
        var logger = Logger(label: "test.capture") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    /// Every line, with its level.
    public var all: [(Logger.Level, String)] { lines.withLock { $0 } }

    /// Every message, in order.
    public var messages: [String] { all.map(\.1) }

    /// The messages at `level` or above.
    public func messages(atLeast level: Logger.Level) -> [String] { all.filter { $0.0 >= level }.map(\.1) }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.lines.withLock { $0.append((event.level, event.message.description)) }
        }
    }
}
