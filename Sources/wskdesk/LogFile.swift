import Foundation
import Kernel
import Logging
import Synchronization

/// Log lines appended to a file, one per line, with time, level and source.
/// Actors' `sys_log` lines carry their name (metadata `actor`).
struct FileLogHandler: LogHandler {
    final class Sink: Sendable {
        private let handle: Mutex<FileHandle>
        init(handle: FileHandle) { self.handle = Mutex(handle) }
        func write(_ line: String) {
            handle.withLock { $0.write(Data(line.utf8)) }
        }
    }

    let label: String
    let sink: Sink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Opens `path` for appending, creating it (and its folder) if needed.
    static func open(_ path: String) throws(DesktopError) -> Sink {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw DesktopError(description: "cannot create the log file \(path)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw DesktopError(description: "cannot open the log file \(path) for writing")
        }
        handle.seekToEndOfFile()
        return Sink(handle: handle)
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let tags = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = ISO8601DateFormatter().string(from: Date())
        sink.write("\(time) \(event.level)\(tags) [\(label)] \(event.message)\n")
    }
}

/// Sends log lines to stderr and, if given, to a file, at `level`; every
/// line passes `PlainLineLogHandler` first.
func bootstrapLogging(level: Logger.Level, file: String? = nil) throws(DesktopError) {
    let sink = try file.map { path throws(DesktopError) in try FileLogHandler.open(path) }
    LoggingSystem.bootstrap { label in
        var stderr = StreamLogHandler.standardError(label: label)
        stderr.logLevel = level
        guard let sink else { return PlainLineLogHandler(stderr) }
        var file = FileLogHandler(label: label, sink: sink)
        file.logLevel = level
        return PlainLineLogHandler(MultiplexLogHandler([stderr, file]))
    }
}

/// Escapes the controls in every message and metadata value before the
/// handler it wraps writes them (`LogText.controlsEscaped`), so that no text
/// — an actor's `sys_log` line, a module's name in an error, a window title —
/// can end a log line early, forge the next one or reach the terminal as an
/// escape sequence, whichever path it took into the log.
struct PlainLineLogHandler: LogHandler {
    var inner: any LogHandler

    init(_ inner: any LogHandler) { self.inner = inner }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.message = "\(LogText.controlsEscaped(event.message.description))"
        event.metadata = event.metadata?.mapValues(Self.plain)
        inner.log(event: event)
    }

    private static func plain(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(LogText.controlsEscaped(text))
        case .stringConvertible(let value): .string(LogText.controlsEscaped(value.description))
        case .array(let values): .array(values.map(plain))
        case .dictionary(let values): .dictionary(values.mapValues(plain))
        @unknown default: .string(LogText.controlsEscaped(value.description))
        }
    }
}
