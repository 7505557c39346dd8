import WasmKit
import Kernel

/// Binds each host call of the ABI to `HostCalls` for the interpreter: raw
/// Wasm values in, raw Wasm values out.
enum HostBinding {
    typealias Body = (UnsafeBufferPointer<Value>, UnsafeMutableBufferPointer<Value>) throws -> Void

    static func body(for name: String, calls: HostCalls, memory box: MemoryBox) -> Body {
        func mem() -> WasmKitMemory { WasmKitMemory(memory: box.memory!) }
        func i32(_ v: Value) -> Int32 { Int32(bitPattern: v.i32) }
        func i64(_ v: Value) -> Int64 { Int64(bitPattern: v.i64) }

        switch name {
        case "sys_log":
            return { a, _ in try calls.log(mem(), ptr: i32(a[0]), len: i32(a[1])) }
        case "sys_exit":
            return { a, _ in try calls.exit(code: i32(a[0])) }
        case "sys_cap_send":
            return { a, r in
                r[0] = Value(signed: try calls.send(
                    mem(), handle: i64(a[0]), opcode: i32(a[1]), ptr: i32(a[2]), len: i32(a[3]), cap: i64(a[4])))
            }
        case "sys_cap_recv":
            return { a, r in
                r[0] = Value(signed: try calls.receive(
                    mem(), handle: i64(a[0]), buf: i32(a[1]), len: i32(a[2]), timeout: .forever))
            }
        case "sys_cap_recv_timeout":
            return { a, r in
                r[0] = Value(signed: try calls.receive(
                    mem(), handle: i64(a[0]), buf: i32(a[1]), len: i32(a[2]), timeout: Timeout(abi: i64(a[3]))))
            }
        case "sys_cap_call":
            return { a, r in
                r[0] = Value(signed: try calls.call(
                    mem(), handle: i64(a[0]), opcode: i32(a[1]), ptr: i32(a[2]), len: i32(a[3]), cap: i64(a[4]),
                    buf: i32(a[5]), bufLen: i32(a[6]), timeout: Timeout(abi: i64(a[7]))))
            }
        case "sys_cap_mem_read":
            return { a, r in
                r[0] = Value(signed: try calls.memRead(
                    mem(), handle: i64(a[0]), offset: i32(a[1]), ptr: i32(a[2]), len: i32(a[3])))
            }
        case "sys_cap_mem_write":
            return { a, r in
                r[0] = Value(signed: try calls.memWrite(
                    mem(), handle: i64(a[0]), offset: i32(a[1]), ptr: i32(a[2]), len: i32(a[3])))
            }
        case "sys_fb_info":
            return { _, r in r[0] = Value(signed: try calls.framebufferInfo()) }
        case "sys_cap_release":
            return { a, r in r[0] = Value(signed: try calls.release(handle: i64(a[0]))) }
        case "sys_cap_derive":
            return { a, r in r[0] = Value(signed: try calls.derive(handle: i64(a[0]), rights: i32(a[1]))) }
        case "sys_cap_revoke":
            return { a, r in r[0] = Value(signed: try calls.revoke(handle: i64(a[0]))) }
        case "sys_cap_info":
            return { a, r in r[0] = Value(signed: try calls.info(mem(), handle: i64(a[0]), ptr: i32(a[1]))) }
        case "sys_endpoint_create":
            return { a, r in r[0] = Value(signed: try calls.createEndpoint(capacity: i32(a[0]))) }
        case "sys_buffer_create":
            return { a, r in r[0] = Value(signed: try calls.createBuffer(size: i32(a[0]))) }
        case "sys_spawn":
            return { a, r in
                r[0] = Value(signed: try calls.spawn(
                    mem(), spawner: i64(a[0]), namePtr: i32(a[1]), nameLen: i32(a[2]), grant: i64(a[3])))
            }
        case "sys_actor_kill":
            return { a, r in r[0] = Value(signed: try calls.kill(handle: i64(a[0]))) }
        case "sys_time_now":
            return { _, r in r[0] = Value(signed: try calls.now()) }
        case "sys_yield":
            return { _, _ in try calls.yield() }
        default:
            preconditionFailure("host call \(name) is in the ABI table but has no binding")
        }
    }
}
