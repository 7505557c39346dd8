# The VT scenarios' guest script (sourced by /init). A shell runs on tty1,
# as after a login there; the harness types into it (`wskdesk-vt` starts
# wskdesk) and sends commands on the serial line:
#   kill SIGNAL  end wskdesk with SIGNAL, wait for it and its console
#                guard, then report tty1's modes (vtstate)
#   files        list /tmp (where commands typed into the shell leave files)
#   chvt N       switch to VT N from outside wskdesk (as another program may)
#   vt N         report the active VT and ttyN's modes
#   drm          report card0's clients and whether each is DRM master
#                ("wskdesk:y"), from debugfs
#   end          power off
# With VT2_SHELL=1 (vt-switch), a second shell runs on tty2.
setsid -c sh -c 'PS1="tty1# " exec sh -i' </dev/tty1 >/dev/tty1 2>&1 &
if [ "${VT2_SHELL:-}" = 1 ]; then
    setsid -c sh -c 'PS1="tty2# " exec sh -i' </dev/tty2 >/dev/tty2 2>&1 &
    mount -t debugfs debugfs /sys/kernel/debug || say "no debugfs"
fi
# Keys typed before a shell is at its prompt can be lost (its terminal is
# opened and set up as it starts), so the harness is told only once each
# shell waits in its line editor: no canonical mode, no echo.
at_prompt() {
    i=0
    while ! vtstate "$1" | grep -q "lines=-icanon,-echo" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    vtstate "$1" | grep -q "lines=-icanon,-echo" || say "the shell on $1 is not at its prompt after 10 s"
}
at_prompt /dev/tty1
[ "${VT2_SHELL:-}" = 1 ] && at_prompt /dev/tty2
say "before: $(vtstate /dev/tty1)"
while read -r command argument </dev/console; do
    case $command in
    kill)
        pid=$(cat /run/wskdesk.pid)
        kill "-$argument" "$pid"
        stopped "$pid" && say "wskdesk ended by SIG$argument"
        i=0
        while pidof wskdesk >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        sleep 1  # the shell is back at its prompt
        say "after: $(vtstate /dev/tty1)"
        ;;
    files) say "files: $(ls /tmp | tr '\n' ' ')" ;;
    chvt) chvt "$argument" && say "chvt $argument done" ;;
    vt) say "vt: active=$(cat /sys/class/tty/tty0/active) $(vtstate "/dev/tty$argument")" ;;
    drm) say "drm: $(awk 'NR > 1 { printf "%s:%s ", $1, $4 }' /sys/kernel/debug/dri/0/clients)" ;;
    end) break ;;
    esac
done
