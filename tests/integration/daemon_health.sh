#!/usr/bin/env bash
# Health and metrics: status --check says OK or DEGRADED in one line with
# the exit status to match (a frozen peer, authoring held after a crash, a
# link never up, a home the daemon cannot write in, too little free space,
# no daemon at all); metrics is valid Prometheus text (0.0.4) whose values
# agree with status --json; and the daemon's log lines take the journal's
# form ("<6>message") only when stderr is the stream JOURNAL_STREAM names.
# shellcheck disable=SC2154 # PID_a, PID_b, PID_c: set by start_daemon (eval)
. "$(dirname "$0")/../lib.sh"

# promcheck: parse the text format strictly from stdin; print every series
# as JSON {"name{k=\"v\",...}": value} (labels sorted, values escaped
# as in the format) and every sample as [name, {labels}, value], or say what is
# wrong on stderr and exit 1.
cat >"$T/promcheck.py" <<'EOF'
import json, math, re, sys
NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}
def fail(n, why, line):
    sys.exit('line %d: %s: %r' % (n, why, line))
def labels(s, n, line):
    out, i = {}, 0
    while i < len(s):
        m = LABEL.match(s, i)
        if not m or s[m.end():m.end() + 2] != '="': fail(n, 'bad label', line)
        key, i, val = m.group(0), m.end() + 2, ''
        while True:
            if i >= len(s): fail(n, 'unterminated label value', line)
            c = s[i]
            if c == '\\':
                esc = s[i + 1:i + 2]
                if esc not in ('\\', '"', 'n'): fail(n, 'bad escape \\' + esc, line)
                val += {'\\': '\\', '"': '"', 'n': '\n'}[esc]; i += 2
            elif c == '"': i += 1; break
            elif c == '\n': fail(n, 'raw newline in a label value', line)
            else: val += c; i += 1
        if key in out: fail(n, 'label %s twice' % key, line)
        out[key] = val
        if i < len(s):
            if s[i] != ',': fail(n, 'expected , between labels', line)
            i += 1
    return out
types, helps, seen, done, cur, series, samples = {}, set(), {}, set(), None, {}, []
text = sys.stdin.read()
if not text.endswith('\n'): sys.exit('the exposition does not end with a newline')
for n, line in enumerate(text.split('\n')[:-1], 1):
    if line.startswith('#'):
        parts = line.split(' ', 3)
        if len(parts) >= 3 and parts[1] in ('HELP', 'TYPE'):
            name = parts[2]
            if not NAME.fullmatch(name): fail(n, 'bad metric name', line)
            if name in done: fail(n, 'family %s seen again after others' % name, line)
            if parts[1] == 'TYPE':
                if name in types: fail(n, 'second TYPE', line)
                if name in seen: fail(n, 'TYPE after samples', line)
                if len(parts) != 4 or parts[3] not in TYPES: fail(n, 'bad type', line)
                types[name] = parts[3]
            else:
                if name in helps: fail(n, 'second HELP', line)
                helps.add(name)
            if cur and cur != name: done.add(cur)
            cur = name
        continue
    if not line.strip(): continue
    m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?', line)
    if not m: fail(n, 'not a sample line "name{labels} value"', line)
    name, lab, value = m.group(1), m.group(2) or '', m.group(3)
    if name not in types: fail(n, 'sample before its TYPE line', line)
    if name in done: fail(n, 'samples of %s not together' % name, line)
    if cur and cur != name: done.add(cur)
    cur = name
    seen[name] = True
    try: v = float(value)
    except ValueError: fail(n, 'bad value', line)
    if math.isnan(v) and value != 'NaN': fail(n, 'bad value', line)
    ls = labels(lab, n, line)
    esc = lambda v: v.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')
    key = name + '{' + ','.join('%s="%s"' % (k, esc(ls[k])) for k in sorted(ls)) + '}'
    if key in series: fail(n, 'duplicate series', line)
    series[key] = v
    samples.append([name, ls, v])
for name, t in types.items():
    if not name.startswith('alliance_'): sys.exit('%s: not prefixed alliance_' % name)
    if name not in helps: sys.exit('%s: no HELP line' % name)
    if (t == 'counter') != name.endswith('_total'): sys.exit('%s: a %s (counters, and only they, end in _total)' % (name, t))
