#!/usr/bin/env bash
# trust and commitments answered by the running daemon (control op QUERY,
# from the ledger it holds) print exactly what reading the log prints
# (--offline, or the daemon stopped or killed, or older than the op), for a
# fixed --as-of (in the future, and in the past: a replay) and for now; the
# daemon's answer reflects a commit at once; the daemon path never opens
# the log; bad input gets the same error either way.
. "$(dirname "$0")/../lib.sh"

start_alliance acme globex initech || { not_ok "three daemons joined and authoring"; finish; }
A=(-H "$T/acme") G=(-H "$T/globex")

# A history: delivered and confirmed, accepted, declined, one recorded overdue.
c1=$(alliancectl commit "a prototype" --to globex --due +14d --value 500 "${A[@]}")
c2=$(alliancectl commit "specs" --to globex,initech --due +3d --value 20 "${A[@]}")
c3=$(alliancectl commit "late report" --to globex --due -2d --past --value 5 "${A[@]}")
check "three commitments made" is_id "$c3" acme
alliancectl accept "$c1" "${G[@]}" >/dev/null && alliancectl decline "$c2" --reason no "${G[@]}" >/dev/null
check "acme holds globex's answers" eventually 20 holds 2 globex acme
alliancectl deliver "$c1" --note done "${A[@]}" >/dev/null
alliancectl confirm "$c1" --rating 5 "${G[@]}" >/dev/null
check "acme holds the confirmation (settled)" eventually 20 holds 3 globex acme

# The daemon answers, and the log says the same, for a fixed instant.
for q in "trust" "trust --json" "trust globex" "trust globex --json" "commitments" \
	"commitments --json" "commitments --state confirmed --json"; do
	# shellcheck disable=SC2086 # q: a command and its options, split on purpose
	check "$q: the daemon's answer is the log's (fixed --as-of)" \
		same_as --rows alliancectl $q "${A[@]}" --as-of +1d -- alliancectl $q "${A[@]}" --as-of +1d --offline
done
# shellcheck disable=SC2086
check "trust acme --json: the same, in the past (a replay in the daemon)" \
	same_as --rows alliancectl trust acme --json "${A[@]}" --as-of -1s -- \
	alliancectl trust acme --json "${A[@]}" --as-of -1s --offline
check "commitments as of an hour ago: none, both ways" \
	same_as alliancectl commitments "${A[@]}" --as-of -1h -- alliancectl commitments "${A[@]}" --as-of -1h --offline
check "...and that is what it says" test "$(alliancectl commitments "${A[@]}" --as-of -1h)" = "no commitments"
# Now: the ledger as held (nothing replayed), the same as the log read now.
check "trust now: the daemon's answer is the log's" \
	same_as --rows alliancectl trust --json "${A[@]}" -- alliancectl trust --json "${A[@]}" --offline
check "commitments now: the same" \
	same_as --rows alliancectl commitments --json "${A[@]}" -- alliancectl commitments --json "${A[@]}" --offline
check "the states are those of the history" test "$(alliancectl commitments "${A[@]}" --json |
	python3 -c 'import json,sys; print(" ".join(c["state"] for c in json.load(sys.stdin)))')" = \
	"confirmed declined overdue"

# Which one answered: the daemon path never opens the log; --offline does.
opens_log() { strace -f -qq -e trace=openat -o "$T/strace.out" alliancectl "$@" >/dev/null 2>&1; grep -q '/log"' "$T/strace.out"; }
check "trust, daemon running: the CLI never opens the log" eval '! opens_log trust "${A[@]}"'
check "commitments --json: neither" eval '! opens_log commitments --json "${A[@]}"'
check "trust --offline opens it (the check above can fail)" opens_log trust --offline "${A[@]}"

