#!/usr/bin/env bash
# allianced run + alliancectl join / status: the daemon adopts a charter,
# keeps it across restarts, reports status, refuses bad input and a second
# instance, never leaves a client hanging, and stops cleanly on SIGTERM.
. "$(dirname "$0")/../lib.sh"

init_partners acme globex initech && make_charter "$T/c" acme globex initech || { not_ok "setup"; finish; }

fails "status without a daemon is an error" alliancectl -H "$T/acme" status
contains "...that says how to start one" "$(alliancectl -H "$T/acme" status 2>&1)" "allianced run"

check "the daemon starts" start_daemon acme
contains "status before joining says so" "$(alliancectl -H "$T/acme" status)" "none yet"
check "the control socket is owner-only" test "$(stat -c %a "$T/acme/control.sock")" = 600
fails "a second daemon on the same home is refused" allianced run "$T/acme"
contains "...naming the running one" "$(allianced run "$T/acme" 2>&1)" "another allianced (pid $PID_acme)"

out=$(alliancectl join "$T/c" -H "$T/acme")
contains "join adopts the signed charter" "$out" "joined alliance 'Test alliance'"
contains "joining again changes nothing" "$(alliancectl join "$T/c" -H "$T/acme")" "already a member"
st=$(alliancectl -H "$T/acme" status --json)
j() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$st"; }
check "status --json names the daemon" test "$(j "$st" "d['daemon']['name']")" = acme
check "...one alliance, in force" test "$(j "$st" "len(d['alliances']), d['alliances'][0]['in_force']")" = "1 True"
check "...with its three members" test "$(j "$st" "','.join(m['name'] for m in d['alliances'][0]['members'])")" = "acme,globex,initech"
check "...and its rejection counters" test "$(j "$st" "'bad-signature' in d['alliances'][0]['counters']")" = True
check "status --alliance by title" alliancectl -H "$T/acme" status --alliance "Test alliance"
fails "status --alliance of an unknown alliance" alliancectl -H "$T/acme" status --alliance "Nope Inc"

# Bad charters are refused with a reason; the daemon keeps serving.
alliancectl charter new "$T/half" --title Half --member "$T/acme.card" --member "$T/globex.card" >/dev/null
alliancectl charter sign "$T/half" -H "$T/acme" >/dev/null
fails "a charter not signed by all is refused" alliancectl join "$T/half" -H "$T/acme"
contains "...saying it is not in force" "$(alliancectl join "$T/half" -H "$T/acme" 2>&1)" "not in force"
allianced init "$T/acme2" --name acme --listen "tcp://127.0.0.1:$(free_port)" | tail -n 1 >"$T/acme2.card"
alliancectl charter new "$T/other" --title Other --member "$T/acme2.card" --member "$T/initech.card" >/dev/null
for n in acme2 initech; do alliancectl charter sign "$T/other" -H "$T/$n" >/dev/null; done
# A home with a founder's name and other keys: new keys for that member,
# waiting for 'amend --replace' (daemon_rekey.sh goes on from there).
out=$(alliancectl join "$T/other" -H "$T/acme")
check "a charter whose founder has this home's name is joined as new keys for it" test $? -eq 0
contains "...saying it waits for amend --replace" "$out" "with new keys for member 'acme'"
check "...as a candidate" status_true acme "[x for x in d['alliances'] if x['title']=='Other' and x['authoring'].startswith('not a member yet')]"

printf 'garbage' >"$T/garbage"
fails "garbage is refused before it reaches the daemon" alliancectl join "$T/garbage" -H "$T/acme"
check "the daemon still serves after bad requests" alliancectl -H "$T/acme" status

# A client never hangs on a daemon that does not answer.
kill -STOP "$PID_acme"
start=$(date +%s)
fails "a stopped daemon gives an error, not a hang" env ALLIANCE_TIMEOUT=1 alliancectl -H "$T/acme" status
check "...within the timeout" test $(( $(date +%s) - start )) -le 3
contains "...saying it did not answer" "$(ALLIANCE_TIMEOUT=1 alliancectl -H "$T/acme" status 2>&1)" "did not answer"
kill -CONT "$PID_acme"

stop_daemon acme
check "SIGTERM stops the daemon with status 0" test $? -eq 0
check "...and removes its control socket" test ! -e "$T/acme/control.sock"
contains "...logging the clean stop" "$(cat "$T/acme.log")" "stopping on SIGTERM"

check "the daemon starts again" start_daemon acme
check "the charters were kept across the restart" test "$(alliancectl -H "$T/acme" status --json | python3 -c 'import json,sys; print(sorted(a["title"] for a in json.load(sys.stdin)["alliances"]))')" = "['Other', 'Test alliance']"
kill -INT "$PID_acme"
wait "$PID_acme"
check "SIGINT stops it cleanly too" test $? -eq 0

check "allianced run --help" allianced run --help
check "alliancectl join --help" alliancectl join --help
check "alliancectl status --help" alliancectl status --help
finish