print(json.dumps({'types': types, 'series': series, 'samples': samples}))
EOF
promcheck() { python3 "$T/promcheck.py"; }
# The parser refuses what the format does not allow (so its "ok" means something).
H=$'# HELP alliance_x_total x\n# TYPE alliance_x_total counter\n'
check "promcheck takes a good exposition" promcheck <<<"${H}alliance_x_total{a=\"q\\\"\\\\\\n\"} 1"
for bad in "alliance_x_total 1" "${H}alliance_x_total 1"$'\n'"alliance_x_total 2" "${H}alliance_x_total{a=\"\\t\"} 1" \
	"${H}alliance_x_total{a=\"b} 1" "${H}alliance_x_total one" $'# HELP alliance_g g\n# TYPE alliance_g counter\nalliance_g 1' \
	$'# HELP x x\n# TYPE x gauge\nx 1' "${H}alliance_x_total{1a=\"b\"} 1"; do
	fails "promcheck refuses: $(printf %q "$bad")" promcheck <<<"$bad"
done
# metric HOME 'name{k="v",...}': the value of one series (labels sorted), or "absent".
metric() {
	alliancectl -H "$T/$1" metrics | promcheck |
		python3 -c "import json,sys; s=json.load(sys.stdin)['series']; v=s.get(sys.argv[1]); print('absent' if v is None else int(v) if v == int(v) else v)" "$2"
}
# check_line HOME: status --check's output into $out and its exit status into $rc.
check_line() { out=$(alliancectl -H "$T/$1" status --check 2>"$T/.err"); rc=$?; }
healthy() { check_line "$1"; [ $rc -eq 0 ] && [[ $out == OK:* ]]; }
# degraded HOME TEXT: exit status 1 and one DEGRADED line containing TEXT.
degraded() { check_line "$1"; [ $rc -eq 1 ] && [[ $out == DEGRADED:* ]] && [[ $out == *"$2"* ]] && [ "$(wc -l <<<"$out")" -eq 1 ]; }

