# The VT scenarios' guest script (sourced by /init). A shell runs on tty1,
# as after a login there; the harness types into it (`wskdesk-vt` starts
# wskdesk) and sends commands on the serial line:
#   kill SIGNAL  end wskdesk with SIGNAL, wait for it and its console
#                guard, then report tty1's modes (vtstate)
#   files        list /tmp (where commands typed into the shell leave files)
#   end          power off
setsid -c sh -c 'PS1="tty1# " exec sh -i' </dev/tty1 >/dev/tty1 2>&1 &
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
    end) break ;;
    esac
done
