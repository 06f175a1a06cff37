#!/usr/bin/env bash
# The client's edges: a stale control.sock (the daemon was killed) fails at
# once; permission denied is said as such, for the home and for the socket;
# ALLIANCE_TIMEOUT is a bounded number of seconds; numbers are plain digits
# and batch values JSON integers; a batch line gives each JSON key once; a
# due time already past (1970-01-01T00:00:00Z too) needs --past. Every
# refusal of bad input exits with status 2, names the value and changes
# nothing.
. "$(dirname "$0")/../lib.sh"

start_alliance acme globex || { not_ok "two daemons joined and authoring"; finish; }
A=(-H "$T/acme")

# refused "what" NEEDLE command...: exits with status 2 (bad input, nothing
# sent) and says NEEDLE.
refused() {
	local what=$1 needle=$2 rc; shift 2
	"$@" >"$T/.out" 2>&1; rc=$?
	if [ "$rc" -eq 2 ] && grep -qF -- "$needle" "$T/.out"; then
		ok "$what"
	else
		not_ok "$what (exit status $rc; wanted 2, saying '$needle')"; sed 's/^/#   /' "$T/.out"
	fi
}
# batch LINE...: commit --batch of these lines on acme.
batch() { printf '%s\n' "$@" >"$T/b.jsonl"; alliancectl commit --batch "$T/b.jsonl" "${A[@]}"; }
# as_nobody command...: run it as user nobody, without root's groups.
as_nobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }
# ms_since NS: milliseconds since date +%s%N said NS.
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# --- permission denied, said as such (not "no daemon", not a timeout)
chmod 0700 "$T/acme"
out=$(ALLIANCE_TIMEOUT=3 as_nobody alliancectl "${A[@]}" status 2>&1)
check "another user's home: status fails (exit 1)" test $? -eq 1
contains "...saying permission denied on the home" "$out" "permission denied on '$T/acme'"
contains "...and what to do" "$out" "run as the daemon's user or a member of its control_group"
chmod 0711 "$T" "$T/acme"   # now nobody reaches the socket file, which is 0600
start=$(date +%s%N)
out=$(ALLIANCE_TIMEOUT=3 as_nobody alliancectl "${A[@]}" commit x --to globex --due +1d 2>&1)
rc=$?
took=$(ms_since "$start")
check "a control socket this user may not use: commit fails (exit 1)" test $rc -eq 1
contains "...saying permission denied on the socket" "$out" "permission denied on $T/acme/control.sock"
check "...at once, not after the timeout (${took} ms)" test "$took" -lt 2000
chmod 0700 "$T" "$T/acme"
check "...and the daemon serves its owner as before" alliancectl "${A[@]}" status

# --- numbers: digits only, in range
before=$(seq_in acme acme)
refused "--value ' 5' is refused, naming it" "bad value ' 5'" alliancectl commit x --to globex --due +1d --value ' 5' "${A[@]}"
refused "--value +5 is refused" "bad value '+5'" alliancectl commit x --to globex --due +1d --value +5 "${A[@]}"
refused "--value -1 is refused" "bad value '-1'" alliancectl commit x --to globex --due +1d --value -1 "${A[@]}"
refused "--rating ' 3' is refused" "--rating ' 3'" alliancectl feedback globex --rating ' 3' "${A[@]}"
refused "a batch \"value\": -1 is refused, naming the line and the reason" \
	'--batch line 2: "value" must be a whole number from 0 to 9223372036854775807: got -1' \
	batch '{"what": "ok", "to": "globex", "due": "+1d", "value": 3}' '{"what": "x", "to": "globex", "due": "+1d", "value": -1}'
refused "...\"value\": 1.5 too" '--batch line 1: "value" must be a whole number from 0 to 9223372036854775807: got 1.5' \
	batch '{"what": "x", "to": "globex", "due": "+1d", "value": 1.5}'
refused "...and \"value\": \"7\" (a string)" '--batch line 1: "value" must be a whole number from 0 to 9223372036854775807: got "7"' \
	batch '{"what": "x", "to": "globex", "due": "+1d", "value": "7"}'
refused "a JSON key given twice on a line is refused, naming the line and the key" \
	"--batch line 3: duplicate object key near '\"what\"'" \
	batch '{"what": "a", "to": "globex", "due": "+1d"}' '' '{"what": "a", "to": "globex", "due": "+1d", "what": "b"}'
refused "...even with the same value" "\"to\"" \
	batch '{"what": "a", "to": "globex", "to": "globex", "due": "+1d"}'
refused "a bad line after 2 good ones: refused before anything is sent" "--batch line 3" \
	batch '{"what": "a", "to": "globex", "due": "+1d"}' '{"what": "b", "to": "globex", "due": "+1d"}' '{"what": "c", "to": "globex", "due": "+1d", "past": "yes"}'
check "none of these committed anything" test "$(seq_in acme acme)" = "$before"

