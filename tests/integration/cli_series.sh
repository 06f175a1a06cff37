#!/usr/bin/env bash
# trust --series STEP: the trust table at every step, the same in every
# home, from the daemon and from the log, and at each point exactly the
# rows of trust --as-of POINT; --csv of trust, of the series and of
# commitments parses (RFC 4180) to the values --json prints, with partner
# text that starts a formula guarded; bad steps, a --since after --as-of
# and too many points are refused, naming the value and the fix; the series
# never waits for the daemon (it is read from the log); a daemon
# older than the query leaves it to the log.
. "$(dirname "$0")/../lib.sh"

start_alliance acme globex initech || { not_ok "three daemons joined and authoring"; finish; }
A=(-H "$T/acme") G=(-H "$T/globex")

# A history over a few seconds: confirmed, declined, one already overdue,
# one whose text is a spreadsheet formula with a comma and a quote.
c1=$(alliancectl commit "a prototype" --to globex --due +14d --value 500 "${A[@]}")
check "a commitment" is_id "$c1" acme
alliancectl accept "$c1" "${G[@]}" >/dev/null
sleep 1.1 # the points are a second apart: the history spans a few of them
c2=$(alliancectl commit '=HYPERLINK("x"),1' --to globex,initech --due +3d --value 20 "${A[@]}")
check "a commitment with a formula for text" is_id "$c2" acme
alliancectl decline "$c2" --reason no "${G[@]}" >/dev/null
c3=$(alliancectl commit "late report" --to globex --due -2d --past --value 5 "${A[@]}")
check "an overdue one" is_id "$c3" acme
check "acme holds globex's answers" eventually 20 holds 2 globex acme
sleep 1.1
alliancectl deliver "$c1" --note done "${A[@]}" >/dev/null
alliancectl confirm "$c1" --rating 5 "${G[@]}" >/dev/null
for h in acme globex initech; do
	check "$h holds the confirmation" eventually 20 holds 3 globex "$h"
	check "$h holds acme's delivery" eventually 20 holds 4 acme "$h"
done
AS_OF=$(abs_time +1s)
S=(--series 1s --as-of "$AS_OF")

check "the series: the same in every home" \
	same_output --rows alliancectl trust "${S[@]}" --json -H "$T/{}" -- acme globex initech
check "...and from the log (--offline, --verify)" same_as --rows \
	alliancectl trust "${S[@]}" --json "${A[@]}" -- \
	alliancectl trust "${S[@]}" --json "${A[@]}" --offline -- \
	alliancectl trust "${S[@]}" --json "${A[@]}" --verify
check "...and read from the bare log file" same_as --rows \
	alliancectl trust "${S[@]}" --json "${A[@]}" -- \
	alliancectl trust "${S[@]}" --json "$(find "$T/acme" -name log -type f)"
alliancectl trust "${S[@]}" --json "${A[@]}" >"$T/series.json"

# The series is never asked of the daemon (a table a point would hold its
# one thread): with acme's daemon frozen, alliancectl still answers it,
# from the log, the same rows, and nothing waits for the daemon.
kill -STOP "$PID_acme"
check "a frozen daemon: the series is still answered, from the log" \
	eval 'ALLIANCE_TIMEOUT=2 alliancectl trust "${S[@]}" --json "${A[@]}" | cmp - "$T/series.json"'
kill -CONT "$PID_acme"

# The points: the charter's creation, then every second, then --as-of.
created=$(alliancectl charter show "$T/charter" --json | python3 -c '
import json, sys; print(json.load(sys.stdin)["created"])')
points() {
	python3 - "$T/series.json" "$AS_OF" "$created" <<'EOF'
import json, sys
from datetime import datetime, timedelta
rows = json.load(open(sys.argv[1]))
def t(s): return datetime.fromisoformat(s.replace("Z", "+00:00"))
pts = []
for r in rows:
    if not pts or pts[-1] != r["as_of"]:
        pts.append(r["as_of"])
assert len(rows) == 3 * len(pts), "three rows a point"
assert len(pts) >= 4, "the history spans a few points: %s" % pts
assert t(pts[0]) == t(sys.argv[3]), "the first point is the creation %s: %s" % (sys.argv[3], pts[0])
assert t(pts[-1]) == t(sys.argv[2]), "the last point is --as-of %s: %s" % (sys.argv[2], pts[-1])
for a, b in zip(pts, pts[1:-1]):
    assert t(b) - t(a) == timedelta(seconds=1), (a, b)
assert timedelta(0) < t(pts[-1]) - t(pts[-2]) <= timedelta(seconds=1)
assert [r["partner"] for r in rows[:3]] == ["acme", "globex", "initech"]
assert rows[0]["trust"] == 0.5 and rows[-3]["fulfilled"] == 1, "the history shows: %s" % rows[-3]
EOF
}
check "the points: the creation, every second, --as-of; three rows each" points

# As text: one table a point, headed by it.
text_tables() {
	local out first
	out=$(alliancectl trust "${S[@]}" "${A[@]}") || return 1
	first=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["as_of"])' "$T/series.json")
	[ "$(grep -c '^PARTNER ' <<<"$out")" = "$(($(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/series.json") / 3))" ] &&
		[ "$(head -n 1 <<<"$out")" = "as of $first" ] && grep -q "^globex  *0\.[0-9]\{4\} " <<<"$out" ||
		{ echo "$out" | head -n 12; return 1; }
}
check "as text: a table a point, each headed by its time" text_tables

