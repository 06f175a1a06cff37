#!/usr/bin/env bash
# alliancectl log --follow prints each new record once, in order, reading
# only what was appended (strace: after the first pass it never opens the
# log again and reads far less than its size); a log replaced under it is
# said so and read again from its start.
. "$(dirname "$0")/../lib.sh"
MKLOG="$ROOT/$BUILD/tests/mklog"

init_partners acme globex && make_charter "$T/charter" acme globex || { not_ok "homes and charter"; finish; }
"$MKLOG" author "$T/acme" --charter "$T/charter" --count 1500 >/dev/null
LOG=$(ls "$T"/acme/alliances/*/log)
check "a log of 1500 records" test "$(alliancectl log "$T/acme" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1500

alliancectl log "$T/acme" --follow --json >"$T/follow.out" 2>"$T/follow.err" &
FOLLOW=$!; DAEMONS+=("$FOLLOW")
lines() { [ "$(wc -l <"$T/follow.out")" -ge "$1" ]; }
check "--follow prints the 1500 records there" eventually 20 lines 1500

# Watch its system calls from here on: only the appended bytes are read.
strace -qq -p "$FOLLOW" -e trace=openat,read,pread64,mmap -o "$T/strace.out" &
STRACE=$!; DAEMONS+=("$STRACE")
eventually 10 test -s "$T/strace.out"
"$MKLOG" author "$T/acme" --charter "$T/charter" --count 3 >/dev/null
check "...then the 3 appended" eventually 20 lines 1503
sleep 1 # four more looks at a log that did not grow: they read nothing
kill -INT "$STRACE"; wait "$STRACE" 2>/dev/null
in_order() {
	python3 - "$T/follow.out" <<'PY'
import json, sys
recs = [json.loads(l)["record"] for l in open(sys.argv[1])]
if recs != list(range(len(recs))):
    print("records out of order or repeated:", recs[:5], "...", recs[-5:]); sys.exit(1)
PY
}
check "each record once, in order (0 to 1502)" in_order
check "exactly 1503 lines" test "$(wc -l <"$T/follow.out")" -eq 1503
size=$(stat -c %s "$LOG")
read_bytes=$(grep -E '^(pread64|read)\(' "$T/strace.out" | sed -E 's/.*= ([0-9]+)$/\1/;t;d' | paste -sd+ | bc)
check "strace saw the appended records read (${read_bytes:-0} bytes)" test "${read_bytes:-0}" -gt 0
check "...and far less than the log's $size bytes" test "${read_bytes:-0}" -lt $((size / 10))
check "...and the log never opened again" eval '! grep -q "openat(.*/log\"" "$T/strace.out"'
check "...nor mapped" eval '! grep -q "^mmap(.*PROT_READ, MAP_PRIVATE, [0-9]" "$T/strace.out"'

# A log replaced (a restore from a copy): said, and read again from its start.
cp "$LOG" "$LOG.new" && mv "$LOG.new" "$LOG"
check "a replaced log is said so" eventually 10 grep -q "was replaced or cut shorter: reading it again" "$T/follow.err"
check "...and read again: 1503 more lines" eventually 20 lines 3006
check "...from record 0" test "$(sed -n 1504p "$T/follow.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["record"])')" = 0
kill -INT "$FOLLOW"; wait "$FOLLOW"
check "Ctrl-C ends it cleanly" test $? -eq 0
finish
