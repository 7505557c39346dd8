;; crasher: the e2e kiosk scenario's app with a bug on demand. It shows a
;; 400x300 window filled with one colour (in kiosk mode at the top left),
;; then reads its events: the key `t` makes it trap (unreachable), the key
;; `h` makes it hang (it spins without reading events again).
;; Built with wat2wasm by Tests/e2e/run. Window protocol: docs/protocol.md.
(module
  (import "env" "sys_buffer_create" (func $buffer_create (param i32) (result i64)))
  (import "env" "sys_cap_call" (func $call (param i64 i32 i32 i32 i64 i32 i32 i64) (result i64)))
  (import "env" "sys_cap_send" (func $send (param i64 i32 i32 i32 i64) (result i32)))
  (import "env" "sys_cap_recv" (func $recv (param i64 i32 i32) (result i64)))
  (import "env" "sys_cap_mem_write" (func $mem_write (param i64 i32 i32 i32) (result i32)))
  (import "env" "sys_yield" (func $yield))
  (memory (export "memory") 1)

  ;; CREATE_WINDOW: width 400, height 300, flags 0, format XRGB8888, title.
  (data (i32.const 0) "\90\01\00\00\2c\01\00\00\00\00\00\00\00\00\00\00crasher")

  (global $width i32 (i32.const 400))
  (global $height i32 (i32.const 300))
  (global $colour i32 (i32.const 0x00c04080))
  (global $row i32 (i32.const 1024))      ;; one row of pixels: 1600 bytes
  (global $message i32 (i32.const 4096))  ;; received messages
  (global $key_t i32 (i32.const 0x74))    ;; keysyms
  (global $key_h i32 (i32.const 0x68))

  (func (export "_start")
    (local $surface i64) (local $events i64) (local $window i32) (local $i i32)
    ;; The surface: every row the same colour.
    (local.set $surface (call $buffer_create (i32.mul (i32.mul (global.get $width) (global.get $height)) (i32.const 4))))
    (loop $fill
      (i32.store (i32.add (global.get $row) (i32.shl (local.get $i) (i32.const 2))) (global.get $colour))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (global.get $width))))
    (local.set $i (i32.const 0))
    (loop $rows
      (drop (call $mem_write (local.get $surface)
                  (i32.mul (local.get $i) (i32.mul (global.get $width) (i32.const 4)))
                  (global.get $row) (i32.mul (global.get $width) (i32.const 4))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $i) (global.get $height))))

    ;; CREATE_WINDOW; the answer's cap (offset 8) is the event endpoint and
    ;; its payload (offset 24) starts with the window id.
    (if (i64.lt_s (call $call (i64.const 1) (i32.const 0x100) (i32.const 0) (i32.const 23) (local.get $surface)
                        (global.get $message) (i32.const 256) (i64.const -1))
                  (i64.const 0))
      (then unreachable))
    (local.set $events (i64.load (i32.add (global.get $message) (i32.const 8))))
    (local.set $window (i32.load (i32.add (global.get $message) (i32.const 24))))

    ;; COMMIT the whole surface: shows the window.
    (i32.store (i32.const 512) (local.get $window))
    (drop (call $send (i64.const 1) (i32.const 0x101) (i32.const 512) (i32.const 4) (i64.const 0)))

    (loop $events
      (if (i64.lt_s (call $recv (local.get $events) (global.get $message) (i32.const 1024)) (i64.const 0))
        (then return))
      ;; KEY (0x0220), pressed: payload window, keycode, keysym, modifiers, pressed.
      (if (i32.and (i32.eq (i32.load (global.get $message)) (i32.const 0x220))
                   (i32.eq (i32.load (i32.add (global.get $message) (i32.const 40))) (i32.const 1)))
        (then
          (if (i32.eq (i32.load (i32.add (global.get $message) (i32.const 32))) (global.get $key_t))
            (then unreachable))
          (if (i32.eq (i32.load (i32.add (global.get $message) (i32.const 32))) (global.get $key_h))
            (then (loop $spin (call $yield) (br $spin))))))
      (br $events)))
)
