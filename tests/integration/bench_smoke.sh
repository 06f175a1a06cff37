#!/usr/bin/env bash
# bench_smoke: make bench's plumbing at a tiny scale, never its timings.
# bench/bench's raw limits, bench/scale.sh on a 50- and a 500-message log
# (3 daemons, every measure, shortened), and bench/report.py: the JSON is
# written, every row has a figure for both logs, the raw limits are there,
# and no daemon is left behind. Also that mklog fill makes a log that
# audits clean, with every member as an author and no violation.
. "$(dirname "$0")/../lib.sh"
BENCH_DIR=$ROOT/bench
PATH="$ROOT/$BUILD/tests:$PATH"

# mklog fill: a valid history signed by every member.
init_partners acme globex initech
mklog charter "$T/charter" --title Fill --created -40d "$T/acme.card" "$T/globex.card" "$T/initech.card" >/dev/null
for n in acme globex initech; do alliancectl charter sign "$T/charter" -H "$T/$n" >/dev/null; done
check "mklog fill writes 1000 messages" mklog fill "$T/acme" "$T/globex" "$T/initech" \
	--charter "$T/charter" --count 1000 --days 30
audit=$(alliancectl audit "$T/acme" --json)
check "the filled log audits clean: 1000 records, no fault, no violation" python3 -c '
import json, sys
a = json.loads(sys.argv[1])
assert a["ok"] and a["records"] == 1000 and not a["faults"] and not a["violations"], a
' "$audit"
authors=$(alliancectl log "$T/acme" --json | python3 -c 'import json,sys; print(" ".join(sorted({m["author"] for m in json.load(sys.stdin)})))')
contains "every member authored in the filled log" "$authors" "acme globex initech"
kinds=$(alliancectl log "$T/acme" --json | python3 -c 'import json,sys; print(" ".join(sorted({m["kind"] for m in json.load(sys.stdin)})))')
for k in commitment response delivery verdict feedback; do contains "the filled log has a $k" "$kinds" "$k"; done
fails "mklog fill refuses a charter younger than the history" mklog fill "$T/acme" "$T/globex" \
	--charter "$T/charter" --count 10 --days 365

# The bench's plumbing.
check "bench/bench writes the raw limits" env BENCH_RAW="$T/raw.txt" "$ROOT/$BUILD/bench/bench" 1000
mkdir "$T/tmp"
export BENCH_SCALE=500 BENCH_SMALL=50 BENCH_ACTS=3 BENCH_RUNS=3 BENCH_PIPE_N=100 BENCH_LAT_N=20 \
	BENCH_LAT_BUDGET=5 BENCH_FOLLOW_S=1 BENCH_MEASURES=$T/measures.txt
check "bench/scale.sh runs every measure on both logs" env TMPDIR="$T/tmp" "$BENCH_DIR/scale.sh"
check "no daemon of the bench is left running" eval "! pgrep -f 'allianced run $T/tmp/'"
check "bench/report.py prints the table and writes the JSON" "$BENCH_DIR/report.py" "$T/measures.txt" "$T/raw.txt" "$T/results.json"
check "every row has a figure for the small log and at scale, the raw limits are there" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
want = ["accept", "trust", "scorecard", "--series", "--as-of", "report -o", "status", "VmRSS", "VmHWM", "restart", "audit", "peer (3 daemons)", "alone (2 daemons)",
        "acknowledged", "p50", "p99", "--follow"]
rows = d["rows"]
for w in want:
    assert any(w in r["what"] for r in rows), f"no row for {w}"
for r in rows:
    for k in ("small", "scale"):
        assert isinstance(r[k], (int, float)) and r[k] >= 0, (r["what"], k, r[k])
    assert r["goal"], r
raw = d["raw"]
for k in ("sign_per_s_per_core", "verify_per_s_per_core", "cores", "zmq_curve_msgs_per_s", "fsync_per_s"):
    assert isinstance(raw[k], (int, float)) and raw[k] > 0, (k, raw[k])
series = [r for r in rows if "--series" in r["what"]][0]
assert series["what"].startswith("trust --series, 100 points"), series
assert d["scale_messages"] == 500 and d["small_messages"] == 50, d
' "$T/results.json"
finish
