import Foundation

/// Polls `condition` every millisecond for up to `timeout`: for a state
/// another thread reaches at its own pace. Never a timing check.
public func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}
