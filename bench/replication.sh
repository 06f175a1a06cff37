#!/usr/bin/env bash
# bench/replication.sh (part of make bench): three real daemons on loopback.
# acme authors N commitments in one --batch (signed, fsynced, acknowledged);
# then the time until globex and initech hold all of them (pushed over
# CurveZMQ, verified and fsynced by each). Rates are compared with the raw
# limits bench/bench measured in the same run ($BENCH_RAW).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PATH="$PWD/$BUILD:$PATH"
N=${1:-5000}
[ -n "${BENCH_RAW:-}" ] && BENCH_RAW=$(realpath "$BENCH_RAW")
. tests/lib.sh >/dev/null   # homes, charter, daemons that always stop
raw() { [ -n "${BENCH_RAW:-}" ] && awk -v k="$1" '$1 == k { print $2 }' "$BENCH_RAW" || true; }
now() { date +%s.%N; }
rate() { python3 -c "print(f'{$1 / ($3 - $2):10.0f}')"; }
ratio() { [ -n "$2" ] && python3 -c "print(f'  ({$1 / $2:.2f}x raw $3)')" || true; }

start_alliance acme globex initech || { echo "bench: daemons did not start" >&2; exit 1; }
python3 -c "
import json
for i in range($N):
    print(json.dumps({'what': f'bench item {i}', 'to': ['globex'], 'due': '+30d', 'value': i}))
" >"$T/batch.jsonl"

t0=$(now)
alliancectl -H "$T/acme" commit --batch "$T/batch.jsonl" >/dev/null
t1=$(now)
until holds "$N" acme globex initech >/dev/null 2>&1; do sleep 0.02; done
t2=$(now)

seqs=200
t3=$(now)
for i in $(seq $seqs); do alliancectl -H "$T/acme" commit "one $i" --to initech --due +1d >/dev/null; done
t4=$(now)
until holds "$((N + seqs))" acme globex initech >/dev/null 2>&1; do sleep 0.02; done

a=$(rate "$N" "$t0" "$t1")
r=$(rate "$N" "$t1" "$t2")
printf '%-46s %s /s%s\n' "daemon: commit --batch $N (sign, fsync, ack)" "$a" "$(ratio "$a" "$(raw sign)" sign)"
printf '%-46s %s /s%s%s\n' "daemon: replicated to both peers (msgs)" "$r" "$(ratio "$r" "$(raw verify)" verify)" "$(ratio "$r" "$(raw zmq_curve)" 'ZeroMQ CURVE')"
printf '%-46s %s /s%s\n' "daemon: single commits, one CLI call each" "$(rate "$seqs" "$t3" "$t4")" "$(ratio "$(rate "$seqs" "$t3" "$t4")" "$(raw fsync)" fsync)"
printf '  %s\n' "logs: $(jq_status globex "a['records']") records at globex, $(du -k "$T"/globex/alliances/*/log | cut -f1) KiB"
for n in acme globex initech; do stop_daemon "$n" || echo "bench: $n did not stop cleanly" >&2; done
exit 0
