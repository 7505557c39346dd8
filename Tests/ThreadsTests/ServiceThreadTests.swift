import Dispatch
import Foundation
import Synchronization
import Testing
import Threads

/// `ServiceThread`: a loop on a thread of its own, woken, stopped and joined.
@Suite struct ServiceThreadTests {
    @Test func aSleepingLoopRunsARoundForEachWakeAndEndsOnStop() {
        let thread = ServiceThread(name: "test loop")
        let rounds = Atomic<Int>(0)
        func count() -> Int { rounds.load(ordering: .relaxed) }
        thread.start { thread in
            while thread.sleep() { rounds.add(1, ordering: .relaxed) }
        }
        for expected in 1...3 {
            thread.wake()
            #expect(eventually { count() == expected })
        }
        thread.stop()
        #expect(!thread.isRunning)
        #expect(count() == 3)  // stopping ran no round
        #expect(thread.join(timeout: .now()))
        thread.stop()  // a second stop returns at once
    }

    @Test func aSleepEndsAtItsDeadline() {
        let thread = ServiceThread(name: "test deadline")
        let woke = DispatchSemaphore(value: 0)
        thread.start { thread in
            let goOn = thread.sleep(until: .now() + .milliseconds(20))
            if goOn { woke.signal() }
        }
        #expect(woke.wait(timeout: .now() + 10) == .success)
        #expect(thread.join(timeout: .now() + 10))
    }

    @Test func aLoopThatReturnsByItselfIsJoined() {
        let thread = ServiceThread(name: "test once")
        let ran = Atomic<Bool>(false)
        thread.start { _ in ran.store(true, ordering: .relaxed) }
        #expect(thread.join(timeout: .now() + 10))
        let didRun = ran.load(ordering: .relaxed)
        #expect(didRun)
        thread.stop()  // nothing left to stop; returns
    }

    @Test func aThreadNeverStartedJoinsAtOnceAndStartsOnlyOnce() {
        let thread = ServiceThread(name: "test unstarted")
        #expect(!thread.hasStarted)
        #expect(thread.join(timeout: .now()))
        thread.stop()
        let starts = Atomic<Int>(0)
        for _ in 0..<2 { thread.start { _ in starts.add(1, ordering: .relaxed) } }
        #expect(thread.join(timeout: .now() + 10))
        let started = starts.load(ordering: .relaxed)
        #expect(started == 1)
    }

    @Test func cancelAsksWithoutWaiting() {
        let thread = ServiceThread(name: "test cancel")
        let release = DispatchSemaphore(value: 0)
        thread.start { _ in release.wait() }
        #expect(thread.cancel())
        #expect(!thread.cancel())
        #expect(!thread.join(timeout: .now() + .milliseconds(50)))  // still in its body
        release.signal()
        #expect(thread.join(timeout: .now() + 10))
    }

    func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = DispatchTime.now() + 10
        while DispatchTime.now() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.001)
        }
        return false
    }
}