# One more commit: the daemon's answer has it at once (no wait, no settle).
c4=$(alliancectl commit "one more" --to initech --due +5d "${A[@]}")
check "a fourth commitment" is_id "$c4" acme
contains "commitments lists it at once" "$(alliancectl commitments "${A[@]}" --json)" "\"id\": \"$c4\""
contains "...proposed" "$(alliancectl commitments "${A[@]}" --state proposed)" "$c4"

# Bad input: the same error, the same status, either way.
same_error() {
	local out1 out2 rc1 rc2
	out1=$(alliancectl "$@" "${A[@]}" 2>&1 >/dev/null); rc1=$?
	out2=$(alliancectl "$@" "${A[@]}" --offline 2>&1 >/dev/null); rc2=$?
	[ "$rc1" -ne 0 ] && [ -n "$out1" ] && [ "$rc1" = "$rc2" ] && [ "$out1" = "$out2" ] ||
		{ echo "daemon: $rc1 '$out1'; log: $rc2 '$out2'"; return 1; }
}
check "an unknown member: the same error both ways" same_error trust globx
contains "...naming it and the members" "$(alliancectl trust globx "${A[@]}" 2>&1)" \
	"no member named 'globx' in charter 'Test alliance' (members: acme, globex, initech)"
check "a bad --as-of: the same error both ways" same_error trust --as-of tomorrow
contains "...naming it" "$(alliancectl trust --as-of tomorrow "${A[@]}" 2>&1)" "--as-of"
check "a bad --state: the same error both ways" same_error commitments --state done
check "an unknown alliance: refused by the daemon" fails alliancectl trust "${A[@]}" --alliance nosuch

# "Now" is every message held, both ways: one signed a minute ahead of
# this clock (within the charter's skew) is in the daemon's answer and in
# the log's (an --as-of is the messages signed by then, both ways).
stop_daemon acme
check "a commitment signed a minute ahead of the clock" \
	"$ROOT/$BUILD/tests/mklog" author "$T/acme" --charter "$T/charter" --count 1 --at +60s --what ahead
check "restart acme" start_daemon acme
check "commitments now: the daemon's rows are the log's" same_as --rows \
	alliancectl commitments --json "${A[@]}" -- alliancectl commitments --json --offline "${A[@]}"
contains "...the one signed ahead among them" "$(alliancectl commitments --json --offline "${A[@]}")" '"what": "ahead"'

# A daemon older than the op: the CLI reads the log (no hang, no error).
alliancectl trust --json "${A[@]}" --as-of 2030-01-01T00:00:00Z >"$T/trust.daemon"
check "the daemon's table, for later" test -s "$T/trust.daemon"
stop_daemon acme
"$ROOT/$BUILD/tests/oldctl" "$T/acme" >"$T/oldctl.out" & # not a function: $! is the tool
OLD=$!; DAEMONS+=("$OLD")
check "a stand-in for an older daemon answers" eventually 10 grep -q ready "$T/oldctl.out"
check "...status still goes to it" alliancectl status "${A[@]}" --json
check "an older daemon: trust reads the log, the same table" \
	eval 'ALLIANCE_TIMEOUT=5 alliancectl trust --json "${A[@]}" --as-of 2030-01-01T00:00:00Z | cmp - "$T/trust.daemon"'
kill -TERM "$OLD"; wait "$OLD" 2>/dev/null

# No daemon: stopped (no socket), or killed (a stale socket): the log.
check "daemon stopped: the same table from the log" \
	eval 'alliancectl trust --json "${A[@]}" --as-of 2030-01-01T00:00:00Z | cmp - "$T/trust.daemon"'
check "restart acme" start_daemon acme
kill -KILL "$PID_acme"; wait "$PID_acme" 2>/dev/null
check "the killed daemon left its socket" test -S "$T/acme/control.sock"
check "daemon killed (a stale socket): the same table from the log" \
	eval 'alliancectl trust --json "${A[@]}" --as-of 2030-01-01T00:00:00Z | cmp - "$T/trust.daemon"'
stop_daemon globex; stop_daemon initech
finish
