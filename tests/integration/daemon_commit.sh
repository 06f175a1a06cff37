#!/usr/bin/env bash
# alliancectl commit through a real daemon: ids, batches, refusals that
# change nothing, concurrent clients, and nothing acknowledged lost across
# kill -9; a full disk refuses a batch whole and passes; a failed fsync
# stops the daemon without acknowledging.
. "$(dirname "$0")/../lib.sh"

start_alliance acme globex initech || { not_ok "three daemons joined and authoring"; finish; }
A=(-H "$T/acme")
seq_of() { seq_in acme "$1"; }

check "commit prints the new id" test "$(alliancectl commit "a prototype" --to globex --due +14d --value 500 "${A[@]}")" = acme/1
check "a commitment to several members" test "$(alliancectl commit "specs" --to globex,initech --due 2030-01-01T00:00:00Z "${A[@]}")" = acme/2
check "a task to commit to" test "$(alliancectl task add "the prototype" --owner acme --due +20d "${A[@]}")" = acme/3
out=$(printf '%s\n' '{"what": "x", "to": ["globex"], "due": "+1d"}' '' \
	'{"what": "y", "to": "globex,initech", "due": "+2d", "value": 7, "task": "acme/3"}' |
	alliancectl commit --batch - "${A[@]}")
check "--batch prints one id per line, in order" test "$(echo $out)" = "acme/4 acme/5"
printf '%s\n' '{"what": "from a file", "to": "initech", "due": "+3d"}' >"$T/batch.jsonl"
check "--batch FILE" test "$(alliancectl commit --batch "$T/batch.jsonl" "${A[@]}")" = acme/6

before=$(seq_of acme)
fails "an unknown beneficiary is refused" alliancectl commit x --to globx --due +1d "${A[@]}"
contains "...naming it and the members" "$(alliancectl commit x --to globx --due +1d "${A[@]}" 2>&1)" "no member named 'globx'"
fails "a promise to oneself is refused" alliancectl commit x --to acme --due +1d "${A[@]}"
fails "a bad due time is refused" alliancectl commit x --to globex --due tomorrow "${A[@]}"
contains "...with the accepted forms" "$(alliancectl commit x --to globex --due tomorrow "${A[@]}" 2>&1)" "ISO-8601"
fails "text that is not UTF-8 is refused" alliancectl commit $'caf\xe9' --to globex --due +1d "${A[@]}"
fails "a bad value is refused" alliancectl commit x --to globex --due +1d --value -3 "${A[@]}"
fails "an unknown task is refused" alliancectl commit x --to globex --due +1d --task globex/9 "${A[@]}"
printf '%s\n' '{"what": "ok", "to": "globex", "due": "+1d"}' '{"what": "bad", "to": "nobody", "due": "+1d"}' >"$T/bad.jsonl"
fails "a batch with one bad line is refused" alliancectl commit --batch "$T/bad.jsonl" "${A[@]}"
printf '%s\n' '{"what": "ok", "to": "globex", "due": "+1d"}' 'not json' >"$T/bad2.jsonl"
contains "...naming the line" "$(alliancectl commit --batch "$T/bad2.jsonl" "${A[@]}" 2>&1)" "line 2"
check "refusals commit nothing, not even the good lines" test "$(seq_of acme)" = "$before"

# Concurrent clients: each gets its own id; one fsync may cover several.
clients=()
for i in $(seq 1 20); do alliancectl commit "job $i" --to globex --due +1d "${A[@]}" >"$T/c$i.id" & clients+=($!); done
wait "${clients[@]}"   # not a bare wait: the daemon is a child too
check "20 concurrent commits get 20 distinct ids" test "$(cat "$T"/c*.id | sort -u | wc -l)" -eq 20
check "...and the feed holds them all" test "$(seq_of acme)" -eq $((before + 20))

