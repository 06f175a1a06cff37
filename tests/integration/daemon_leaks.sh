#!/usr/bin/env bash
# Every daemon frees what it allocated and stops cleanly: three founders
# replicate, a fourth member is added (links grow) and one removed (its link
# gets a cap), then each daemon stops with exit 0 and its log holds no
# sanitizer report. It tells most under `make SANITIZE=address,undefined
# test`, where LeakSanitizer checks every allocation at exit (peer.c's links
# and Batches, daemon.c's alliances and replies) and exits 1 on a leak.
. "$(dirname "$0")/../lib.sh"

if ldd "$(command -v allianced)" 2>/dev/null | grep -q libasan; then
	echo "# a sanitizer build: LeakSanitizer checks each daemon at exit"
else
	echo "# not a sanitizer build: only the exit statuses and logs are checked"
fi
export ALLIANCE_TIMEOUT=60
start_alliance acme globex initech || { not_ok "three founders joined and authoring"; finish; }
standing_is() { [ "$(jq_status "$1" "[m['standing'] for m in a['members'] if m['name']=='$2'][0]")" = "$3" ]; }

id=$(alliancectl commit "a prototype" --to globex --due +7d -H "$T/acme")
check "acme commits ($id)" is_id "$id" acme
check "...and it reaches globex and initech" eventually 20 holds "${id#*/}" acme globex initech
check "globex accepts it" alliancectl accept "$id" -H "$T/globex"

init_partners delta
check "a newcomer's daemon starts" start_daemon delta
check "...and joins, waiting" alliancectl join "$T/charter" -H "$T/delta"
prop=$(alliancectl -H "$T/acme" amend --add "$(cat "$T/delta.card")")
check "acme proposes delta ($prop)" is_id "$prop" acme
check "...globex holds the proposal" eventually 20 holds "${prop#*/}" acme globex
check "...and approves it" alliancectl -H "$T/globex" amend --approve "$prop"
check "delta is admitted and may author" eventually 30 authoring_open delta
rm_id=$(alliancectl -H "$T/globex" amend --remove initech)
check "globex proposes removing initech ($rm_id)" is_id "$rm_id" globex
check "...acme holds the proposal" eventually 20 holds "${rm_id#*/}" globex acme
check "...and approves it" alliancectl -H "$T/acme" amend --approve "$rm_id"
check "acme sees initech as left" eventually 20 standing_is acme initech left
alliancectl status -H "$T/acme" >/dev/null

for n in acme globex initech delta; do
	stop_daemon "$n"
	rc=$?
	check "$n stops with exit 0 (got $rc)" test "$rc" -eq 0
	if grep -qE "Sanitizer|runtime error" "$T/$n.log"; then
		not_ok "$n's log holds a sanitizer report"
		grep -E -A12 "Sanitizer|runtime error" "$T/$n.log" | head -40 | sed 's/^/#   /'
	else
		ok "$n's log holds no sanitizer report"
	fi
done
finish
