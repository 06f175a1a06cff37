#!/usr/bin/env bash
# Retries never duplicate: a commit or a step sent again with the same
# --key returns the id of the message the first one made and signs nothing
# new; a key used for something else is refused; a --batch interrupted by
# kill -9 of its daemon prints exactly what is durable, and the same batch
# run again commits only what is missing and prints every line's id.
. "$(dirname "$0")/../lib.sh"

# 20,000 commitments in chunks of 256: each chunk is signed, fsynced and
# indexed in well under a second, several in a sanitizer build.
export ALLIANCE_TIMEOUT=60
start_alliance acme globex initech || { not_ok "three daemons joined and authoring"; finish; }
A=(-H "$T/acme")
G=(-H "$T/globex")

# keyed HOME AUTHOR KEY: how many of AUTHOR's messages in HOME's log carry KEY.
keyed() {
	alliancectl log --json -H "$T/$1" |
		python3 -c "import json,sys; print(sum(1 for m in json.load(sys.stdin) if m['author']=='$2' and m['key']=='$3'))"
}
# keyed_is HOME AUTHOR KEY N: keyed says N (for eventually, which runs it again).
keyed_is() { [ "$(keyed "$1" "$2" "$3")" -eq "$4" ]; }
# is_id WORD NAME: WORD is an id of NAME's feed (NAME/SEQ).
is_id() { [[ $1 =~ ^$2/[1-9][0-9]*$ ]]; }
# same_id "what" FIRST SECOND: both runs printed the one id.
same_id() { if is_id "$2" "$4" && [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: '$2' then '$3'"; fi; }

# --- commit --key
id1=$(alliancectl commit "a prototype" --to globex --due 2031-01-01T00:00:00Z --key c1 "${A[@]}")
id2=$(alliancectl commit "a prototype" --to globex --due 2031-01-01T00:00:00Z --key c1 "${A[@]}")
same_id "commit --key twice prints the same id" "$id1" "$id2" acme
check "...and acme's log holds one message with that key" test "$(keyed acme acme c1)" -eq 1
check "...partners see the key (it is in the signed message)" eventually 10 keyed_is globex acme c1 1
before=$(seq_in acme acme)
out=$(alliancectl commit "another prototype" --to globex --due 2031-01-01T00:00:00Z --key c1 "${A[@]}" 2>&1)
check "the key reused for another commitment is refused" test $? -eq 1
contains "...naming the key and the original id" "$out" "key 'c1' was used for $id1, a different commitment: use a new key"
fails "...so is another due time" alliancectl commit "a prototype" --to globex --due 2031-02-01T00:00:00Z --key c1 "${A[@]}"
fails "...and other beneficiaries" alliancectl commit "a prototype" --to globex,initech --due 2031-01-01T00:00:00Z --key c1 "${A[@]}"
fails "...and another value" alliancectl commit "a prototype" --to globex --due 2031-01-01T00:00:00Z --value 5 --key c1 "${A[@]}"
check "...and none of them signed anything" test "$(seq_in acme acme)" = "$before"
# A due time given from now (+14d) is read anew by a retry: not compared.
r1=$(alliancectl commit "specs" --to initech --due +14d --key c2 "${A[@]}")
r2=$(alliancectl commit "specs" --to initech --due +14d --key c2 "${A[@]}")
same_id "a retry of a commitment due +14d (from now) prints the same id" "$r1" "$r2" acme
# A retry after the due time passed: the original stands, no --past needed.
d=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)
p1=$(alliancectl commit "soon" --to globex --due "$d" --key c3 "${A[@]}")
due_passed() { [ "$(date -u +%s)" -gt "$(date -u -d "$d" +%s)" ]; }
eventually 10 due_passed
p2=$(alliancectl commit "soon" --to globex --due "$d" --key c3 "${A[@]}")
same_id "a retry after its due time passed prints the same id, without --past" "$p1" "$p2" acme
fails "...while a new commitment due then is refused as past" alliancectl commit "late" --to globex --due "$d" --key c4 "${A[@]}"
contains "...saying so" "$(alliancectl commit "late" --to globex --due "$d" --key c4 "${A[@]}" 2>&1)" "is in the past"
# Keys are per member: initech may use c1 for its own commitment.
i1=$(alliancectl commit "initech's own" --to acme --due +3d --key c1 -H "$T/initech")
check "another member's key c1 is its own ($i1)" is_id "$i1" initech

# --- steps with --key
a1=$(alliancectl accept "$id1" --key s1 "${G[@]}")
a2=$(alliancectl accept "$id1" --key s1 "${G[@]}")
same_id "accept --key twice prints the same id (the retry is not a second acceptance)" "$a1" "$a2" globex
check "...one response with that key in the log" test "$(keyed globex globex s1)" -eq 1
before=$(seq_in globex globex)
out=$(alliancectl decline "$id1" --key s1 "${G[@]}" 2>&1)
check "the key reused for another answer is refused" test $? -eq 1
contains "...naming the original" "$out" "key 's1' was used for $a1, a different response: use a new key"
out=$(alliancectl commit "x" --to acme --due +1d --key s1 "${G[@]}" 2>&1)
contains "...and for another kind of message, naming both kinds" "$out" "key 's1' was used for $a1, a response, not a commitment"
check "...neither signed anything" test "$(seq_in globex globex)" = "$before"
f1=$(alliancectl feedback acme --rating 4 --comment "good" --key s2 "${G[@]}")
f2=$(alliancectl feedback acme --rating 4 --comment "good, again" --key s2 "${G[@]}")
same_id "feedback --key twice prints the same id (free text is not compared)" "$f1" "$f2" globex
fails "...another rating under that key is refused" alliancectl feedback acme --rating 2 --key s2 "${G[@]}"
t1=$(alliancectl task add "the rig" --owner acme --due +20d --key s3 "${A[@]}")
t2=$(alliancectl task add "the rig" --owner acme --due +20d --key s3 "${A[@]}")
same_id "task add --key twice prints the same id" "$t1" "$t2" acme
dl1=$(alliancectl deliver "$id1" --note "done" --key s4 "${A[@]}")
dl2=$(alliancectl deliver "$id1" --note "done" --key s4 "${A[@]}")
same_id "deliver --key twice prints the same id (the state moved on: no matter)" "$dl1" "$dl2" acme
am1=$(alliancectl amend --param w_late=300 --reason "late costs more" --key s5 "${A[@]}")
am2=$(alliancectl amend --param w_late=300 --reason "late costs more" --key s5 "${A[@]}")
same_id "amend --param --key twice prints the same id" "$am1" "$am2" acme
fails "...another value under that key is refused" alliancectl amend --param w_late=301 --key s5 "${A[@]}"
ap1=$(alliancectl amend --approve "$am1" --key s6 "${G[@]}")
ap2=$(alliancectl amend --approve "$am1" --key s6 "${G[@]}")
same_id "amend --approve --key twice prints the same id (in effect by then: no matter)" "$ap1" "$ap2" globex
fails "a bad key is refused" alliancectl accept "$id1" --key 'a b' "${G[@]}"
contains "...with the rule" "$(alliancectl accept "$id1" --key 'a b' "${G[@]}" 2>&1)" "1 to 64 characters of A-Z a-z 0-9 . _ : -"
check "every --help says what a key is" bash -c 'for v in commit accept decline deliver confirm dispute release escalate resolve task feedback amend; do alliancectl $v --help | grep -q "retry token" || { echo "$v"; exit 1; }; done'

# --- batches with keys
printf '%s\n' '{"what": "b1", "to": "globex", "due": "+5d", "key": "b-1"}' \
	'{"what": "b2", "to": "globex", "due": "+5d", "key": "b-2"}' >"$T/small.jsonl"
s1=$(alliancectl commit --batch "$T/small.jsonl" "${A[@]}")
before=$(seq_in acme acme)
s2=$(alliancectl commit --batch "$T/small.jsonl" "${A[@]}")
check "a batch with keys run twice prints the same ids" test -n "$s1" -a "$(echo $s1)" = "$(echo $s2)"
check "...and signs nothing the second time" test "$(seq_in acme acme)" = "$before"
printf '%s\n' '{"what": "b0", "to": "globex", "due": "+5d", "key": "b-0"}' \
	'{"what": "b1", "to": "globex", "due": "+5d", "key": "b-1"}' \
	'{"what": "b3", "to": "globex", "due": "+5d", "key": "b-3"}' \
	'{"what": "b2", "to": "globex", "due": "+5d", "key": "b-2"}' >"$T/mixed.jsonl"
m=($(alliancectl commit --batch "$T/mixed.jsonl" "${A[@]}"))
s=($s1)
check "a batch mixing known and new keys prints every id in order" test "${#m[@]}" -eq 4 -a "${m[1]}" = "${s[0]}" -a "${m[3]}" = "${s[1]}"
check "...authoring only the new ones" test "$(seq_in acme acme)" -eq $((before + 2)) -a "${m[0]}" = "acme/$((before + 1))" -a "${m[2]}" = "acme/$((before + 2))"
printf '%s\n' '{"what": "x", "to": "globex", "due": "+5d", "key": "dup"}' '' \
	'{"what": "y", "to": "globex", "due": "+5d", "key": "dup"}' >"$T/dup.jsonl"
before=$(seq_in acme acme)
out=$(alliancectl commit --batch "$T/dup.jsonl" "${A[@]}" 2>&1)
check "one key on two lines of a batch is refused (exit 2)" test $? -eq 2
contains "...naming both lines" "$out" "--batch lines 1 and 3 have the same key 'dup'"
check "...and nothing is committed" test "$(seq_in acme acme)" = "$before"

# --- kill -9 in the middle of a 20,000-line batch, then the same batch again
N=20000
python3 -c "
import json
for i in range(1, $N + 1):
    print(json.dumps({'what': 'item %d' % i, 'to': ['globex'], 'due': '+30d', 'value': i, 'key': 'load-%d' % i}))
" >"$T/big.jsonl"
alliancectl commit --batch "$T/big.jsonl" "${A[@]}" >"$T/run1.ids" 2>"$T/run1.err" &
client=$!
# Kill the daemon once the first ids are out (the batch is under way).
ids_out() { [ -s "$T/run1.ids" ]; }
eventually 60 ids_out
kill -KILL "$PID_acme"; wait "$PID_acme" 2>/dev/null
wait "$client"
check "the interrupted batch fails (exit 1)" test $? -eq 1
n1=$(wc -l <"$T/run1.ids")
check "...having printed some ids ($n1), not all" test "$n1" -gt 0 -a "$n1" -lt "$N"
# Killed while a chunk was in flight, or between two chunks (the next one
# then finds the daemon's socket stale): either way the client says so.
stopped() { grep -qE "stopped before it answered|control.sock is stale: the daemon was killed" "$T/run1.err"; }
check "...saying the daemon stopped (mid-chunk) or was killed (between chunks)" stopped
contains "...and which lines may or may not be in" "$(cat "$T/run1.err")" "may or may not be"
check "acme restarts" start_daemon acme
check "...and authors again once a peer confirms its head" eventually 20 authoring_open acme
durable=$(( $(seq_in acme acme) ))
echo "# $n1 ids printed before kill -9; acme's feed then held $durable messages"
alliancectl commit --batch "$T/big.jsonl" "${A[@]}" >"$T/run2.ids" 2>"$T/run2.err"
check "the same batch run again succeeds" test $? -eq 0
check "...printing one id per line ($N)" test "$(wc -l <"$T/run2.ids")" -eq "$N"
check "...all distinct" test "$(sort -u "$T/run2.ids" | wc -l)" -eq "$N"
check "...the interrupted run's ids are their prefix" cmp "$T/run1.ids" <(head -n "$n1" "$T/run2.ids")
alliancectl log --json "${A[@]}" >"$T/log.json"
check "every line's key is in acme's log exactly once, under the id printed for that line" python3 - "$T/log.json" "$T/run2.ids" "$N" <<'EOF'
import json, sys
log = json.load(open(sys.argv[1]))
ids = open(sys.argv[2]).read().split()
n = int(sys.argv[3])
by_key = {}
for m in log:
    k = m.get('key') or ''
    if m['author'] == 'acme' and k.startswith('load-'):
        by_key.setdefault(k, []).append(m['id'])
bad = [k for k, v in by_key.items() if len(v) != 1]
if bad or len(by_key) != n:
    sys.exit('%d keys, %d repeated (%s)' % (len(by_key), len(bad), bad[:5]))
wrong = [i for i in range(n) if by_key['load-%d' % (i + 1)] != [ids[i]]]
if wrong:
    sys.exit('line %d: printed %s, log has %s' % (wrong[0] + 1, ids[wrong[0]], by_key['load-%d' % (wrong[0] + 1)]))
EOF
check "...and the commitments number the lines: $N, each once" test "$(alliancectl commitments --json "${A[@]}" | python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin) if c["what"].startswith("item ")))')" -eq "$N"
head=$(seq_in acme acme)
check "...replicated: globex and initech hold acme's feed to $head" eventually 30 holds "$head" acme globex initech
check "the logs audit clean" alliancectl audit "$T/acme" --against "$T/globex" --against "$T/initech"
stop_daemon acme; stop_daemon globex; stop_daemon initech
finish
