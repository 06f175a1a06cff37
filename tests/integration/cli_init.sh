#!/usr/bin/env bash
# allianced init: keys, config and the member card, as a new user runs it.
. "$(dirname "$0")/../lib.sh"

out=$(allianced init "$T/acme" --name acme --listen tcp://127.0.0.1:7001)
check "init succeeds" test $? -eq 0
card=$(tail -n 1 <<<"$out")
contains "last line is the member card" "$card" "acme:ed25519="
check "card has no spaces (survives unquoted use)" bash -c "[[ '$card' != *' '* ]]"
check "the card is also saved in the home" test "$(cat "$T/acme/member.card")" = "$card"
check "signing key is mode 0600" test "$(stat -c %a "$T/acme/sign.key")" = 600
check "transport key is mode 0600" test "$(stat -c %a "$T/acme/transport.key")" = 600
check "home directory is mode 0700" test "$(stat -c %a "$T/acme")" = 700
check "signing and transport keys differ" bash -c "! cmp -s '$T/acme/sign.key' '$T/acme/transport.key'"
check "config names the member" grep -q "^name = acme$" "$T/acme/allianced.conf"

keys_before=$(cat "$T/acme/sign.key")
fails "init refuses an existing home" allianced init "$T/acme" --name acme --listen tcp://127.0.0.1:7001
check "keys are never overwritten" test "$(cat "$T/acme/sign.key")" = "$keys_before"
allianced init "$T/acme" --name acme --listen tcp://127.0.0.1:7001 2>"$T/err"
contains "the refusal says why" "$(cat "$T/err")" "already a home"

fails "a bad name is refused" allianced init "$T/b1" --name "a b" --listen tcp://127.0.0.1:7002
allianced init "$T/b1" --name "a/b" --listen tcp://127.0.0.1:7002 2>"$T/err"
contains "the error quotes the bad name" "$(cat "$T/err")" "'a/b'"
check "nothing was created for a bad name" test ! -e "$T/b1"
fails "a bad endpoint is refused" allianced init "$T/b2" --name b2 --listen 127.0.0.1:7002
allianced init "$T/b2" --name b2 --listen 127.0.0.1:7002 2>"$T/err"
contains "the error shows the endpoint form" "$(cat "$T/err")" "tcp://ADDRESS:PORT"
fails "init without --listen is a usage error" allianced init "$T/b3" --name b3
check "ALLIANCE_HOME is the default home" env ALLIANCE_HOME="$T/envhome" allianced init --name envy --listen tcp://127.0.0.1:7009
# -H HOME before the command's name or among its options (DESIGN §8).
check "allianced -H HOME init" allianced -H "$T/g1" init --name g1 --listen "tcp://127.0.0.1:$(free_port)"
check "...made the home" test -f "$T/g1/allianced.conf"
check "allianced --home=HOME init" allianced --home="$T/g2" init --name g2 --listen "tcp://127.0.0.1:$(free_port)"
check "allianced init -H HOME" allianced init -H "$T/g3" --name g3 --listen "tcp://127.0.0.1:$(free_port)"
check "...all three made their homes" test -f "$T/g2/sign.key" -a -f "$T/g3/sign.key"
fails "two different homes are refused" allianced -H "$T/g4" init "$T/g5" --name g4 --listen tcp://127.0.0.1:7011
allianced -H "$T/g4" init "$T/g5" --name g4 --listen tcp://127.0.0.1:7011 2>"$T/err"
contains "...naming both" "$(cat "$T/err")" "two homes given, '$T/g5' and -H '$T/g4'"
check "...and nothing is created" test ! -e "$T/g4" -a ! -e "$T/g5"
fails "-H without a directory is a usage error" allianced -H
# run finds its home the same ways; each daemon answers, then stops cleanly.
run_with() {
	local home=$1; shift
	"$@" 2>"$T/run.log" &
	local pid=$! i ok=1
	DAEMONS+=("$pid")
	for i in $(seq 100); do
		ALLIANCE_TIMEOUT=1 alliancectl -H "$home" status >/dev/null 2>&1 && { ok=0; break; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" || ok=1
	return $ok
}
check "allianced -H HOME run" run_with "$T/g1" allianced -H "$T/g1" run
check "allianced run -H HOME" run_with "$T/g2" allianced run -H "$T/g2"
check "allianced run HOME" run_with "$T/g3" allianced run "$T/g3"
check "allianced run with ALLIANCE_HOME" run_with "$T/g1" env ALLIANCE_HOME="$T/g1" allianced run
fails "run without any home is a usage error" env -u ALLIANCE_HOME allianced run

# A FIFO where a key or the config should be is refused at once (reading
# one used to wait for a writer forever).
allianced init "$T/ff" --name ff --listen tcp://127.0.0.1:7010 >/dev/null
mv "$T/ff/sign.key" "$T/ff.sign.key"
mkfifo -m 600 "$T/ff/sign.key"
timeout 10 alliancectl charter show "$T/ff/sign.key" 2>"$T/err"; rc=$?
check "a FIFO given as a charter file is refused, not waited on" test "$rc" -eq 1
contains "...saying it is not a regular file" "$(cat "$T/err")" "not a regular file"
timeout 10 allianced run "$T/ff" 2>"$T/err"; rc=$?
check "a FIFO as the signing key stops the daemon at once" test "$rc" -ne 0 -a "$rc" -ne 124
contains "...naming it" "$(cat "$T/err")" "sign.key' is not a regular file"
rm "$T/ff/sign.key"; mv "$T/ff.sign.key" "$T/ff/sign.key"
mv "$T/ff/allianced.conf" "$T/ff.conf"
mkfifo -m 600 "$T/ff/allianced.conf"
timeout 10 allianced run "$T/ff" 2>"$T/err"; rc=$?
check "a FIFO as the config stops the daemon at once" test "$rc" -ne 0 -a "$rc" -ne 124
contains "...naming it" "$(cat "$T/err")" "allianced.conf' is not a regular file"

# --- listen (what is bound) against advertise (the card's endpoint)
out=$(allianced init "$T/nat" --name nat --listen tcp://0.0.0.0:7100 --advertise tcp://alliance.nat.example:17100)
check "listen on 0.0.0.0 with a DNS name to advertise" test $? -eq 0
contains "...the card carries the advertised name" "$(tail -n 1 <<<"$out")" ":tcp://alliance.nat.example:17100"
check "...the config keeps both" grep -qx "listen = tcp://0.0.0.0:7100" "$T/nat/allianced.conf"
check "...as two keys" grep -qx "advertise = tcp://alliance.nat.example:17100" "$T/nat/allianced.conf"
for w in "tcp://0.0.0.0:7101" "tcp://*:7101" "tcp://[::]:7101"; do
	allianced init "$T/w1" --name w1 --listen "$w" 2>"$T/err"; rc=$?
	check "a wildcard listen ($w) without --advertise is refused" test "$rc" -eq 1
	contains "...naming --advertise" "$(cat "$T/err")" "--advertise tcp://HOST:PORT"
done
check "...and nothing was created" test ! -e "$T/w1"
allianced init "$T/w2" --name w2 --listen tcp://127.0.0.1:7102 --advertise tcp://0.0.0.0:7102 2>"$T/err"; rc=$?
check "a wildcard on the card is refused" test "$rc" -eq 1
contains "...naming --advertise" "$(cat "$T/err")" "--advertise"
allianced init "$T/w3" --name w3 --listen tcp://alliance.w3.example:7103 2>"$T/err"; rc=$?
check "a DNS name cannot be bound: refused at init, not at run" test "$rc" -eq 1
contains "...saying to advertise it instead" "$(cat "$T/err")" "--advertise tcp://alliance.w3.example:PORT"
check "an interface name may be bound" allianced init "$T/w4" --name w4 --listen tcp://lo:7104 --advertise tcp://127.0.0.1:7104
check "an IPv6 address may be bound and advertised" allianced init "$T/w5" --name w5 --listen "tcp://[::1]:7105"
contains "...in brackets on the card" "$(cat "$T/w5/member.card")" ":tcp://[::1]:7105"
# A wildcard advertise written into the config by hand stops the start.
sed -i 's|^advertise = .*|advertise = tcp://*:17100|' "$T/nat/allianced.conf"
fails "a wildcard advertise in allianced.conf is refused" allianced check "$T/nat"
allianced check "$T/nat" 2>"$T/err"
contains "...naming the file and --advertise" "$(cat "$T/err")" "allianced.conf"
sed -i 's|^advertise = .*|advertise = tcp://alliance.nat.example:17100|' "$T/nat/allianced.conf"
# A home from before advertise existed: its card's endpoint is listen.
sed -i '/^advertise = /d' "$T/acme/allianced.conf"
out=$(allianced check "$T/acme"); rc=$?
check "a config without advertise still opens" test "$rc" -eq 0
contains "...and partners dial listen" "$out" "partners dial tcp://127.0.0.1:7001"

# --- allianced check HOME (like sshd -t)
out=$(allianced check "$T/nat"); rc=$?
check "check passes on a good home" test "$rc" -eq 0
contains "...saying what it read" "$out" "listens on tcp://0.0.0.0:7100, partners dial tcp://alliance.nat.example:17100"
chmod 640 "$T/nat/sign.key"
allianced check "$T/nat" 2>"$T/err"; rc=$?
check "check fails on a key others can read" test "$rc" -eq 1
contains "...with the fix" "$(cat "$T/err")" "chmod 600"
chmod 600 "$T/nat/sign.key"
echo "colour = red" >>"$T/nat/allianced.conf"
allianced check "$T/nat" 2>"$T/err"; rc=$?
check "check fails on an unknown setting" test "$rc" -eq 1
contains "...naming file and line" "$(cat "$T/err")" "allianced.conf' line"
sed -i '/^colour/d' "$T/nat/allianced.conf"
echo "control_group = no-such-group-here" >>"$T/nat/allianced.conf"
allianced check "$T/nat" 2>"$T/err"; rc=$?
check "check fails on a control_group that does not exist" test "$rc" -eq 1
contains "...naming it" "$(cat "$T/err")" "control_group 'no-such-group-here'"
fails "check of a directory that is not a home fails" allianced check "$T/nothing-here"
check "allianced check --help works" allianced check --help

# --- modes, as sshd's StrictModes: nothing others could write is trusted
mkdir -m 755 "$T/pre"
allianced init "$T/pre" --name pre --listen "tcp://127.0.0.1:$(free_port)" >/dev/null 2>"$T/err"
check "init into an existing 0755 directory makes it 0700" test "$(stat -c %a "$T/pre")" = 700
check "...and warns of nothing (the directories above are sound)" test ! -s "$T/err"
check "init makes the config 0600" test "$(stat -c %a "$T/pre/allianced.conf")" = 600
check "...and the alliances directory 0700" test "$(stat -c %a "$T/pre/alliances")" = 700
check "a sound home passes check" allianced check "$T/pre"
# refused PATH WHAT FIX: both run and check refuse the home, exit 1, with
# the same message naming PATH and FIX; the daemon never starts.
refused() {
	local path=$1 what=$2 fix=$3 rc
	allianced check "$T/pre" >/dev/null 2>"$T/check.err"; rc=$?
	check "check refuses $what (exit 1)" test "$rc" -eq 1
	contains "...naming it and the fix" "$(cat "$T/check.err")" "'$path' $fix"
	timeout 10 allianced run "$T/pre" 2>"$T/run.err"; rc=$?
	check "run refuses $what (exit 1, at once)" test "$rc" -eq 1
	check "...saying what check says" test "$(cat "$T/run.err")" = "$(cat "$T/check.err")"
	check "...and binds no control socket" test ! -e "$T/pre/control.sock"
}
for f in "" /allianced.conf /sign.key /transport.key /alliances; do
	for bit in g+w o+w; do
		chmod "$bit" "$T/pre$f"
		mode=$(stat -c %04a "$T/pre$f")
		refused "$T/pre$f" "${f:-the home} after chmod $bit" "is writable by its group or others (mode $mode)"
		contains "...with chmod go-w" "$(cat "$T/check.err")" "run 'chmod go-w $T/pre$f'"
		chmod go-w "$T/pre$f"
	done
done
mkdir -m 700 "$T/pre/alliances/0123"; touch "$T/pre/alliances/0123/log"; chmod 602 "$T/pre/alliances/0123/log"
refused "$T/pre/alliances/0123/log" "a file deep in alliances/" "is writable by its group or others (mode 0602)"
rm -r "$T/pre/alliances/0123"
if [ "$(id -u)" = 0 ] && getent passwd nobody >/dev/null; then
	chown nobody "$T/pre/allianced.conf"
	refused "$T/pre/allianced.conf" "a config owned by another user" "belongs to user nobody"
	contains "...with the chown that fixes it" "$(cat "$T/check.err")" "run 'chown root $T/pre/allianced.conf'"
	chown root "$T/pre/allianced.conf"
else
	ok "# SKIP a file owned by another user needs root and user nobody"
fi
# The directories above: one others may write is refused, unless it is
# root's and sticky like /tmp (which is above every test's home).
mkdir -m 700 "$T/open"
allianced init "$T/open/h" --name h --listen "tcp://127.0.0.1:$(free_port)" >/dev/null
chmod 777 "$T/open"
allianced check "$T/open/h" >/dev/null 2>"$T/err"; rc=$?
check "a world-writable directory above the home is refused (exit 1)" test "$rc" -eq 1
contains "...naming it and the fix" "$(cat "$T/err")" "'$T/open', a directory above the home, is writable by its group or others (mode 0777)"
contains "...chmod go-w" "$(cat "$T/err")" "run 'chmod go-w $T/open'"
allianced init "$T/open/h2" --name h2 --listen "tcp://127.0.0.1:$(free_port)" >/dev/null 2>"$T/err"
contains "init there warns that run will refuse it" "$(cat "$T/err")" "warning: 'allianced run' will refuse this home: '$T/open', a directory above"
if [ "$(stat -c %u "$T/open")" = 0 ]; then
	chmod 1777 "$T/open"
	check "...but a sticky one of root's (like /tmp) is fine" allianced check "$T/open/h"
else
	ok "# SKIP a sticky directory of root's needs root"
fi
chmod 700 "$T/open"
check "after chmod go-w everything, check passes" allianced check "$T/pre"
check "...and the daemon runs" run_with "$T/pre" allianced run "$T/pre"

# --- the default home: the one under the state directory (/var/lib/allianced)
mkdir -p "$T/state"
out=$(env -u ALLIANCE_HOME ALLIANCE_STATE_DIR="$T/state" alliancectl status 2>&1)
contains "no home anywhere: the error says how to give one" "$out" "use -H HOME or set ALLIANCE_HOME"
allianced init "$T/state/acme" --name acme --listen tcp://127.0.0.1:7201 >/dev/null
out=$(env -u ALLIANCE_HOME ALLIANCE_STATE_DIR="$T/state" ALLIANCE_TIMEOUT=1 alliancectl status 2>&1)
contains "one home under the state directory is the default" "$out" "$T/state/acme"
allianced init "$T/state/globex" --name globex --listen tcp://127.0.0.1:7202 >/dev/null
out=$(env -u ALLIANCE_HOME ALLIANCE_STATE_DIR="$T/state" alliancectl status 2>&1)
contains "two are not guessed between: both are named" "$out" "holds 2 (" 
contains "...with the fix" "$out" "pick one with -H $T/state/NAME"

check "allianced --help works" allianced --help
check "allianced init --help works" allianced init --help
contains "...and names --advertise" "$(allianced init --help)" "--advertise ENDPOINT"
finish
