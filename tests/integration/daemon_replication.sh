#!/usr/bin/env bash
# Three real daemons on loopback replicating their signed feeds over
# CurveZMQ, driven only through alliancectl: replication from any author,
# a peer down and back, kill -9 mid-stream, a home restored from an old
# backup that must not fork its feed, strangers and garbage on the peer
# port, and bad messages from a member rejected with a reason.
. "$(dirname "$0")/../lib.sh"
peerprobe() { "$ROOT/$BUILD/tests/peerprobe" "$@"; }

start_alliance acme globex initech || { not_ok "three daemons joined and authoring"; for f in "$T"/*.log; do sed 's/^/#   /' "$f"; done; finish; }
ok "three daemons joined and authoring"
ALL=(acme globex initech)
audit_all() { alliancectl audit "$T/acme" --against "$T/globex" --against "$T/initech"; }

# --- replication from every author
for i in 1 2 3; do alliancectl -H "$T/acme" commit "acme job $i" --to globex --due +7d --value 100 >/dev/null; done
for i in 1 2; do alliancectl -H "$T/globex" commit "globex job $i" --to acme,initech --due +7d >/dev/null; done
check "acme's three commitments reach both peers" eventually 10 holds 3 acme "${ALL[@]}"
check "globex's two reach both peers" eventually 10 holds 2 globex "${ALL[@]}"
check "receipts follow: initech acknowledges with a signed frontier" eventually 10 holds 1 initech "${ALL[@]}"
check "status shows globex's link up at acme" eventually 5 status_true acme "[l['state'] for l in a['links'] if l['member']=='globex'][0] == 'up'"
check "acme's status says globex's own signed messages acknowledge acme's feed" eventually 10 status_true acme "[l['acked'] for l in a['links'] if l['member']=='globex'][0] >= 3"
contains "status (text) shows each link" "$(alliancectl -H "$T/acme" status)" "link    globex"
check "the three logs audit clean against each other" audit_all

# --- a peer down for a while, then back
link_is() { status_true "$1" "[l['state'] for l in a['links'] if l['member']=='$2'][0] == '$3'"; }
check "acme's link to initech is up" eventually 5 link_is acme initech up
stop_daemon initech
for i in 1 2 3 4 5; do alliancectl -H "$T/acme" commit "while initech is down $i" --to globex --due +7d >/dev/null; done
check "acme and globex go on without initech" eventually 10 holds 8 acme acme globex
# Shown down once initech is silent for LINK_TIMEOUT_MS (4 s, daemon/reactor.h).
check "acme shows the link to initech down" eventually 10 link_is acme initech down
check "initech restarts" start_daemon initech
check "...and catches up on everything it missed" eventually 15 holds 8 acme initech
check "...audits clean against the others" eventually 10 audit_all

# --- kill -9 mid-stream: nothing acknowledged is lost, all converge
( for i in $(seq 1 1000); do alliancectl -H "$T/globex" commit "stream $i" --to acme --due +7d || break; done >"$T/streamed" 2>/dev/null ) &
streamer=$!
streamed() { [ "$(wc -l <"$T/streamed")" -ge "$1" ]; }
eventually 10 streamed 5 >/dev/null   # kill it mid-stream, with some acknowledged
kill -KILL "$PID_globex"; wait "$PID_globex" 2>/dev/null
wait "$streamer"
last=$(tail -n 1 "$T/streamed"); acked=${last#globex/}
check "some commitments were acknowledged before the kill ($last)" is_id "$last" globex
check "...and the kill cut the stream short" test "$(wc -l <"$T/streamed")" -lt 1000
check "globex restarts after kill -9" start_daemon globex
check "every acknowledged commitment is in globex's own log" test "$(seq_in globex globex)" -ge "$acked"
check "...and reaches acme and initech" eventually 15 holds "$acked" globex "${ALL[@]}"
check "globex authors again once its peers confirm its head" eventually 15 authoring_open globex
next=$(alliancectl -H "$T/globex" commit "after the crash" --to acme --due +7d)
check "...continuing its feed without a gap or a fork ($next)" test "$next" = "globex/$(( $(seq_in acme globex) ))"
check "all three audit clean after the crash" eventually 10 audit_all

# --- a home restored from an old backup never forks its feed
stop_daemon acme
cp -a "$T/acme" "$T/acme.backup"
rm -f "$T"/acme.backup/alliances/*/clean   # a backup taken while it ran has no clean mark
check "acme restarts" start_daemon acme
for i in 1 2 3; do alliancectl -H "$T/acme" commit "after the backup $i" --to initech --due +7d >/dev/null; done
head=$(seq_in acme acme)
check "...its new commitments reach the peers" eventually 10 holds "$head" acme globex initech
kill -KILL "$PID_acme"; wait "$PID_acme" 2>/dev/null
rm -rf "$T/acme"; mv "$T/acme.backup" "$T/acme"
check "acme starts from the old backup" start_daemon acme
check "...learns its newer messages back from its peers" eventually 15 holds "$head" acme acme
check "...before it authors again" eventually 15 authoring_open acme
next=$(alliancectl -H "$T/acme" commit "after the restore" --to globex --due +7d)
check "...and its next id follows its real head ($next)" test "$next" = "acme/$((head + 1))"
check "no equivocation anywhere: the audits agree" eventually 10 audit_all

# --- strangers, garbage and half handshakes on the peer port
refused() { jq_status "$1" "d['peer_counters']['handshakes_refused']"; }
before=$(refused acme)
contains "a key that is not a member is refused at the handshake" "$(peerprobe "$T/acme.card")" "handshake refused"
check "...and acme counts it" test "$(refused acme)" -gt "$before"
contains "...showing why in status" "$(alliancectl -H "$T/acme" status)" "is not a member's"
port=$(sed 's/.*://' "$T/acme.card")
exec 7<>"/dev/tcp/127.0.0.1/$port" && head -c 4096 /dev/urandom >&7; exec 7>&-
exec 8<>"/dev/tcp/127.0.0.1/$port" && printf '\377\0\0\0\0\0\0\0\1\177\3\0NULL' >&8   # half a greeting, then silence
check "after garbage and a half handshake acme still answers" alliancectl -H "$T/acme" status
alliancectl -H "$T/initech" commit "after the garbage" --to acme --due +7d >/dev/null
check "...and still replicates" eventually 10 holds "$(seq_in initech initech)" initech acme
exec 8>&-

# --- bad messages from a member: rejected with a reason, nothing changes
id=$(jq_status acme "a['id']")
head -c 300 /dev/urandom >"$T/garbage.bin"
contains "a member's daemon may connect" "$(peerprobe "$T/acme.card" --as "$T/globex" --raw "$T/garbage.bin")" "handshake accepted"
check "...but a malformed message is counted" eventually 5 status_true acme "d['peer_counters']['malformed'] >= 1"
python3 - "$T/acme" "$T/env" <<'PY'
import glob, os, struct, sys
log = glob.glob(sys.argv[1] + "/alliances/*/log")[0]
data = open(log, "rb").read()
os.makedirs(sys.argv[2], exist_ok=True)
off, i = 16, 0
while off + 8 <= len(data):
    n = struct.unpack("<I", data[off:off+4])[0]
    open(f"{sys.argv[2]}/{i}.env", "wb").write(data[off+8:off+8+n])
    off += 8 + n; i += 1
env = open(f"{sys.argv[2]}/0.env", "rb").read()
bad = env[:-1] + bytes([env[-1] ^ 1])          # last byte of the signature
open(f"{sys.argv[2]}/forged.env", "wb").write(bad)
PY
peerprobe "$T/acme.card" --as "$T/globex" --batch "$id" "$T/env/forged.env" >/dev/null
check "a forged signature relayed by a member is rejected" eventually 5 status_true acme "a['counters']['bad-signature'] >= 1"
contains "...and status names the reason" "$(alliancectl -H "$T/acme" status)" "bad-signature"
peerprobe "$T/acme.card" --as "$T/globex" --batch "$id" "$T/env/0.env" "$T/env/1.env" >/dev/null
check "a replayed message is a harmless duplicate" eventually 5 status_true acme "a['counters']['duplicate'] >= 2"
check "...and none of it entered the log: one record per (author, seq)" test "$(jq_status acme "a['records'] == sum(m['seq'] for m in a['members'])")" = True
other=$(printf '%064d' 7)
peerprobe "$T/acme.card" --as "$T/globex" --batch "$other" "$T/env/0.env" >/dev/null
check "a message for an alliance acme has not joined is refused" eventually 5 status_true acme "d['peer_counters']['not_member'] >= 1"
check "acme serves on after all of it" audit_all

# --- commitments: one table everywhere, states that follow the clock
same_tables() { same_output --rows alliancectl commitments -H "$T/{}" --as-of +1h --json -- "${ALL[@]}"; }
check "commitments --as-of T --json is byte-identical in the three homes" eventually 15 same_tables
count() { alliancectl commitments -H "$T/acme" "$@" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
total=$(count)
authored=$(alliancectl log -H "$T/acme" --json | python3 -c 'import json,sys; print(sum(m["kind"] == "commitment" for m in json.load(sys.stdin)))')
check "every commitment in the log is listed ($total of $authored)" test "$total" -eq "$authored"
check "all are proposed now" test "$(count --state proposed)" -eq "$total"
check "after their due time (+8d) they are overdue" test "$(count --state overdue --as-of +8d)" -eq "$total"
check "after the charter's grace too (+11d) they are missed" test "$(count --state missed --as-of +11d)" -eq "$total"
# (Columns as wide as their data: any run of spaces between them.)
check "the text table names promisor, beneficiaries and state" \
	grep -qE '^acme/[0-9]+ +acme +globex +[-0-9T:.Z]+ +[0-9]+ +proposed ' <(alliancectl commitments -H "$T/globex")
fails "a state that does not exist is refused" alliancectl commitments -H "$T/acme" --state pending
contains "...naming the states" "$(alliancectl commitments -H "$T/acme" --state pending 2>&1)" "overdue, missed"
check "alliancectl commitments --help" alliancectl commitments --help
check "alliancectl log --help" alliancectl log --help
contains "log lists every message in arrival order" "$(alliancectl log -H "$T/initech")" "commitment  \"acme job 1\" to globex"
check "log --json is an array of every record" test "$(alliancectl log -H "$T/initech" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -eq "$(jq_status initech "a['records']")"

before=$(jq_status globex "a['records']")
alliancectl log -H "$T/globex" --follow --json >"$T/follow.jsonl" 2>&1 &
follower=$!
# Follow the log only once it printed what it held: the next message is new.
lines_at_least() { [ "$(wc -l <"$T/follow.jsonl")" -ge "$1" ]; }
check "log --follow first prints the $before records held" eventually 10 lines_at_least "$before"
id=$(alliancectl -H "$T/initech" commit "followed" --to globex --due +1d)
check "log --follow prints a new message as it arrives, one JSON object per line ($id)" eventually 10 grep -q "\"id\":\"$id\"" "$T/follow.jsonl"
if kill -INT "$follower" 2>/dev/null; then wait "$follower"; rc=$?; else wait "$follower"; rc="it had exited before, status $?"; fi
if [ "$rc" = 0 ]; then ok "...and stops cleanly on Ctrl-C"; else not_ok "...and stops cleanly on Ctrl-C: $rc"; fi

for n in "${ALL[@]}"; do check "$n stops cleanly" stop_daemon "$n"; done
check "log works with the daemon stopped, on the log file itself" test "$(alliancectl log "$T"/acme/alliances/*/log | wc -l)" -eq "$(alliancectl log -H "$T/acme" | wc -l)"
finish