# Each point's rows are those of trust --as-of POINT --json, byte for byte.
at_each_point() {
	local p rc=0
	for p in $(python3 -c 'import json,sys; print(" ".join(dict.fromkeys(r["as_of"] for r in json.load(open(sys.argv[1])))))' "$T/series.json"); do
		alliancectl trust --as-of "$p" --json "${A[@]}" >"$T/point.json" || return 1
		python3 - "$T/series.json" "$T/point.json" "$p" <<'EOF' || rc=1
import json, sys
series = [r for r in json.load(open(sys.argv[1])) if r["as_of"] == sys.argv[3]]
for r in series:
    del r["as_of"]
want = json.load(open(sys.argv[2]))
if json.dumps(series) != json.dumps(want):
    print("at %s:\n  series %s\n  --as-of %s" % (sys.argv[3], series, want))
    sys.exit(1)
EOF
	done
	return $rc
}
check "at each point, the rows of trust --as-of POINT --json" at_each_point

# CSV: the same values as the JSON, read by python's csv module.
csv_is_json() { # CSV-FILE JSON-FILE COLUMN... (a column:SEP is an array joined with SEP)
	python3 - "$@" <<'EOF'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
want = json.load(open(sys.argv[2]))
cols = sys.argv[3:]
names = [c.split(":")[0] for c in cols]
assert rows[0] == names, "header %s, not %s" % (rows[0], names)
assert len(rows) - 1 == len(want), "%d rows, not %d" % (len(rows) - 1, len(want))
assert open(sys.argv[1], "rb").read().count(b"\r") == 0, "line ends are \\n"
for got, w in zip(rows[1:], want):
    for c, v in zip(cols, got):
        k, _, sep = c.partition(":")
        x = w[k]
        if x is None:
            ok = v == ""
        elif isinstance(x, bool):
            ok = v == ("true" if x else "false")
        elif isinstance(x, (int, float)):
            ok = float(v) == x and v == json.dumps(x)
        elif isinstance(x, list):
            ok = v == sep.replace("_", " ").join(x)
        else:
            ok = v == ("'" + x if x[:1] in "=+-@\t\r" and x else x)
        assert ok, "column %s: CSV %r, JSON %r" % (k, v, x)
EOF
}
alliancectl trust "${S[@]}" --csv "${A[@]}" >"$T/series.csv"
check "trust --series --csv: the JSON's values" csv_is_json "$T/series.csv" "$T/series.json" \
	as_of partner trust uncertainty fulfilled late missed disputed given received reciprocity "warnings:;_"
alliancectl trust --as-of "$AS_OF" --json "${A[@]}" >"$T/trust.json"
alliancectl trust --as-of "$AS_OF" --csv "${A[@]}" >"$T/trust.csv"
check "trust --csv: the table's values" csv_is_json "$T/trust.csv" "$T/trust.json" \
	partner trust uncertainty fulfilled late missed disputed given received reciprocity "warnings:;_"
alliancectl commitments --as-of "$AS_OF" --json "${A[@]}" >"$T/commitments.json"
alliancectl commitments --as-of "$AS_OF" --csv "${A[@]}" >"$T/commitments.csv"
check "commitments --csv: the JSON's values" csv_is_json "$T/commitments.csv" "$T/commitments.json" \
	id promisor to:\; what due value state late task
contains "...the formula quoted and guarded with a '" "$(cat "$T/commitments.csv")" \
	"\"'=HYPERLINK(\"\"x\"\"),1\""
check "commitments --csv: the same from the log" same_as \
	alliancectl commitments --as-of "$AS_OF" --csv "${A[@]}" -- \
	alliancectl commitments --as-of "$AS_OF" --csv "${A[@]}" --offline

