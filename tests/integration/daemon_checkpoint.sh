#!/usr/bin/env bash
# A home with a checkpoint restarts from it, and its log still holds
# everything acknowledged; a log restored from an older backup beside a
# newer checkpoint is a warning (daemon log and status) and a full replay,
# and the daemon holds what the restored log holds, nothing more.
. "$(dirname "$0")/../lib.sh"

start_alliance acme globex || { not_ok "two daemons joined and authoring"; finish; }
ck() { jq_status acme "a['checkpoint']['$1']"; }
dir=$(ls -d "$T"/acme/alliances/*)
ids=()
for i in 1 2 3; do ids+=("$(alliancectl -H "$T/acme" commit "job $i" --to globex --due +7d)"); done
check "three commitments acknowledged" is_id "${ids[2]}"
check "...and held by globex" eventually 10 holds 3 acme globex
# globex's receipt of them comes about a second later: wait for it, so
# that the count below is the log's when acme stops.
check "...whose receipt acme holds" eventually 10 holds 1 globex acme
records=$(jq_status acme "a['records']")

stop_daemon acme
check "a clean stop writes a checkpoint" test -s "$dir/checkpoint"
cp "$dir/log" "$T/log.backup"
start_daemon acme
check "restarted from it: status answers and says it was used" status_true acme "a['checkpoint']['used']"
check "...covering every record ($records)" test "$(ck covered)" = "$records"
check "...the ledger with them: loaded, not replayed" test "$(ck ledger)" = True
check "...and not rebuilt since" test "$(jq_status acme "a['ledger']['rebuilds']")" = 0
check "...with nothing replayed" test "$(ck replayed)" = 0
check "...and no warning" test "$(ck warning)" = None
check "acme/3 is held after the restart" holds 3 acme acme

# More, then a crash: the checkpoint is older than the log, which is fine.
eventually 10 authoring_open acme
for i in 4 5; do ids+=("$(alliancectl -H "$T/acme" commit "job $i" --to globex --due +7d)"); done
check "two more acknowledged" is_id "${ids[4]}"
kill -KILL "$PID_acme"; wait "$PID_acme" 2>/dev/null
start_daemon acme
check "after kill -9 the older checkpoint is used" status_true acme "a['checkpoint']['used']"
check "...and what follows it replayed" status_true acme "a['checkpoint']['replayed'] >= 2"
check "everything acknowledged is held (acme/5)" holds 5 acme acme
held=$(alliancectl log -H "$T/acme")
for id in "${ids[@]}"; do contains "the log holds $id" "$held" " $id "; done

# A newer checkpoint beside a log restored from the older backup.
stop_daemon acme
stop_daemon globex
check "the checkpoint now covers acme/5" test -s "$dir/checkpoint"
cp "$T/log.backup" "$dir/log"
start_daemon acme
check "restored log, newer checkpoint: not used" status_true acme "not a['checkpoint']['used']"
contains "...status says why" "$(ck warning)" "fewer than it covers"
contains "...so does the daemon's log" "$(cat "$T/acme.log")" "replayed the whole log"
check "...and acme holds what the restored log holds ($records records)" test "$(jq_status acme "a['records']")" = "$records"
check "...acme/3, not acme/5" test "$(seq_in acme acme)" = 3
start_daemon globex
check "globex gives acme/4 and acme/5 back" eventually 20 holds 5 acme acme
finish
