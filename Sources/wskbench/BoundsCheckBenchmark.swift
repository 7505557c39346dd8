import Foundation
import WAT

/// What bounds checking costs compiled code: the 3 × 3 blur kernel of
/// `ComputeKernels`, translated by wasm2c and built against wabt's own
/// runtime (/usr/share/wabt/wasm2c) twice, with wasm2c's explicit checks
/// (what wskdesk's compiled tier uses) and with guard pages and a signal
/// handler instead. Only the kernel runs: no fuel, no host calls.
enum BoundsCheckBenchmark {
    static let wabtRuntime = "/usr/share/wabt/wasm2c/wasm-rt-impl.c"

    /// Times (ms) with explicit checks and with guard pages, or why not.
    static func run() -> Result<(explicit: Double, guardPages: Double), BoundsCheckError> {
        guard FileManager.default.fileExists(atPath: wabtRuntime) else {
            return .failure(BoundsCheckError("no \(wabtRuntime) (Debian's wabt)"))
        }
        let dir = NSTemporaryDirectory() + "wskbench-bounds-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let wat = ComputeKernels.blurWAT.replacingOccurrences(of: "(func $blur ", with: "(func $blur (export \"blur\") ")
            try Data(try wat2wasm(wat)).write(to: URL(fileURLWithPath: dir + "/blur.wasm"))
            try harness.write(toFile: dir + "/harness.c", atomically: true, encoding: .utf8)
            try shell("wasm2c", ["-n", "blur", dir + "/blur.wasm", "-o", dir + "/blur.c"])
            var times: [Double] = []
            for guarded in [0, 1] {
                let binary = dir + "/blur\(guarded)"
                try shell("cc", [
                    "-O2", "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=\(guarded)", "-I", dir, "-I", "/usr/share/wabt/wasm2c",
                    dir + "/harness.c", dir + "/blur.c", wabtRuntime, "-lm", "-o", binary,
                ])
                times.append(Double(try shell(binary, []).trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan)
            }
            return .success((times[0], times[1]))
        } catch {
            return .failure(BoundsCheckError("\(error)"))
        }
    }

    @discardableResult
    static func shell(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BoundsCheckError("\(tool) failed: \(text.prefix(400))") }
        return text
    }

    /// Calls the exported blur on the picture `ComputeKernels.blurImage`
    /// draws; prints the best of 15 runs in milliseconds.
    static let harness = """
        #include <stdio.h>
        #include <time.h>
        #include "blur.h"
        #include "wasm-rt-impl.h"
        struct Z_env_instance_t { int unused; };
        u64 Z_envZ_sys_cap_recv(struct Z_env_instance_t* e, u64 a, u32 b, u32 c) { return 0; }
        u32 Z_envZ_sys_cap_send(struct Z_env_instance_t* e, u64 a, u32 b, u32 c, u32 d, u64 f) { return 0; }
        u32 Z_envZ_sys_cap_mem_read(struct Z_env_instance_t* e, u64 a, u32 b, u32 c, u32 d) { return 0; }
        u32 Z_envZ_sys_cap_mem_write(struct Z_env_instance_t* e, u64 a, u32 b, u32 c, u32 d) { return 0; }
        u64 Z_envZ_sys_time_now(struct Z_env_instance_t* e) { return 0; }
        static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
        int main(void) {
          static Z_blur_instance_t instance;
          struct Z_env_instance_t env;
          wasm_rt_init();
          Z_blur_init_module();
          Z_blur_instantiate(&instance, &env);
          u32* source = (u32*)(instance.w2c_memory.data + 65536);
          for (u32 i = 0; i < \(ComputeKernels.blurWidth * ComputeKernels.blurHeight); i++) {
            u32 x = i % \(ComputeKernels.blurWidth), y = i / \(ComputeKernels.blurWidth);
            source[i] = (x * 255 / 1919) << 16 | (y * 255 / 1079) << 8 | (((x ^ y) & 0x20) == 0 ? 0xf0 : 0x10);
          }
          double best = 1e9;
          for (int run = 0; run < 15; run++) {
            if (wasm_rt_impl_try() != 0) return 1;
            double t0 = now();
            Z_blurZ_blur(&instance);
            double t = now() - t0;
            if (t < best) best = t;
          }
          printf("%.3f\\n", best);
          return 0;
        }
        """
}

struct BoundsCheckError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
