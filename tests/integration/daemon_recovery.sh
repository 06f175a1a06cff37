#!/usr/bin/env bash
# A daemon never forks its own feed, however it comes back: restored from
# a cold backup (with its clean-stop mark), stopped again while it still
# waited for its peers, or with its store lost and joined anew (its peers
# must feed it everything again, its own feed included).
. "$(dirname "$0")/../lib.sh"

start_alliance acme globex initech || { not_ok "three daemons joined and authoring"; finish; }
# after ID MIN: ID is a message id whose sequence number is past MIN
# (receipts may come between).
after() { is_id "$1" && [ "${1#*/}" -gt "$2" ]; }
audit_all() { alliancectl audit "$T/acme" --against "$T/globex" --against "$T/initech"; }
no_equivocation() { [ "$(jq_status "$1" "a['equivocations']")" = 0 ]; }

# --- a cold backup (taken while acme was stopped: it holds a clean mark)
for i in 1 2; do alliancectl -H "$T/acme" commit "job $i" --to globex --due +7d >/dev/null; done
check "acme's first two reach everyone" eventually 10 holds 2 acme acme globex initech
stop_daemon acme
cp -a "$T/acme" "$T/acme.cold"
check "the cold backup holds a clean-stop mark" test -s "$(ls "$T"/acme.cold/alliances/*/clean)"
start_daemon acme
check "acme authors on" eventually 10 authoring_open acme
for i in 3 4; do alliancectl -H "$T/acme" commit "job $i" --to globex --due +7d >/dev/null; done
check "...and its peers hold acme/4" eventually 10 holds 4 acme globex initech
stop_daemon acme
rm -rf "$T/acme"; cp -a "$T/acme.cold" "$T/acme"
start_daemon acme
check "restored from the cold backup, acme does not take the old mark for a clean stop" status_true acme "a['authoring'] != 'open'"
check "...learns acme/3 and acme/4 back from its peers" eventually 15 holds 4 acme acme
check "...then authors again" eventually 15 authoring_open acme
next=$(alliancectl -H "$T/acme" commit "after the restore" --to globex --due +7d)
check "...as a new sequence number past acme/4 ($next)" after "$next" 4
check "no equivocation at globex" eventually 5 no_equivocation globex

# --- stopped again while still waiting for its peers
kill -KILL "$PID_acme"; wait "$PID_acme" 2>/dev/null
stop_daemon globex; stop_daemon initech
start_daemon acme
check "after kill -9, with its peers down, acme waits" status_true acme "a['authoring'] != 'open'"
stop_daemon acme
check "a clean stop while waiting leaves no clean mark" test -z "$(ls "$T"/acme/alliances/*/clean 2>/dev/null)"
start_daemon acme
fails "so the next start still refuses to author alone" alliancectl -H "$T/acme" commit x --to globex --due +1d
contains "...saying why" "$(alliancectl -H "$T/acme" commit x --to globex --due +1d 2>&1)" "never forks its feed"
start_daemon globex; start_daemon initech
check "once its peers are back, acme authors again" eventually 15 authoring_open acme
last=${next#*/}
next=$(alliancectl -H "$T/acme" commit "back" --to globex --due +7d)
check "...continuing its feed past acme/$last ($next)" after "$next" "$last"

# --- a store lost, and joined anew
check "initech holds everything before" eventually 10 holds "${next#*/}" acme initech
stop_daemon initech
# What the peers hold of initech's feed is all that survives. Not a sleep:
# wait until they agree on it (they relay it to each other, so a message
# initech sent last, still landing at one, reaches both).
check "acme and globex agree on what they hold of initech's feed" eventually 10 same_output seq_in {} initech -- acme globex
mine=$(seq_in acme initech)
rm -rf "$T"/initech/alliances/*
start_daemon initech
check "initech joins again with an empty log" alliancectl join "$T/charter" -H "$T/initech"
check "...its peers send it the others' feeds" eventually 20 holds "${next#*/}" acme initech
check "...and its own feed back ($mine)" eventually 20 holds "$mine" initech initech
check "...before it authors again" eventually 15 authoring_open initech
next=$(alliancectl -H "$T/initech" commit "after the loss" --to acme --due +7d)
check "...continuing its feed past initech/$mine ($next)" after "$next" "$mine"
check "all three logs audit clean against each other" eventually 15 audit_all
for n in acme globex initech; do check "no equivocation held by $n" no_equivocation "$n"; done

# --- a fork made on purpose (a copy of acme's home signs its own acme/N+1,
# given only to globex): the daemons spot it from their Haves at once and
# every home keeps the proof
MKLOG="$ROOT/$BUILD/tests/mklog"
for n in acme globex initech; do stop_daemon "$n"; done
cp -a "$T/acme" "$T/acme.twin"
"$MKLOG" author "$T/acme.twin" --charter "$T/charter" --at +1s >/dev/null
"$MKLOG" author "$T/acme" --charter "$T/charter" >/dev/null
"$MKLOG" copy "$T/acme.twin" "$T/globex" >/dev/null 2>&1
for n in acme globex initech; do start_daemon "$n"; done
has_proof() { [ "$(jq_status "$1" "a['equivocations']")" -ge 1 ]; }
check "acme learns that globex holds another acme message at the same seq" eventually 15 has_proof acme
check "...and globex keeps the proof too" eventually 15 has_proof globex
check "...and initech" eventually 15 has_proof initech
contains "the daemons say so" "$(cat "$T/acme.log" "$T/globex.log")" "signed two messages with one sequence number"
fails "the audit reports the equivocation" alliancectl audit "$T/initech"
finish
