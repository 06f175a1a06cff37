#!/usr/bin/env bash
# Limits of the process: libzmq aborts (an assertion) when it cannot make
# the descriptors a socket needs, so allianced raises its soft limit on
# open files to the hard one, refuses to start below 256 with a message
# that says what to raise, and checks every socket it opens.
. "$(dirname "$0")/../lib.sh"

init_partners acme || { not_ok "a home"; finish; }
out=$( (ulimit -n 100; allianced run "$T/acme") 2>&1); rc=$?
check "with at most 100 open files, allianced refuses to start (exit $rc, no abort)" test "$rc" -eq 1
contains "...saying which limit to raise" "$out" "the limit on open files is 100, below the 256 allianced needs"
contains "...and how" "$out" "LimitNOFILE="
check "...leaving no control socket behind" test ! -e "$T/acme/control.sock"
# A low soft limit under a high hard one is raised, as daemons do.
if [ "$(ulimit -H -n)" = unlimited ] || [ "$(ulimit -H -n)" -ge 1024 ]; then
	(ulimit -S -n 20; exec allianced run "$T/acme") 2>>"$T/acme.log" &
	pid=$!; DAEMONS+=("$pid")
	check "with a soft limit of 20 under a high hard one, allianced raises it and serves" eventually 10 alliancectl -H "$T/acme" status
	check "...its limit is the hard one" test "$(awk '/Max open files/ {print $4}' /proc/$pid/limits)" = "$(ulimit -H -n)"
	kill -TERM "$pid"; wait "$pid"
	check "...and stops cleanly" test $? -eq 0
fi
finish
