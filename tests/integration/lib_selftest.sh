#!/usr/bin/env bash
# The comparison helpers of tests/lib.sh can fail: same_output and same_as
# refuse a run that fails, prints nothing or (--rows) an empty table, and
# outputs that differ; a relative --as-of is one instant for every home;
# is_id takes only a message id's form. First on stand-in commands, then on
# real homes (logs written with mklog, no daemon).
. "$(dirname "$0")/../lib.sh"

# --- abs_time: the instant --as-of would compute, in a form it parses
check "abs_time +1d at 0 is 1970-01-02T00:00:00.000Z" test "$(abs_time +1d 0)" = 1970-01-02T00:00:00.000Z
check "abs_time +90 (seconds) keeps the milliseconds" test "$(abs_time +90 1700000000123)" = 2023-11-14T22:14:50.123Z
check "abs_time -1h, 2w, 5m" test "$(abs_time -1h 7200000) $(abs_time +2w 0) $(abs_time +5m 0)" = \
	"1970-01-01T01:00:00.000Z 1970-01-15T00:00:00.000Z 1970-01-01T00:05:00.000Z"
check "an absolute time is left as it is" test "$(abs_time 2026-11-22T10:00:00Z)" = 2026-11-22T10:00:00Z

# --- same_output on stand-ins: {} is the home's name
say() { case $1 in empty) ;; blank) echo "  " ;; fail) echo "half"; return 3 ;; other) echo "b" ;; none) echo "[ ]" ;; *) echo "a" ;; esac; }
check "same_output passes when every home prints the same" same_output say {} -- x y z
fails "...fails when a home prints nothing" same_output say {} -- x empty z
fails "...or only spaces" same_output say {} -- x blank
fails "...when the command fails in a home (even with output)" same_output say {} -- x fail
fails "...when every home fails alike" same_output say {} -- fail fail
fails "...when every home prints nothing alike" same_output say {} -- empty empty
fails "...when a home prints something else" same_output say {} -- x y other
out=$(same_output say {} -- x other)
contains "...showing the diff as TAP comments" "$out" "#   +b"
check "...every line a TAP comment" test -z "$(grep -v '^#' <<<"$out")"
contains "...naming the failing home and its status" "$(same_output say {} -- x fail)" "# fail: exit status 3"
check "without --rows an empty JSON array is output" same_output say {} -- none none
fails "with --rows it is not" same_output --rows say {} -- none none
fails "a usage error is a failure, not a pass" same_output say {}
fails "...as is an empty home list" same_output say {} --

# --- one instant for every home
asof() { echo "$*"; sleep 0.02; }   # each run takes time, as a real one does
check "a relative --as-of is fixed once, before the first home" same_output asof --as-of +30d -- x y z
contains "...to an absolute time" "$(same_output asof --as-of +30d -- x; cat "$T/.same/0")" "T"
check "...in --as-of=WHEN form too" same_output asof --as-of=+1h -- x y z
check "same_as fixes it once across its commands" same_as asof --as-of +1h -- asof --as-of +1h

# --- same_as: different commands
fails "same_as fails when the commands print differently" same_as echo a -- echo b
fails "...when one prints nothing" same_as echo a -- true
fails "...when one fails" same_as echo a -- false
check "...and passes when they agree" same_as echo a -- printf 'a\n'
fails "...needs two commands" same_as echo a

# --- on real homes
init_partners acme globex && make_charter "$T/charter" acme globex || { not_ok "two homes and a charter"; finish; }
MKLOG="$ROOT/$BUILD/tests/mklog"
fails "homes without a log cannot be compared" same_output alliancectl commitments -H "$T/{}" --json -- acme globex
"$MKLOG" author "$T/acme" --charter "$T/charter" --count 2 >/dev/null
"$MKLOG" author "$T/globex" --charter "$T/charter" --count 0 >/dev/null 2>&1 || true
"$MKLOG" copy "$T/acme" "$T/globex" >/dev/null
tables() { same_output --rows alliancectl commitments -H "$T/{}" --as-of +1d --json -- "$@"; }
check "two homes with the same log print the same commitments" tables acme globex
fails "...not a home that does not exist" tables acme nowhere
"$MKLOG" author "$T/globex" --charter "$T/charter" --count 1 >/dev/null
fails "...nor once one holds a commitment the other lacks" tables acme globex
contains "...naming it" "$(tables acme globex)" "globex/1"
init_partners initech && make_charter "$T/charter2" acme initech && "$MKLOG" author "$T/initech" --charter "$T/charter2" --count 0 >/dev/null 2>&1
check "a home with an empty table prints []" test "$(alliancectl commitments -H "$T/initech" --json | tr -d '[:space:]')" = "[]"
fails "...which --rows refuses even when both are empty" same_output --rows alliancectl commitments -H "$T/{}" --json -- initech initech

# --- is_id
for id in acme/1 globex/42 initech@2/7 a.b_c-d/3 X9/10; do check "is_id $id" is_id "$id"; done
for id in "" acme acme/ acme/0 acme/01 /1 -acme/1 .a/1 acme/1x "acme/1 " acme@1/3 acme@/3 "alliancectl: refused/1" \
	"$(printf 'a%.0s' {1..33})/1"; do
	fails "not is_id '$id'" is_id "$id"
done
check "is_id acme/3 acme" is_id acme/3 acme
fails "not is_id acme/3 globex" is_id acme/3 globex
check "is_id initech@2/1 initech (a member's later keys)" is_id initech@2/1 initech
check "is_id initech@2/1 initech@2 (that feed)" is_id initech@2/1 initech@2
fails "not is_id initech/1 initech@2" is_id initech/1 initech@2
contains "is_id says why" "$(is_id acme/0)" "'acme/0' is not a message id"
finish
