import CWasmRT
import Foundation
import Synchronization
import Testing

@testable import Interp

/// A native stack overflow on a thread running Wasm is a trap, not the end
/// of the process (issue #13, item 9): each thread that enters wskrt_run
/// gets an alternate signal stack, on which the fault handler runs when its
/// own stack is spent.
///
/// Compiled Wasm checks each frame against a limit well above the stack's
/// end, so only a frame larger than that margin reaches the guard page, and
/// gcc keeps Wasm locals in registers or recomputes them, so no test module
/// here makes one. The overflow is therefore made by the runtime's C test
/// entry point `wskrt_test_stack_overflow`, which overflows in 1 KiB frames
/// inside wskrt_run, as such a module would.
@Suite struct NativeStackTests {
    /// What one thread saw: the traps of two overflows, and its alternate stack.
    struct Seen: Sendable, Equatable {
        var traps: [UInt32] = []
        var alternateStackSize = 0
        var alternateStackEnabled = false
    }

    @Test func aNativeStackOverflowInsideWskrtRunIsCallStackExhausted() throws {
        let seen = Mutex<Seen?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var result = Seen()
            // Twice: the thread and its alternate stack survive the first.
            result.traps = [wskrt_test_stack_overflow(), wskrt_test_stack_overflow()]
            var current = stack_t()
            sigaltstack(nil, &current)
            result.alternateStackSize = current.ss_size
            result.alternateStackEnabled = current.ss_flags & Int32(SS_DISABLE) == 0
            seen.withLock { $0 = result }
            done.signal()
        }
        thread.stackSize = 256 << 10
        thread.start()
        #expect(done.wait(timeout: .now() + .seconds(5)) == .success)
        let exhausted = WASM_RT_TRAP_EXHAUSTION.rawValue
        #expect(seen.withLock { $0 } == Seen(traps: [exhausted, exhausted], alternateStackSize: 64 << 10, alternateStackEnabled: true))
        #expect(trapText(exhausted) == "call stack exhausted")
    }
}
