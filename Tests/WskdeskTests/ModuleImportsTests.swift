import Foundation
import TestSupport
import Testing

/// Each library's README says what it may import ("May import: …", its first
/// sentence); its sources import nothing else of ours, no other C library
/// and no other package. So the kernel stays pure Swift and the compositor
/// links no input or seat library.
@Suite struct ModuleImportsTests {
    /// Modules of the toolchain, which every library may import.
    static let toolchain: Set<String> = ["Swift", "Dispatch", "Foundation", "Glibc", "Synchronization"]

    @Test(arguments: ["Kernel", "Threads", "Interp", "Compositor", "Input"])
    func aLibraryImportsOnlyWhatItsReadmeAllows(library: String) throws {
        let allowed = try Self.allowedImports(readme: Repository.text("Sources/\(library)/README.md"))
        #expect(!allowed.isEmpty, "Sources/\(library)/README.md has no \"May import:\" sentence")
        let imports = try Self.imports(in: Repository.root + "/Sources/" + library)
        #expect(!imports.isEmpty)
        for (file, module) in imports where !Self.toolchain.contains(module) && !allowed.contains(module) {
            Issue.record("\(file) imports \(module), which Sources/\(library)/README.md does not allow")
        }
    }

    /// The words of the README's "May import:" sentence, swift-log as the
    /// module it provides.
    static func allowedImports(readme: String) -> Set<String> {
        guard let start = readme.range(of: "May import:") else { return [] }
        let rest = readme[start.upperBound...]
        let sentence = rest.range(of: ".\n").map { rest[..<$0.lowerBound] } ?? rest
        let words = sentence.split { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }.map(String.init)
        return Set(words.map { $0 == "swift-log" ? "Logging" : $0 })
    }

    /// Every (file, module) a Swift source below `folder` imports.
    static func imports(in folder: String) throws -> [(file: String, module: String)] {
        let files = try #require(FileManager.default.enumerator(atPath: folder)).compactMap { $0 as? String }
        return try files.filter { $0.hasSuffix(".swift") }.sorted().flatMap { file in
            try String(contentsOfFile: folder + "/" + file, encoding: .utf8).split(separator: "\n").compactMap { line in
                let words = line.split(separator: " ").drop { $0.hasPrefix("@") }
                guard words.first == "import", words.count >= 2 else { return nil }
                return (file, String(words[words.index(after: words.startIndex)]))
            }
        }
    }
}
