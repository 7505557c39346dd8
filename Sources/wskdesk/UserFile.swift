import Foundation
import Kernel

/// A file the user named for an app (`--open PATH`, a manifest's `open`):
/// opened here, by the trusted runtime, and handed to the app as a FILE
/// cap. Only a regular file opens; read-write when the user may write it,
/// else read-only.
struct UserFile {
    let descriptor: Int32
    let rights: Rights
    /// The path as given, `~` expanded.
    let path: String
    /// The last component: all the app is told.
    var name: String { (path as NSString).lastPathComponent }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `~/` means the user's home folder.
    static func expand(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] else { return path }
        return home + path.dropFirst()
    }

    static func open(_ given: String) throws(Failure) -> UserFile {
        let path = expand(given)
        let shown = path.debugDescription
        // Look first (following links: the user named this path on purpose),
        // and open only a regular file: a FIFO would block, a device act.
        var before = stat()
        guard stat(path, &before) == 0 else {
            throw Failure(description: errno == ENOENT
                ? "no file \(shown): check the name and the folder"
                : "cannot look at \(shown): \(String(cString: strerror(errno)))")
        }
        guard before.st_mode & S_IFMT == S_IFREG else {
            let what = before.st_mode & S_IFMT == S_IFDIR ? "a folder" : "not a regular file (a device, FIFO or socket)"
            throw Failure(description: "\(shown) is \(what): name a file to open")
        }
        var rights: Rights = [.read, .write, .resize]
        var descriptor = Glibc.open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        if descriptor < 0, errno == EACCES || errno == EROFS || errno == EPERM {
            rights = [.read]
            descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        }
        guard descriptor >= 0 else {
            throw Failure(description: "cannot open \(shown): \(String(cString: strerror(errno)))")
        }
        var after = stat()
        guard fstat(descriptor, &after) == 0, after.st_dev == before.st_dev, after.st_ino == before.st_ino else {
            Glibc.close(descriptor)
            throw Failure(description: "\(shown) changed while it was being opened: try again")
        }
        return UserFile(descriptor: descriptor, rights: rights, path: path)
    }
}
