import Compositor
import Testing
import Wire

@testable import Input

/// Touch on the input side: script lines, the pipeline passing whole touch
/// lives through (no bindings, no keys), and the INPUT_TOUCH_* payloads.
@Suite struct TouchInputTests {
    @Test func touchLinesParse() throws {
        let script = try InputScript(parsing: """
            touch down 0 0.25 0.5
            touch move 0 1 0   # the edges are in range
            TOUCH Down 3 0 1
            touch frame
            touch up 0
            touch cancel
            """)
        #expect(script.lines.map(\.command) == [
            .touch(.down(slot: 0, x: 0.25, y: 0.5)),
            .touch(.move(slot: 0, x: 1, y: 0)),
            .touch(.down(slot: 3, x: 0, y: 1)),
            .touch(.frame),
            .touch(.up(slot: 0)),
            .touch(.cancel),
        ])
    }

    @Test(arguments: [
        ("touch", "usage: " + InputScript.touchUsage),
        ("touch tap 0 0.5 0.5", "unknown touch action 'tap' (" + InputScript.touchUsage + ")"),
        ("touch down 0 0.5", "usage: touch down SLOT X Y (X and Y from 0 to 1 of the touchscreen)"),
        ("touch move 1 0.5 0.5 9", "usage: touch move SLOT X Y (X and Y from 0 to 1 of the touchscreen)"),
        ("touch down 0 1.5 0.5", "x must be a number from 0 to 1 (a fraction of the touchscreen), not '1.5'"),
        ("touch down 0 0.5 -0.1", "y must be a number from 0 to 1 (a fraction of the touchscreen), not '-0.1'"),
        ("touch down 0 nan 0.5", "x must be a number from 0 to 1 (a fraction of the touchscreen), not 'nan'"),
        ("touch down 0 200 100", "x must be a number from 0 to 1 (a fraction of the touchscreen), not '200'"),
        ("touch down -1 0.5 0.5", "slot must be 0...1023, not -1"),
        ("touch down one 0.5 0.5", "slot must be a whole number, not 'one'"),
        ("touch up", "usage: touch up SLOT"),
        ("touch frame 0", "usage: touch frame"),
        ("touch cancel 0", "usage: touch cancel (every finger of the touchscreen)"),
        ("touch \"down\" 0 0 0", "touch: unexpected string \"down\""),
    ])
    func badTouchLinesSayWhereAndWhat(line: String, message: String) {
        #expect(throws: InputScriptError(script: "touch.txt", line: 2, message: message)) {
            _ = try InputScript(parsing: "wait 1\n" + line + "\n", name: "touch.txt")
        }
    }

    @Test func touchLinesBecomeTheScriptTouchscreensEvents() throws {
        let steps = try InputScript(parsing: "touch down 2 0.1 0.2\ntouch move 2 0.3 0.4\ntouch frame\ntouch up 2\ntouch cancel")
            .steps(keymap: try Keymaps.us, width: 320, height: 240)
        let script = TouchDevice.script
        #expect(script == TouchDevice(id: 0, widthMM: 0, heightMM: 0, outputHint: ""))
        #expect(steps == [
            .event(.touch(.down(script, slot: 2, x: 0.1, y: 0.2))),
            .event(.touch(.motion(device: 0, slot: 2, x: 0.3, y: 0.4))),
            .event(.touch(.frame(device: 0))),
            .event(.touch(.up(device: 0, slot: 2))),
            .event(.touch(.cancel(device: 0))),
        ])
    }

    /// Touch is no key: it passes through untouched by bindings or
    /// repeat, but only as whole lives (no up without its down).
    @Test func thePipelinePassesWholeTouchLivesOn() throws {
        let rig = PipelineRig(keymap: try Keymaps.us)
        let screen = TouchDevice(id: 4, widthMM: 250, heightMM: 160, outputHint: "eDP-1")
        let events: [TouchEvent] = [
            .motion(device: 4, slot: 0, x: 0.5, y: 0.5),  // never went down: dropped
            .up(device: 4, slot: 0),  // likewise
            .cancel(device: 4),  // nothing down: dropped
            .down(screen, slot: 0, x: 0.1, y: 0.2),
            .down(screen, slot: 0, x: 0.9, y: 0.9),  // down twice: the second dropped
            .down(screen, slot: 1, x: 0.3, y: 0.4),
            .frame(device: 4),
            .motion(device: 4, slot: 1, x: 0.35, y: 0.45),
            .up(device: 4, slot: 0),
            .up(device: 4, slot: 0),  // up twice: dropped
            .frame(device: 4),
            .cancel(device: 4),  // slot 1 is still down
            .motion(device: 4, slot: 1, x: 0.4, y: 0.5),  // cancelled: dropped
            .cancel(device: 4),  // a second cancel, finger by finger as libinput does: dropped
        ]
        for event in events { rig.pipeline.handle(.touch(event)) }
        #expect(rig.sink.take() == [
            .touch(.down(screen, slot: 0, x: 0.1, y: 0.2)),
            .touch(.down(screen, slot: 1, x: 0.3, y: 0.4)),
            .touch(.frame(device: 4)),
            .touch(.motion(device: 4, slot: 1, x: 0.35, y: 0.45)),
            .touch(.up(device: 4, slot: 0)),
            .touch(.frame(device: 4)),
            .touch(.cancel(device: 4)),
        ])
        #expect(rig.actions.all.isEmpty)
    }

    /// A paused session cancels every touchscreen with a finger down, as it
    /// releases keys and buttons; its fingers' later events are dropped.
    @Test func releaseAllCancelsTheFingersDown() throws {
        let rig = PipelineRig(keymap: try Keymaps.us)
        let a = TouchDevice(id: 1), b = TouchDevice(id: 2), c = TouchDevice(id: 3)
        rig.pipeline.handle(.touch(.down(b, slot: 0, x: 0, y: 0)))
        rig.pipeline.handle(.touch(.down(a, slot: 5, x: 0, y: 0)))
        rig.pipeline.handle(.touch(.down(c, slot: 0, x: 0, y: 0)))
        rig.pipeline.handle(.touch(.up(device: 3, slot: 0)))
        _ = rig.sink.take()
        rig.pipeline.releaseAll()
        #expect(rig.sink.take() == [
            .touch(.cancel(device: 1)), .touch(.frame(device: 1)),
            .touch(.cancel(device: 2)), .touch(.frame(device: 2)),
        ])
        rig.pipeline.handle(.touch(.up(device: 1, slot: 5)))
        #expect(rig.sink.take().isEmpty)
    }

    @Test func touchOpcodesAgreeWithTheWindowProtocol() {
        #expect(InputMessage.touchDown == WindowProtocol.inputTouchDown)
        #expect(InputMessage.touchMotion == WindowProtocol.inputTouchMotion)
        #expect(InputMessage.touchUp == WindowProtocol.inputTouchUp)
        #expect(InputMessage.touchCancel == WindowProtocol.inputTouchCancel)
        #expect(InputMessage.touchFrame == WindowProtocol.inputTouchFrame)
    }

    /// Each touch event encodes as docs/protocol.md lays it out.
    @Test func touchPayloadsHaveTheDocumentedLayout() {
        let screen = TouchDevice(id: 7, widthMM: 293, heightMM: 165, outputHint: "HDMI-A-1")
        let down = InputMessage.encode(.touch(.down(screen, slot: 2, x: 0.25, y: 0.75)))
        #expect(down.opcode == WindowProtocol.inputTouchDown)
        var r = PayloadReader(down.payload)
        #expect(r.u32() == 7 && r.u32() == 2 && r.f64() == 0.25 && r.f64() == 0.75)
        #expect(r.u32() == 293 && r.u32() == 165 && r.text() == "HDMI-A-1")

        let motion = InputMessage.encode(.touch(.motion(device: 7, slot: 2, x: 1, y: 0)))
        #expect(motion.opcode == WindowProtocol.inputTouchMotion)
        r = PayloadReader(motion.payload)
        #expect(r.u32() == 7 && r.u32() == 2 && r.f64() == 1 && r.f64() == 0 && r.remaining == 0)

        let up = InputMessage.encode(.touch(.up(device: 7, slot: 2)))
        r = PayloadReader(up.payload)
        #expect(up.opcode == WindowProtocol.inputTouchUp)
        #expect(r.u32() == 7 && r.u32() == 2 && r.remaining == 0)

        for (event, opcode) in [(TouchEvent.cancel(device: 7), WindowProtocol.inputTouchCancel),
                                (.frame(device: 7), WindowProtocol.inputTouchFrame)] {
            let message = InputMessage.encode(.touch(event))
            r = PayloadReader(message.payload)
            #expect(message.opcode == opcode)
            #expect(r.u32() == 7 && r.remaining == 0)
        }
    }
}
