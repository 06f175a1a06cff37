# tests/lib.sh: what the integration tests share. Source it from a test.
#
# Each check prints a TAP line ("ok - what" / "not ok - what"), which
# tests/run counts. Every test works in its own temporary directory,
# removed on exit. Tests drive only the real binaries (allianced,
# alliancectl) that tests/run puts first on PATH.
#
# A check must be able to fail: compare homes with same_output or same_as
# (never two outputs that may both be empty), match a printed id with
# is_id (not test -n), and wait for a condition with eventually, never a
# sleep standing in for it. lib_selftest.sh shows these helpers fail.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/alliance-test.XXXXXX")
DAEMONS=()
# Daemons started by a test always stop, whatever happens to the test.
cleanup() {
	local p
	for p in "${DAEMONS[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1
FAILS=0

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }

# check "what" command...: passes when the command exits 0.
check() { local what=$1; shift; if "$@" >"$T/.out" 2>&1; then ok "$what"; else not_ok "$what"; sed 's/^/#   /' "$T/.out"; fi; }
# fails "what" command...: passes when the command exits non-zero.
fails() { local what=$1; shift; if "$@" >"$T/.out" 2>&1; then not_ok "$what (it succeeded)"; sed 's/^/#   /' "$T/.out"; else ok "$what"; fi; }
# contains "what" haystack needle
contains() { if grep -qF -- "$3" <<<"$2"; then ok "$1"; else not_ok "$1: '$3' not in:"; sed 's/^/#   /' <<<"$2"; fi; }

# A free TCP port on 127.0.0.1 (the kernel picks it).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# init_partners a b c: homes in $T/a ... with free ports; cards in $T/a.card.
init_partners() {
	local n
	for n in "$@"; do
		allianced init "$T/$n" --name "$n" --listen "tcp://127.0.0.1:$(free_port)" >"$T/$n.init" || return 1
		tail -n 1 "$T/$n.init" >"$T/$n.card"
	done
}

# make_charter FILE a b c: a charter with these members, signed by all
# ($CHARTER_ARGS: more options for charter new, such as --resolver acme).
make_charter() {
	local file=$1; shift
	local args=() n
	for n in "$@"; do args+=(--member "$T/$n.card"); done
	# shellcheck disable=SC2086 # CHARTER_ARGS: extra options, word-split on purpose
	alliancectl charter new "$file" --title "Test alliance" "${args[@]}" ${CHARTER_ARGS:-} >/dev/null || return 1
	for n in "$@"; do alliancectl charter sign "$file" -H "$T/$n" >/dev/null || return 1; done
}

