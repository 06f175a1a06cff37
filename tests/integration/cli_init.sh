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
contains "the error shows the endpoint form" "$(cat "$T/err")" "tcp://HOST:PORT"
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

check "allianced --help works" allianced --help
check "allianced init --help works" allianced init --help
finish