start_alliance a b c || { not_ok "three daemons joined and authoring"; for f in "$T"/*.log; do sed 's/^/#   /' "$f"; done; finish; }
ok "three daemons joined and authoring"

# --- healthy
check "status --check of a healthy daemon exits 0" eventually 10 healthy a
check_line a
check "...printing exactly one line" test -n "$out" -a "$(wc -l <<<"$out")" -eq 1
contains "...OK, naming the daemon, its alliance and its links" "$out" "OK: a, 1 alliance, 2 links up, 0 violations"
check "...and the free space" grep -qE 'free$' <<<"$out"
check "status --json reports the home's filesystem" status_true a "d['disk']['writable'] and d['disk']['free_bytes'] > 0 and d['disk']['last_write_error'] is None"
fails "--check and --json together are a usage error" alliancectl -H "$T/a" status --check --json
check "...exit status 2" test "$(alliancectl -H "$T/a" status --check --json 2>/dev/null; echo $?)" = 2

# --- a frozen peer: degraded, naming its link; healthy again when it thaws
kill -STOP "$PID_c"
check "a frozen peer makes status --check exit 1, naming its link" eventually 15 degraded a "DEGRADED: a: Test alliance: link to c down for "
contains "...and only that link" "$out" "link to c down for"
check "...not the link that is up" test "${out/link to b/}" = "$out"
check "metrics shows that peer down while it is frozen" test "$(metric a 'alliance_peer_up{alliance="Test alliance",peer="c"}')" = 0
check "...and alliance_healthy 0" test "$(metric a 'alliance_healthy{}')" = 0
kill -CONT "$PID_c"
check "it thaws: status --check exits 0 again" eventually 15 healthy a

# --- metrics: valid text format, the expected families, values that agree with status
for i in 1 2; do alliancectl -H "$T/a" commit "job $i" --to b --due +7d >/dev/null; done
check "the commitments reach b and c" eventually 10 holds 2 a a b c
m=$(alliancectl -H "$T/a" metrics); rc=$?
check "metrics exits 0 with output" test $rc -eq 0 -a -n "$m"
check "...that parses as the Prometheus text format (TYPE first, names, labels, escapes, no duplicate series)" promcheck <<<"$m"
parsed=$(promcheck <<<"$m")
has() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)" "$parsed" "$1"; }
for fam in alliance_up:gauge alliance_healthy:gauge alliance_daemon_start_time_seconds:gauge \
	alliance_log_records:gauge alliance_log_durable_bytes:gauge alliance_feed_seq:gauge \
	alliance_member_current:gauge alliance_authoring_open:gauge alliance_peer_up:gauge \
	alliance_peer_last_heard_timestamp_seconds:gauge alliance_peer_messages_received_total:counter \
	alliance_peer_messages_sent_total:counter alliance_peer_holds_our_seq:gauge \
	alliance_peer_acked_seq:gauge alliance_messages_total:counter \
	alliance_handshakes_refused_total:counter alliance_peer_malformed_total:counter \
	alliance_peer_not_member_total:counter alliance_equivocations:gauge alliance_violations:gauge \
	alliance_disk_free_bytes:gauge alliance_disk_writable:gauge alliance_authoring_stopped:gauge \
	alliance_peer_unbacked_claims_total:counter; do
	check "metrics has ${fam%%:*} (${fam#*:})" has "d['types'].get('${fam%%:*}') == '${fam#*:}'"
done
check "alliance_up 1 and alliance_healthy 1" has "d['series']['alliance_up{}'] == 1 and d['series']['alliance_healthy{}'] == 1"
# agrees HOME STATUS-EXPR SERIES: the metric equals the status value read
# just before and just after it (receipts may land in between: retried).
agrees() {
	local s1 m s2
	s1=$(jq_status "$1" "$2"); m=$(metric "$1" "$3"); s2=$(jq_status "$1" "$2")
	if [ -z "$s1" ] || [ "$s1" != "$s2" ] || [ "$m" != "$s1" ]; then
		echo "status $s1 then $s2, metric $m"
		return 1
	fi
}
for who in a b c; do
	check "alliance_feed_seq of $who equals status --json's seq" eventually 10 agrees a "[m['seq'] for m in a['members'] if m['name']=='$who'][0]" "alliance_feed_seq{alliance=\"Test alliance\",member=\"$who\"}"
done
check "alliance_log_records equals status's records" eventually 10 agrees a "a['records']" 'alliance_log_records{alliance="Test alliance"}'
check "alliance_peer_acked_seq equals status's signed ack" eventually 10 agrees a "[l['acked'] for l in a['links'] if l['member']=='b'][0]" 'alliance_peer_acked_seq{alliance="Test alliance",peer="b"}'
check "a peer up per other member, labelled alliance and peer" has "[k for k, v in d['series'].items() if k.startswith('alliance_peer_up{') and v == 1] == ['alliance_peer_up{alliance=\"Test alliance\",peer=\"b\"}', 'alliance_peer_up{alliance=\"Test alliance\",peer=\"c\"}']"
check "alliance_messages_total counts accepted messages by reason" has "d['series']['alliance_messages_total{alliance=\"Test alliance\",reason=\"accepted\"}'] > 0"
check "every member is current" has "all(v == 1 for k, v in d['series'].items() if k.startswith('alliance_member_current{'))"
check "last heard is a recent time in seconds" has "abs(d['series']['alliance_peer_last_heard_timestamp_seconds{alliance=\"Test alliance\",peer=\"b\"}'] - __import__('time').time()) < 60"
check "the free space agrees with status --json" test "$(metric a 'alliance_disk_free_bytes{}')" -gt 0

# --- the home cannot be written in (the probe's file name taken by a directory)
mkdir "$T/a/.write-probe"
check "a home the daemon cannot write in makes status --check exit 1" eventually 10 degraded a "disk: cannot create $(cd "$T/a" && pwd -P)/.write-probe"
check "...metrics say so" test "$(metric a 'alliance_disk_writable{}')" = 0
check "...and count it" test "$(metric a 'alliance_disk_write_errors_total{}')" -ge 1
contains "...the daemon logs it" "$(cat "$T/a.log")" "cannot create"
rmdir "$T/a/.write-probe"
check "writable again: healthy again" eventually 10 healthy a
check "...the last error is kept, with its time" status_true a "d['disk']['writable'] and d['disk']['last_write_error']['at'] and d['disk']['write_errors'] >= 1"

# --- too little free space (a floor no filesystem meets)
out=$(alliancectl -H "$T/a" status --check --min-free 100%); rc=$?
check "free space below --min-free is degraded" test $rc -eq 1
contains "...saying how much is free and the floor" "$out" "below 100% of"
check "--min-free 0 turns the test off" alliancectl -H "$T/a" status --check --min-free 0
check "--min-free 1K is met" alliancectl -H "$T/a" status --check --min-free 1K
check "metrics --min-free 100% says unhealthy" test "$(alliancectl -H "$T/a" metrics --min-free 100% | promcheck | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["series"]["alliance_healthy{}"]))')" = 0
fails "a bad --min-free is refused" alliancectl -H "$T/a" status --check --min-free lots
contains "...saying what it takes" "$(alliancectl -H "$T/a" status --check --min-free lots 2>&1)" "bad --min-free 'lots'"

# --- no daemon, or one that does not answer
kill -STOP "$PID_b"
out=$(ALLIANCE_TIMEOUT=1 alliancectl -H "$T/b" status --check 2>/dev/null); rc=$?
check "a daemon that does not answer: exit 1" test $rc -eq 1
check "...one CRITICAL line on stdout" test "$(wc -l <<<"$out")" -eq 1 -a "${out#CRITICAL: }" != "$out"
kill -CONT "$PID_b"
stop_daemon b
out=$(alliancectl -H "$T/b" status --check 2>/dev/null); rc=$?
check "no daemon: exit 1" test $rc -eq 1
contains "...CRITICAL: no daemon is running" "$out" "CRITICAL: no daemon is running for '$T/b'"
out=$(alliancectl -H "$T/b" metrics 2>/dev/null); rc=$?
check "metrics with no daemon: exit 1" test $rc -eq 1
check "...and still valid text with alliance_up 0" test "$(promcheck <<<"$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["series"])')" = "{'alliance_up{}': 0.0}"

# --- after a start with every peer frozen: authoring held, links never up
kill -STOP "$PID_a" "$PID_c"
check "b restarts" start_daemon b
check "b, stopped cleanly, still waits for a peer before it authors (its peers are frozen)" test "$(jq_status b "a['authoring']")" != open
kill -KILL "$PID_b"; wait "$PID_b" 2>/dev/null
check "b restarts after kill -9" start_daemon b
check "authoring held while no peer answers: degraded, saying why" eventually 5 degraded b "authoring held for "
contains "...waiting for peers" "$out" "(waiting for peers to confirm this member's feed head)"
check "...and, past the link timeout, links never up since start" eventually 10 degraded b "link to a down since start ("
contains "...both of them" "$out" "link to c down since start ("
check "...metrics: authoring closed, held for some seconds" test "$(metric b 'alliance_authoring_open{alliance="Test alliance"}')" = 0
kill -CONT "$PID_a" "$PID_c"
check "the peers thaw: b is healthy again" eventually 20 healthy b

# --- journald: "<P>message" when stderr is the stream JOURNAL_STREAM names
stop_daemon c
lines=$(wc -l <"$T/c.log")
js=$(stat -L -c '%d:%i' "$T/c.log")
JOURNAL_STREAM=$js start_daemon c
new=$(tail -n +$((lines + 1)) "$T/c.log")
check "with JOURNAL_STREAM matching stderr, lines start with <6>" grep -q '^<6>serving alliance' <<<"$new"
check "...every line has a priority" test -z "$(grep -v '^<[0-7]>' <<<"$new")"
check "...and no timestamp nor name" test -z "$(grep -E '^<[0-7]>[0-9]{4}-|allianced\[' <<<"$new")"
stop_daemon c
contains "...the stop too" "$(tail -n +$((lines + 1)) "$T/c.log")" "<6>stopping on SIGTERM"
for wrong in "1:1" "$(stat -L -c '%d:%i' "$T/charter")" "garbage"; do
	lines=$(wc -l <"$T/c.log")
	JOURNAL_STREAM=$wrong start_daemon c
	new=$(tail -n +$((lines + 1)) "$T/c.log")
	check "with JOURNAL_STREAM=$wrong (not stderr) the plain format stays" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ allianced\[c\] info: serving alliance' <<<"$new"
	stop_daemon c
done
check "c restarts" start_daemon c

# --- label values escaped: a title with a quote, a backslash and a newline
title=$'Q"uo\\te\nline two'
alliancectl charter new "$T/odd" --title "$title" --member "$T/a.card" --member "$T/b.card" >/dev/null &&
	alliancectl charter sign "$T/odd" -H "$T/a" >/dev/null && alliancectl charter sign "$T/odd" -H "$T/b" >/dev/null &&
	alliancectl join "$T/odd" -H "$T/a" >/dev/null && alliancectl join "$T/odd" -H "$T/b" >/dev/null
check "a second alliance with an odd title" test $? -eq 0
id=$(alliancectl -H "$T/a" status --json | python3 -c 'import json,sys; print([a["id"] for a in json.load(sys.stdin)["alliances"] if a["title"].startswith("Q")][0])')
m=$(alliancectl -H "$T/a" metrics --alliance "$id"); rc=$?
check "metrics of it parse" test $rc -eq 0 -a -n "$(promcheck <<<"$m")"
contains "...the title escaped in the label" "$m" 'alliance_log_records{alliance="Q\"uo\\te\nline two"}'
check "...and read back whole" test "$(promcheck <<<"$m" | python3 -c 'import json,sys; print(sorted({l["alliance"] for n, l, v in json.load(sys.stdin)["samples"] if "alliance" in l}) == [sys.argv[1]])' "$title")" = True
check "both alliances: status --check eventually healthy, still one line" eventually 20 healthy a
check "...saying 2 alliances" test "${out#OK: a, 2 alliances}" != "$out"
check "metrics of both parse" test -n "$(alliancectl -H "$T/a" metrics | promcheck)"

finish