# start_daemon NAME [HOME [NETNS]]: allianced run HOME (default $T/NAME) in
# the background, inside network namespace NETNS when given ('ip netns
# exec' execs the daemon itself, so $! is the daemon); log in $T/NAME.log;
# waits until its control socket answers. Sets PID_NAME.
start_daemon() {
	local n=$1 home=${2:-$T/$1} ns=${3:-} i
	if [ -n "$ns" ]; then
		ip netns exec "$ns" allianced run "$home" 2>>"$T/$n.log" &
	else
		allianced run "$home" 2>>"$T/$n.log" &
	fi
	local pid=$!
	DAEMONS+=("$pid")
	eval "PID_$n=$pid"
	for i in $(seq 100); do
		ALLIANCE_TIMEOUT=1 alliancectl -H "$home" status >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# stop_daemon NAME: SIGTERM, then wait (at most 10 s) for a clean exit;
# returns the daemon's exit status.
stop_daemon() {
	local n=$1 pid i
	eval "pid=\$PID_$n"
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	wait "$pid"
}

# start_alliance a b c: homes, a charter signed by all ($T/charter), every
# daemon started and joined, and authoring open everywhere (peers
# confirmed each member's feed head).
start_alliance() {
	local n
	init_partners "$@" && make_charter "$T/charter" "$@" || return 1
	for n in "$@"; do start_daemon "$n" || return 1; done
	for n in "$@"; do alliancectl join "$T/charter" -H "$T/$n" >/dev/null || return 1; done
	for n in "$@"; do eventually 20 authoring_open "$n" || return 1; done
}

# filled_alliance TITLE N: acme, globex and initech with a charter dated
# 40 days back ($T/charter, signed by all) and a log of N messages over 30
# days (mklog fill) in acme's home; no daemon started.
filled_alliance() {
	init_partners acme globex initech &&
		"$ROOT/$BUILD/tests/mklog" charter "$T/charter" --title "$1" --created -40d \
			"$T/acme.card" "$T/globex.card" "$T/initech.card" >/dev/null || return 1
	local n
	for n in acme globex initech; do alliancectl charter sign "$T/charter" -H "$T/$n" >/dev/null || return 1; done
	"$ROOT/$BUILD/tests/mklog" fill "$T/acme" "$T/globex" "$T/initech" --charter "$T/charter" \
		--count "$2" --days 30 >/dev/null
}

# eventually SECONDS command...: retry every 0.1 s until it succeeds; the
# last try's output is shown when it never does.
eventually() {
	local s=$1 i; shift
	for i in $(seq $((s * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	"$@"
}

# jq_status HOME PYTHON-EXPR: evaluate an expression over d = status --json.
jq_status() {
	alliancectl -H "$T/$1" status --json |
		python3 -c "import json,sys; d=json.load(sys.stdin); a=d['alliances'][0] if d['alliances'] else None; print($2)"
}
# status_true HOME PYTHON-EXPR: succeeds when the expression (over d and a,
# as in jq_status) is true now; for eventually, which runs it again each try.
status_true() { [ "$(jq_status "$1" "bool($2)")" = True ]; }
# seq_in HOME MEMBER: the last sequence number of MEMBER's feed held in HOME.
seq_in() { jq_status "$1" "[m['seq'] for m in a['members'] if m['name']=='$2'][0]"; }
authoring_open() { test "$(jq_status "$1" "a['authoring']")" = open; }
# holds SEQ MEMBER HOME...: every HOME holds MEMBER's feed up to SEQ.
holds() {
	local want=$1 m=$2 h; shift 2
	for h in "$@"; do [ "$(seq_in "$h" "$m")" -ge "$want" ] || { echo "$h holds $m up to $(seq_in "$h" "$m"), not $want"; return 1; }; done
}

# --- checks that can fail: compare only what was printed, match ids' form

# abs_time WHEN [NOW_MS]: a time relative to now as --as-of reads it (+30d,
# -1h, +90s, +2w; s, m, h, d or w, a bare number being seconds) made the
# absolute instant it names, in the ISO-8601 form --as-of parses to the same
# millisecond (2026-11-22T10:00:00.123Z); NOW_MS (ms since 1970) for now.
# Anything else (an absolute time already) is printed unchanged.
abs_time() {
	local w=$1 now=${2:-$(date +%s%3N)} mul=1
	[[ $w =~ ^([+-])([0-9]+)([smhdw]?)$ ]] || { echo "$w"; return; }
	case ${BASH_REMATCH[3]} in m) mul=60 ;; h) mul=3600 ;; d) mul=86400 ;; w) mul=604800 ;; esac
	local ms=$((now ${BASH_REMATCH[1]} 10#${BASH_REMATCH[2]} * mul * 1000))
	printf '%s.%03dZ\n' "$(date -u -d "@$((ms / 1000))" +%Y-%m-%dT%H:%M:%S)" $((ms % 1000))
}

# same_output [--rows] CMD... -- HOME...: run CMD once per HOME, every {}
# in it replaced by the HOME's name (write -H "$T/{}"), and pass when each
# run exits 0, prints something (with --rows, not an empty JSON array or
# object either: the caller expects rows) and prints exactly what the first
# printed. A relative --as-of in CMD is fixed once, before the first run, so
# every home is asked about the same instant. Otherwise say why as TAP
# comments (a run's status and stderr, or a diff against the first home)
# and return 1. For check and eventually, like any predicate:
#   check "same table" eventually 10 same_output --rows alliancectl commitments -H "$T/{}" --json -- a b c
same_output() {
	local rows=() cmd=() h i=0 bad=0 labels=()
	[ "${1:-}" = --rows ] && { rows=(--rows); shift; }
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cmd+=("$1"); shift; done
	[ $# -ge 2 ] && [ ${#cmd[@]} -gt 0 ] || { echo "# usage: same_output [--rows] CMD... -- HOME..."; return 2; }
	shift
	_same_fix_as_of cmd
	mkdir -p "$T/.same" && rm -f "$T"/.same/*
	for h in "$@"; do
		_same_run "$i" "${#rows[@]}" "$h" "${cmd[@]//\{\}/"$h"}" || bad=1
		labels+=("$h"); i=$((i + 1))
	done
	[ $bad -eq 0 ] && _same_diff "${labels[@]}"
}

# same_as [--rows] CMD... -- CMD... [-- CMD...]: as same_output, for
# different commands that must print the same (a table and an audit's
# recomputation of it); every relative --as-of in them is one instant.
same_as() {
	local rows=() cmd=() all=() i=0 bad=0 labels=()
	[ "${1:-}" = --rows ] && { rows=(--rows); shift; }
	all=("$@")
	_same_fix_as_of all
	set -- "${all[@]}" --
	mkdir -p "$T/.same" && rm -f "$T"/.same/*
	while [ $# -gt 0 ]; do
		if [ "$1" = -- ]; then
			[ ${#cmd[@]} -gt 0 ] || { echo "# usage: same_as [--rows] CMD... -- CMD..."; return 2; }
			_same_run "$i" "${#rows[@]}" "${cmd[0]}" "${cmd[@]}" || bad=1
			labels+=("${cmd[*]}"); i=$((i + 1)); cmd=()
		else
			cmd+=("$1")
		fi
		shift
	done
	[ $i -ge 2 ] || { echo "# usage: same_as [--rows] CMD... -- CMD..."; return 2; }
	[ $bad -eq 0 ] && _same_diff "${labels[@]}"
}

# _same_fix_as_of ARRAY-NAME: each relative --as-of WHEN (or --as-of=WHEN)
# in the array made absolute, all from one reading of the clock.
_same_fix_as_of() {
	local -n _a=$1
	local i now
	now=$(date +%s%3N)
	for i in "${!_a[@]}"; do
		case ${_a[i]} in
		--as-of) [ $((i + 1)) -lt ${#_a[@]} ] && _a[i + 1]=$(abs_time "${_a[i + 1]}" "$now") ;;
		--as-of=*) _a[i]=--as-of=$(abs_time "${_a[i]#--as-of=}" "$now") ;;
		esac
	done
}

# _same_run N ROWS LABEL CMD...: CMD's output into $T/.same/N; 1, saying
# why, when it exits non-zero, prints nothing or (ROWS 1) an empty table.
_same_run() {
	local n=$1 rows=$2 label=$3 rc out; shift 3
	"$@" >"$T/.same/$n" 2>"$T/.same/$n.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "# $label: exit status $rc from: $*"
		head -n 5 "$T/.same/$n.err" | sed 's/^/#   /'
		return 1
	fi
	out=$(tr -d '[:space:]' <"$T/.same/$n")
	if [ -z "$out" ]; then
		echo "# $label: printed nothing: $*"
		return 1
	fi
	if [ "$rows" = 1 ] && { [ "$out" = '[]' ] || [ "$out" = '{}' ]; }; then
		echo "# $label: printed an empty table ($out): $*"
		return 1
	fi
}

# _same_diff LABEL...: 0 when $T/.same/1... equal $T/.same/0, else the
# differences (at most 40 lines each) as TAP comments, and 1.
_same_diff() {
	local label=("$@") i bad=0
	for ((i = 1; i < ${#label[@]}; i++)); do
		cmp -s "$T/.same/0" "$T/.same/$i" && continue
		bad=1
		echo "# ${label[i]} printed something else than ${label[0]}:"
		diff -u --label "${label[0]}" --label "${label[i]}" "$T/.same/0" "$T/.same/$i" |
			head -n 40 | sed 's/^/#   /'
	done
	return $bad
}

# trust_table HOME [ARG...]: the trust table alliancectl trust -H HOME ARG...
# --json prints, on one line with sorted keys; audit_trust LOG|HOME [ARG...]:
# the one alliancectl audit LOG|HOME ARG... --json recomputes, printed alike,
# so that same_as can compare them. Each fails when alliancectl does.
trust_table() {
	local h=$1 out; shift
	out=$(alliancectl trust -H "$h" "$@" --json) || return
	python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))' <<<"$out"
}
audit_trust() {
	local out
	out=$(alliancectl audit "$@" --json) || return
	python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["trust"], sort_keys=True))' <<<"$out"
}

# is_id ID [AUTHOR]: ID has the form alliancectl prints for a message:
# NAME/SEQ, or NAME@GEN/SEQ for a member's later keys, NAME as member cards
# allow it (lib/card.c: 1-32 letters, digits, '.', '_' or '-', the first a
# letter or digit), GEN 2 or more, SEQ 1 or more. With AUTHOR (a name, or
# NAME@GEN for one feed), by that author. Says why when not.
is_id() {
	local re='^([A-Za-z0-9][A-Za-z0-9._-]{0,31})(@([2-9]|[1-9][0-9]+))?/[1-9][0-9]*$'
	if ! [[ $1 =~ $re ]]; then
		echo "'$1' is not a message id (NAME/SEQ or NAME@GEN/SEQ)"
		return 1
	fi
	local feed=${BASH_REMATCH[1]}${BASH_REMATCH[2]}
	case ${2:-} in
	'') ;;
	*@*) [ "$feed" = "$2" ] || { echo "'$1' is not in $2's feed"; return 1; } ;;
	*) [ "${BASH_REMATCH[1]}" = "$2" ] || { echo "'$1' is not by $2"; return 1; } ;;
	esac
}

finish() { exit $((FAILS > 0)); }
