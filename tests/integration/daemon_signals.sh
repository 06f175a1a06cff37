#!/usr/bin/env bash
# The daemon under an init system: signals (SIGHUP reloads, never stops;
# a fatal signal is logged), systemd's notification protocol (READY=1 once
# the control socket answers), a stale control.sock after kill -9, and
# control_group for the operators of one group.
. "$(dirname "$0")/../lib.sh"

start_alliance acme globex || { not_ok "three daemons start"; finish; }
running() { kill -0 "$1" 2>/dev/null; }

# --- SIGHUP re-reads the log level and never stops the daemon
kill -HUP "$PID_acme"
check "SIGHUP is logged as a reload" eventually 5 grep -q "SIGHUP: re-read .*log_level info (unchanged)" "$T/acme.log"
check "...and the daemon keeps running" running "$PID_acme"
check "...and answers" alliancectl -H "$T/acme" status
sed -i 's/^log_level = .*/log_level = debug/' "$T/acme/allianced.conf"
kill -HUP "$PID_acme"
check "a changed log_level is taken on SIGHUP" eventually 5 grep -q "SIGHUP: re-read .*log_level debug$" "$T/acme.log"
sed -i 's/^log_level = .*/log_level = loud/' "$T/acme/allianced.conf"
kill -HUP "$PID_acme"
check "a bad config on SIGHUP keeps the running settings" eventually 5 grep -q "SIGHUP: kept the running settings: .*bad log_level 'loud'" "$T/acme.log"
check "...and the daemon keeps running" running "$PID_acme"
sed -i 's/^log_level = .*/log_level = info/' "$T/acme/allianced.conf"
kill -USR1 "$PID_acme"
check "SIGUSR1 is noted and ignored" eventually 5 grep -q "ignored SIGUSR1" "$T/acme.log"
check "...and the daemon keeps running" running "$PID_acme"

# --- a fatal signal is logged
kill -ABRT "$PID_globex"
wait "$PID_globex"; rc=$?
check "SIGABRT stops the daemon with a failure status" test "$rc" -ne 0
contains "...and is logged" "$(cat "$T/globex.log")" "error: killed by SIGABRT: stopping without a clean stop"

# --- a stale control.sock (kill -9) never blocks a restart
check "a daemon that died on a signal leaves control.sock behind" test -S "$T/globex/control.sock"
start_daemon globex
check "the daemon restarts over a stale control.sock" alliancectl -H "$T/globex" status
check "acme logs at the level it reloaded: debug lines follow" eventually 10 grep -q "allianced\[acme\] debug: " "$T/acme.log"
kill -KILL "$PID_globex"; wait "$PID_globex" 2>/dev/null
fails "with the daemon dead, a command fails" env ALLIANCE_TIMEOUT=2 alliancectl -H "$T/globex" status
check "kill -9 left control.sock behind too" test -S "$T/globex/control.sock"
start_daemon globex
check "...and a restart is not blocked by it" alliancectl -H "$T/globex" status
kill -KILL "$PID_globex"; wait "$PID_globex" 2>/dev/null

# --- systemd's notification protocol (Type=notify)
python3 - "$T/notify.sock" "$T/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "w", buffering=1) as out:
    try:
        while True:
            msg = s.recv(4096).decode()
            out.write(msg.replace("\n", " ") + "\n")
            if "STOPPING=1" in msg:
                break
    except socket.timeout:
        pass
PY
listener=$!
eventually 5 test -S "$T/notify.sock"
NOTIFY_SOCKET="$T/notify.sock" start_daemon globex
check "READY=1 is sent once the control socket answers" eventually 5 grep -qx "READY=1" "$T/notify.out"
kill -HUP "$PID_globex"
check "a reload says RELOADING=1, then READY=1" eventually 5 bash -c "grep -A1 -x RELOADING=1 '$T/notify.out' | grep -qx READY=1"
stop_daemon globex; rc=$?
check "SIGTERM still stops it cleanly" test "$rc" -eq 0
check "...saying STOPPING=1" eventually 5 grep -qx "STOPPING=1" "$T/notify.out"
wait "$listener" 2>/dev/null
NOTIFY_SOCKET="$T/no-such.sock" start_daemon globex
check "an unreachable NOTIFY_SOCKET is a warning, not a failure" eventually 5 grep -q "cannot notify systemd" "$T/globex.log"
stop_daemon globex

# --- control_group: the operators of one group may use the control socket
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && getent group nogroup >/dev/null &&
	getent passwd nobody >/dev/null; then
	chmod 711 "$T"  # so that another user can reach the home in it
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	check "by default the control socket is owner-only" test "$(stat -c %a "$T/acme/control.sock")" = 600
	fails "...so another user cannot use it" as_nobody env ALLIANCE_TIMEOUT=2 alliancectl -H "$T/acme" status
	stop_daemon acme
	sed -i 's/^#control_group = .*/control_group = nogroup/' "$T/acme/allianced.conf"
	check "allianced check accepts the control_group" allianced check "$T/acme"
	start_daemon acme
	check "with control_group the socket is mode 0660" test "$(stat -c %a "$T/acme/control.sock")" = 660
	check "...and the group's" test "$(stat -c %G "$T/acme/control.sock")" = nogroup
	check "...the home is 0710, the group's" test "$(stat -c %a:%G "$T/acme")" = 710:nogroup
	check "...the keys stay 0600" test "$(stat -c %a "$T/acme/sign.key")" = 600
	check "a member of the group can use it" as_nobody alliancectl -H "$T/acme" status
	fails "...but cannot read the keys" as_nobody cat "$T/acme/sign.key"
	stop_daemon acme
	sed -i 's/^control_group = .*/#control_group = allianced/' "$T/acme/allianced.conf"
	start_daemon acme
	check "control_group removed: the socket is owner-only again" test "$(stat -c %a "$T/acme/control.sock")" = 600
	check "...and the home too" test "$(stat -c %a "$T/acme")" = 700
	fails "...so the group's member cannot use it" as_nobody env ALLIANCE_TIMEOUT=2 alliancectl -H "$T/acme" status
	stop_daemon acme
else
	ok "# SKIP control_group needs root, setpriv, user nobody and group nogroup"
fi
finish
