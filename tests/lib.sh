# tests/lib.sh: what the integration tests share. Source it from a test.
#
# Each check prints a TAP line ("ok - what" / "not ok - what"), which
# tests/run counts. Every test works in its own temporary directory,
# removed on exit. Tests drive only the real binaries (allianced,
# alliancectl) that tests/run puts first on PATH.
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

finish() { exit $((FAILS > 0)); }
