#!/usr/bin/env bash
# The ledger each daemon keeps as messages are admitted (issue 11): three
# partners author at once, so peers' messages arrive signed before the
# receiver's own latest (the tail is undone and replayed); with
# ALLIANCE_LEDGER_CHECK every group commit compares the kept ledger with a
# full replay of the log and stops the daemon on any difference. Acts and
# status never rebuild it from the log.
. "$(dirname "$0")/../lib.sh"
export ALLIANCE_LEDGER_CHECK=1

start_alliance acme globex initech || { not_ok "three daemons joined and authoring"; finish; }
ledger() { jq_status "$1" "a['ledger']['$2']"; }

check "status --json tells how the ledger is kept" test "$(ledger acme rebuilds)" = 0

# Three authors at once: commitments to each other, and answers to them.
for n in acme globex initech; do
	to=$([ $n = acme ] && echo globex || echo acme)
	python3 -c "
import json
for i in range(60):
    print(json.dumps({'what': f'$n item {i}', 'to': ['$to'], 'due': '+30d', 'value': i}))
" >"$T/$n.jsonl"
done
pids=()
for n in acme globex initech; do
	alliancectl -H "$T/$n" commit --batch "$T/$n.jsonl" >"$T/$n.ids" & pids+=($!)
	other=$([ $n = initech ] && echo globex || echo initech)
	for i in 1 2 3 4 5; do alliancectl -H "$T/$n" commit "$n single $i" --to $other --due +2d >/dev/null & pids+=($!); done
done
wait "${pids[@]}"
check "every home holds every feed" eventually 30 holds 65 acme acme globex initech
check "...globex's" eventually 30 holds 65 globex acme globex initech
check "...initech's" eventually 30 holds 65 initech acme globex initech
# Answers racing the peers' next messages.
pids=()
for id in $(head -n 8 "$T/acme.ids"); do alliancectl -H "$T/globex" accept "$id" >/dev/null & pids+=($!); done
for id in $(head -n 8 "$T/globex.ids"); do alliancectl -H "$T/acme" accept "$id" >/dev/null & pids+=($!); done
for id in $(head -n 3 "$T/initech.ids"); do alliancectl -H "$T/acme" decline "$id" --reason busy >/dev/null & pids+=($!); done
wait "${pids[@]}"
for id in $(head -n 3 "$T/acme.ids"); do alliancectl -H "$T/acme" deliver "$id" --note done >/dev/null; done
check "the answers reach every home" eventually 30 holds 73 globex acme initech
check "...and acme's" eventually 30 holds 79 acme acme globex initech

for n in acme globex initech; do
	check "$n's daemon is still running (its ledger equalled a replay at every group commit)" kill -0 "$(eval echo \$PID_$n)"
	check "...and never rebuilt its ledger from the log" test "$(ledger $n rebuilds)" = 0
	check "...which holds every message" eventually 10 status_true $n "a['ledger']['added'] == a['records']"
done
replays=$(( $(ledger acme replays) + $(ledger globex replays) + $(ledger initech replays) ))
check "messages signed before a home's latest were placed by replaying the tail ($replays)" test "$replays" -gt 0
check "commitments --json is the same in the three homes" same_output --rows alliancectl commitments --as-of +0s --json -H "$T/{}" -- acme globex initech
check "the status lists no violation" test "$(jq_status acme "len(a['violations'])")" = 0
for n in acme globex initech; do stop_daemon "$n"; done
finish