# kill -9 right after acknowledgements: nothing acknowledged is lost.
for i in $(seq 1 10); do alliancectl commit "late $i" --to initech --due +1d "${A[@]}" >>"$T/acked"; done
last=$(tail -n 1 "$T/acked")
kill -KILL "$PID_acme"; wait "$PID_acme" 2>/dev/null
check "the daemon restarts after kill -9" start_daemon acme
check "every acknowledged commitment survived (up to $last)" test "$(seq_of acme)" -ge "${last#acme/}"
check "the log audits clean after the crash" alliancectl audit "$T/acme"
check "after the crash, peers confirm acme's head before it authors" eventually 15 authoring_open acme
check "authoring continues the same feed" test "$(alliancectl commit after --to globex --due +1d "${A[@]}")" = "acme/$(( ${last#acme/} + 1 ))"
stop_daemon globex; stop_daemon initech; stop_daemon acme

# A full disk is not fatal (daemon_disk.sh fills a real one): a batch whose
# third commitment finds no space (the nospc fault: its write stops after
# 20 bytes with ENOSPC) is refused whole, the first two taken back; the
# daemon goes on, finds space at its next probe and resumes by itself.
# (Its peers are down, so the operator lets it author alone, and it stopped
# cleanly: its own commitments are the only appends.)
printf 'author_alone_after = 1\n' >>"$T/acme/allianced.conf"
ALLIANCE_FAULT=nospc:3/20 start_daemon acme
check "acme authors alone after author_alone_after" eventually 10 authoring_open acme
before=$(seq_of acme)
records=$(alliancectl log "$T/acme" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
printf '%s\n' '{"what": "one", "to": "globex", "due": "+1d"}' '{"what": "two", "to": "globex", "due": "+1d"}' \
	'{"what": "three", "to": "globex", "due": "+1d"}' >"$T/three.jsonl"
fails "a batch whose third write finds the disk full is refused" alliancectl commit --batch "$T/three.jsonl" "${A[@]}"
contains "...saying disk full and that nothing was written" "$(cat "$T/.out")" "has no space left"
contains "...nothing was written" "$(cat "$T/.out")" "nothing was written; free space and retry"
check "...the daemon runs on" kill -0 "$PID_acme"
check "...the feed is where it was: the first two were taken back" test "$(seq_of acme)" = "$before"
check "...and so is the log" test "$(alliancectl log "$T/acme" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$records"
check "...which audits clean (no partial record)" alliancectl audit "$T/acme"
check "the daemon finds space again by itself" eventually 10 status_true acme "d['disk']['state'] == 'ok'"
check "...then the batch is acknowledged, from the seq never written" test "$(alliancectl commit --batch "$T/three.jsonl" "${A[@]}" | tr '\n' ' ')" = "acme/$((before + 1)) acme/$((before + 2)) acme/$((before + 3)) "
contains "...the daemon logged both" "$(cat "$T/acme.log")" "disk space is back in"
stop_daemon acme

# A failed fsync is fatal: the daemon stops and acknowledges nothing. (Its
# peers are down, so it authors alone as above, and it stopped cleanly, so
# the commit is the first thing it syncs.)
ALLIANCE_FAULT=logsync:1 allianced run "$T/acme" 2>"$T/fault.log" &
fpid=$!
DAEMONS+=("$fpid")
for i in $(seq 100); do [ -S "$T/acme/control.sock" ] && break; sleep 0.05; done
check "the daemon serves before the failing fsync" env ALLIANCE_TIMEOUT=3 alliancectl status "${A[@]}"
check "...and authors alone after author_alone_after" eventually 10 authoring_open acme
n=$(alliancectl audit "$T/acme" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
fails "a commit whose fsync fails is not acknowledged" env ALLIANCE_TIMEOUT=3 alliancectl commit doomed --to globex --due +1d "${A[@]}"
wait "$fpid"
check "...and the daemon exits with status 1" test $? -eq 1
contains "...saying why" "$(cat "$T/fault.log")" "fsync"
check "the home still audits clean" alliancectl audit "$T/acme"
check "alliancectl commit --help" alliancectl commit --help
finish