# Bad input: a clear error, the usual status, nothing printed on stdout.
refused() { # STATUS TEXT ARGS...: exits STATUS, says TEXT, prints nothing else
	local want=$1 text=$2 out err rc; shift 2
	out=$(alliancectl "$@" 2>"$T/err"); rc=$?; err=$(cat "$T/err")
	[ "$rc" = "$want" ] && [ -z "$out" ] && grep -qF -- "$text" <<<"$err" ||
		{ echo "exit $rc, stdout '$out', stderr '$err'"; return 1; }
}
check "--series 0: refused (usage), naming it and an example" refused 2 "'0' is not a step" \
	trust --series 0 "${A[@]}"
check "...e.g." refused 2 "e.g. --series 1d" trust --series 0 "${A[@]}"
check "--series -1d: refused" refused 2 "bad duration '-1d'" trust --series -1d "${A[@]}"
check "--series soon: refused, with an example" refused 2 \
	"--series: bad duration 'soon' (use a number with s, m, h, d or w, e.g. 72h or 14d): give the step between points, e.g. --series 1d" \
	trust --series soon "${A[@]}"
check "--series past the end of time: refused" refused 2 "duration '99999999999999w' is out of range" \
	trust --series 99999999999999w "${A[@]}"
check "--since after --as-of: refused, naming both" refused 1 \
	"--since 2030-01-02T00:00:00Z is after --as-of 2030-01-01T00:00:00Z" \
	trust --series 1d --since 2030-01-02T00:00:00Z --as-of 2030-01-01T00:00:00Z "${A[@]}"
check "...the same from the log" refused 1 "is after --as-of" \
	trust --series 1d --since 2030-01-02T00:00:00Z --as-of 2030-01-01T00:00:00Z "${A[@]}" --offline
check "--as-of before the charter: refused, naming its creation" refused 1 \
	"the charter's creation (the default --since)" trust --series 1d --as-of 2020-01-01 "${A[@]}"
check "too many points: refused, naming the count and a step" refused 1 \
	"makes 86401 points, more than 10000: give a larger step (e.g. --series 9s)" \
	trust --series 1s --since 2030-01-01T00:00:00Z --as-of 2030-01-02T00:00:00Z "${A[@]}"
check "...the same from the log" refused 1 "makes 86401 points" \
	trust --series 1s --since 2030-01-01T00:00:00Z --as-of 2030-01-02T00:00:00Z "${A[@]}" --offline
check "...a fraction of a second past 10000: the step suggested fits" refused 1 \
	"makes 10001 points, more than 10000: give a larger step (e.g. --series 2s)" \
	trust --series 1s --since 2030-01-01T00:00:00Z --as-of 2030-01-01T02:46:39.500Z "${A[@]}"
check "...and is answered" eval 'alliancectl trust --series 2s --since 2030-01-01T00:00:00Z \
	--as-of 2030-01-01T02:46:39.500Z --csv "${A[@]}" | test "$(wc -l)" = 15004'
check "10000 points exactly: answered" eval 'alliancectl trust --series 1s --since 2030-01-01T00:00:00Z \
	--as-of 2030-01-01T02:46:39Z --csv "${A[@]}" | test "$(wc -l)" = 30001'
check "--since without --series: refused" refused 2 "--since is the first point of --series" \
	trust --since 2030-01-01 "${A[@]}"
check "--series with a NAME: refused" refused 2 "drop 'globex'" trust globex --series 1d "${A[@]}"
check "--csv with a NAME: refused" refused 2 "drop 'globex'" trust globex --csv "${A[@]}"
check "--json and --csv: refused" refused 2 "not both" trust --json --csv "${A[@]}"
check "commitments --json --csv: refused" refused 2 "not both" commitments --json --csv "${A[@]}"

# A daemon that knows trust but not the series refuses it ("no query
# 'series'"): alliancectl reads the log, the same rows; one older than
# every query: the same.
stop_daemon acme
for old in series query; do
	"$ROOT/$BUILD/tests/oldctl" "$T/acme" $old >"$T/oldctl.out" & # not a function: $! is the tool
	OLD=$!; DAEMONS+=("$OLD")
	check "a stand-in for an older daemon ($old) answers" eventually 10 grep -q ready "$T/oldctl.out"
	check "...trust --series reads the log: the same rows" \
		eval 'ALLIANCE_TIMEOUT=5 alliancectl trust "${S[@]}" --json "${A[@]}" | cmp - "$T/series.json"'
	kill -TERM "$OLD"; wait "$OLD" 2>/dev/null
done
stop_daemon globex; stop_daemon initech
finish