# --- due times: 1970-01-01T00:00:00Z is a time, in the past
refused "--due 1970-01-01T00:00:00Z is refused as past" "--due 1970-01-01T00:00:00Z is in the past" \
	alliancectl commit "old news" --to globex --due 1970-01-01T00:00:00Z "${A[@]}"
contains "...saying to give --past" "$(cat "$T/.out")" "give --past to record a commitment already overdue"
refused "--due -1h is refused as past" "is in the past" alliancectl commit x --to globex --due -1h "${A[@]}"
refused "a batch line due in the past is refused, naming the line" "--batch line 2: --due" \
	batch '{"what": "a", "to": "globex", "due": "+1d"}' '{"what": "b", "to": "globex", "due": "-2d"}'
refused "task add --due in the past is refused" "give --past to record a task already overdue" \
	alliancectl task add "old task" --owner acme --due -1d "${A[@]}"
check "...and nothing was committed" test "$(seq_in acme acme)" = "$before"
epoch=$(alliancectl commit "old news" --to globex --due 1970-01-01T00:00:00Z --past "${A[@]}")
check "with --past, a due time of 1970-01-01T00:00:00Z is committed ($epoch)" test "$epoch" = "acme/$((before + 1))"
cstate() { alliancectl commitments --json "${A[@]}" | python3 -c "import json,sys; c=[c for c in json.load(sys.stdin) if c['id']=='$1'][0]; print(c['due'], c['state'])"; }
check "...due 1970-01-01T00:00:00Z, and missed (not 'unset')" test "$(cstate "$epoch")" = "1970-01-01T00:00:00Z missed"
check "...the log shows the due time, not null" test "$(alliancectl log --json "${A[@]}" | python3 -c "import json,sys; print([m['due'] for m in json.load(sys.stdin) if m['id']=='$epoch'][0])")" = 1970-01-01T00:00:00Z
out=$(batch '{"what": "a", "to": "globex", "due": "-2d", "past": true}' '{"what": "b", "to": "globex", "due": "+2d"}')
check "a batch line with \"past\": true is committed" test "$(echo $out)" = "acme/$((before + 2)) acme/$((before + 3))"
printf '%s\n' '{"what": "c", "to": "globex", "due": "-3d"}' >"$T/p.jsonl"
check "--past for a whole batch" test "$(alliancectl commit --batch "$T/p.jsonl" --past "${A[@]}")" = "acme/$((before + 4))"
check "task add --past" test "$(alliancectl task add "old task" --owner acme --due -1d --past "${A[@]}")" = "acme/$((before + 5))"

# --- ALLIANCE_TIMEOUT: a number of seconds, bounded. The daemon is frozen,
# so that a timeout read as 'forever' would hang (timeout(1) stops that).
kill -STOP "$PID_acme"
for v in 1e400 inf nan -1 0 '' ' 5' 5s 3601 0x10; do
	refused "ALLIANCE_TIMEOUT='$v' is refused at once" "ALLIANCE_TIMEOUT='$v' is not a number of seconds from 0.001 to 3600" \
		env ALLIANCE_TIMEOUT="$v" timeout 5 alliancectl status "${A[@]}"
done
start=$(date +%s%N)
out=$(ALLIANCE_TIMEOUT=0.5 timeout 5 alliancectl status "${A[@]}" 2>&1)
rc=$?
took=$(ms_since "$start")
check "ALLIANCE_TIMEOUT=0.5 waits half a second for a frozen daemon (${took} ms), then fails (exit 1)" test $rc -eq 1 -a "$took" -ge 400 -a "$took" -lt 3000
contains "...saying it did not answer within 0.5 s" "$out" "did not answer within 0.5 s"
kill -CONT "$PID_acme"

# --- a stale control.sock: the daemon was killed
kill -KILL "$PID_acme"; wait "$PID_acme" 2>/dev/null
check "kill -9 leaves control.sock behind" test -S "$T/acme/control.sock"
start=$(date +%s%N)
out=$(timeout 20 alliancectl status "${A[@]}" 2>&1)
rc=$?
took=$(ms_since "$start")
check "status on a stale socket fails (exit 1)" test $rc -eq 1
check "...at once (${took} ms), not after the 10 s timeout" test "$took" -lt 2000
contains "...saying no daemon is running and why" "$out" "control.sock is stale: the daemon was killed; start it with 'allianced run $T/acme'"
start=$(date +%s%N)
timeout 20 alliancectl commit x --to globex --due +1d "${A[@]}" >/dev/null 2>&1
rc=$?
took=$(ms_since "$start")
check "commit too fails at once (exit $rc, ${took} ms)" test $rc -eq 1 -a "$took" -lt 2000
start=$(date +%s%N)
out=$(timeout 20 alliancectl status --check "${A[@]}" 2>/dev/null)
took=$(ms_since "$start")
check "status --check says CRITICAL at once (${took} ms)" test "${out#CRITICAL: }" != "$out" -a "$took" -lt 2000
check "the daemon starts again over the stale socket" start_daemon acme
check "...and answers" alliancectl status "${A[@]}"
stop_daemon acme; stop_daemon globex
finish
