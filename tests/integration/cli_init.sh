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
