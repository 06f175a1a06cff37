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
check "allianced --help works" allianced --help
check "allianced init --help works" allianced init --help
finish
