#!/usr/bin/env bash
# bench/scale.sh (make bench): what an operator feels, against a near-empty
# log and at scale in the same run, through the CLI only, on real daemons on
# loopback. Two alliances are built, each of BENCH_MEMBERS homes (acme,
# globex, initech, then m4...): one with BENCH_SMALL messages, one with
# BENCH_SCALE. Each log is made by `mklog fill` (signed with every member's
# key: commitments to and from every member, responses, deliveries,
# verdicts, feedback, over the last 365 days) straight into acme's home and
# copied byte for byte to the others' homes before their daemons start (a
# daemon takes about 5k messages/s, too slow to build 1M). Then, on acme:
#
#   status, trust, scorecard      median latency of repeated calls
#   trust --as-of, --series       one replay to a past instant, against the
#                                 series of SERIES_POINTS points in one pass
#   report                        the HTML report as of a past instant
#   accept                        median latency of accepting globex's commitments
#   log --follow                  bytes it reads while the log is idle (/proc/PID/io)
#   audit                         records/s against cores x raw verify
#   commit -> peer                p50/p99 from the start of a commit to its record
#                                 in globex's log, commits started at BENCH_LAT_RATE/s
#   pipeline                      BENCH_PIPE_N commitments in one --batch until all
#                                 are in globex's log, against one core's raw verify;
#                                 then again with only acme's and globex's daemons
#                                 running (two daemons, two cores)
#   RSS                           acme's VmRSS and VmHWM at the end (from /proc)
#   restart                       stop, start, until status answers
#
# Each measure is a "PHASE KEY VALUE" line in $BENCH_MEASURES; bench/report.py
# makes the table and the JSON. With BENCH_GROWTH=1 the phases are instead
# growth-MESSAGES-MEMBERS (BENCH_GROWTH_SCALES at 3 members, and
# BENCH_GROWTH_MEMBERS at BENCH_SCALE messages), with the cheaper measures
# only (no follow, latency or pipeline) and two more: the daemons' CPU
# while idle, and accept with acme's daemon alone running.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD=${BUILD:-build}
export PATH="$REPO/$BUILD:$REPO/$BUILD/tests:$PATH"
export ALLIANCE_TIMEOUT=${ALLIANCE_TIMEOUT:-120}
SCALE=${BENCH_SCALE:-100000}
SMALL=${BENCH_SMALL:-100}
MEMBERS=${BENCH_MEMBERS:-3}
ACTS=${BENCH_ACTS:-20}   # accepts timed
PIPE_N=${BENCH_PIPE_N:-5000}
LAT_RATE=${BENCH_LAT_RATE:-150}
LAT_N=${BENCH_LAT_N:-450}
LAT_BUDGET=${BENCH_LAT_BUDGET:-20}
FOLLOW_S=${BENCH_FOLLOW_S:-10}
IDLE_S=${BENCH_IDLE_S:-5}
RUNS=${BENCH_RUNS:-20} # status; trust, scorecard and accept get half (at least 3)
SERIES_POINTS=${BENCH_SERIES_POINTS:-100}
GROWTH=${BENCH_GROWTH:-0}
GROWTH_SCALES=${BENCH_GROWTH_SCALES:-10000 100000 1000000}
GROWTH_MEMBERS=${BENCH_GROWTH_MEMBERS:-3 10 20}
MEASURES=$(realpath -m "${BENCH_MEASURES:-$BUILD/bench/measures.txt}")
DRIVE=$REPO/bench/drive.py
mkdir -p "$(dirname "$MEASURES")" && : >"$MEASURES"
. tests/lib.sh >/dev/null # $T, free_port, eventually; daemons in DAEMONS always stop
declare -A PID
FOLLOW_PID=
trap '[ -n "$FOLLOW_PID" ] && kill "$FOLLOW_PID" 2>/dev/null; cleanup' EXIT

now() { date +%s.%N; }
since() { python3 -c "print(round($(now) - $1, 3))"; }
put() { echo "$PHASE $1 $2" >>"$MEASURES"; }
# put_json PREFIX JSON: every key of a flat JSON object as PREFIX_KEY.
put_json() {
	python3 -c 'import json,sys; [print(sys.argv[1], sys.argv[2] + "_" + k, v) for k, v in json.loads(sys.argv[3]).items()]' \
		"$PHASE" "$1" "$2" >>"$MEASURES"
}
fail() { echo "bench: $PHASE: $*" >&2; exit 1; }
member_names() {
	local i
	for ((i = 1; i <= $1; i++)); do
		case $i in 1) echo acme ;; 2) echo globex ;; 3) echo initech ;; *) echo "m$i" ;; esac
	done
}
# up HOME: start its daemon; UP_S: seconds until status answers (600 at most).
up() {
	local h=$1 t0 i
	t0=$(now)
	allianced run "$h" 2>>"$h.log" &
	PID[$h]=$!
	DAEMONS+=("$!")
	for ((i = 0; i < 60000; i++)); do
		ALLIANCE_TIMEOUT=2 alliancectl -H "$h" status >/dev/null 2>&1 && { UP_S=$(since "$t0"); return 0; }
		kill -0 "${PID[$h]}" 2>/dev/null || { echo "bench: the daemon of $h died; its log:" >&2; tail -5 "$h.log" >&2; return 1; }
		sleep 0.01
	done
	return 1
}
down() { kill -TERM "${PID[$1]}" && wait "${PID[$1]}"; }
# status_of HOME PYTHON-EXPR over a (the alliance of status --json).
status_of() {
	alliancectl -H "$1" status --json |
		python3 -c "import json,sys; d=json.load(sys.stdin); a=d['alliances'][0]; print($2)"
}
open_at() { [ "$(status_of "$1" "a['authoring']")" = open ]; }
seq_at() { status_of "$1" "[m['seq'] for m in a['members'] if m['name']=='$2'][0]"; }
holds_at() { [ "$(seq_at "$1" "$2")" -ge "$3" ]; }
alliance_log() { echo "$1"/alliances/*/log; }

# build PHASE N M: M homes under $T/PHASE, a charter dated a year back, a
# log of N messages in every home, every daemon started with authoring open.
build() {
	PHASE=$1
	local n=$2 m=$3 dir=$T/$1 name t0 homes=() cards=()
	mkdir -p "$dir"
	for name in $(member_names "$m"); do
		allianced init "$dir/$name" --name "$name" --listen "tcp://127.0.0.1:$(free_port)" \
			>"$dir/$name.init" || fail "init $name"
		tail -n 1 "$dir/$name.init" >"$dir/$name.card"
		homes+=("$dir/$name")
		cards+=("$dir/$name.card")
	done
	mklog charter "$dir/charter" --title "Bench $1" --created -366d "${cards[@]}" || fail "charter"
	for name in "${homes[@]}"; do alliancectl charter sign "$dir/charter" -H "$name" >/dev/null || fail "sign"; done
	t0=$(now)
	mklog fill "${homes[@]}" --charter "$dir/charter" --count "$n" --days 365 --seed 1 >"$dir/fill.txt" || fail "fill"
	put fill_s "$(since "$t0")"
	put messages "$n"
	put members "$m"
	for name in "${homes[@]:1}"; do cp -a "$dir/acme/alliances/." "$name/alliances/" || fail "copy"; done
	put log_bytes "$(stat -c %s "$(alliance_log "$dir/acme")")"
	for name in "${homes[@]}"; do up "$name" || fail "start $name"; done
	for name in "${homes[@]}"; do eventually 120 open_at "$name" >/dev/null || fail "authoring not open at $name"; done
	A=$dir/acme
	G=$dir/globex
}

measure_queries() {
	local out t0
	out=$("$DRIVE" timeit "$RUNS" 30 alliancectl -H "$A" status) || fail "status"
	put_json status "$out"
	out=$("$DRIVE" timeit "$((RUNS / 2))" 30 alliancectl -H "$A" trust) || fail "trust"
	put_json trust "$out"
	out=$("$DRIVE" timeit "$((RUNS / 2))" 30 alliancectl -H "$A" scorecard) || fail "scorecard"
	put_json scorecard "$out"
	# The history as a manager reads it: one replay to a past instant (the
	# day before), the trust table at SERIES_POINTS instants up to it in one
	# pass, and the report of that instant.
	local asof since
	asof=$(python3 -c "import datetime as d; print((d.datetime.now(d.timezone.utc) - d.timedelta(days=1)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
	local step=$((365 * 86400 / (SERIES_POINTS - 1)))
	since=$(python3 -c "import datetime as d; print((d.datetime.strptime('$asof', '%Y-%m-%dT%H:%M:%SZ') - d.timedelta(seconds=$step * ($SERIES_POINTS - 1))).strftime('%Y-%m-%dT%H:%M:%SZ'))")
	t0=$(now)
	alliancectl -H "$A" trust --as-of "$asof" --json >/dev/null || fail "trust --as-of"
	put asof_s "$(since "$t0")"
	t0=$(now)
	alliancectl -H "$A" trust --series "${step}s" --since "$since" \
		--as-of "$asof" --json >"$T/$PHASE.series" || fail "trust --series"
	put series_s "$(since "$t0")"
	put series_points "$(python3 -c "import json; print(len({r['as_of'] for r in json.load(open('$T/$PHASE.series'))}))")"
	t0=$(now)
	alliancectl -H "$A" report -o "$T/$PHASE.html" --as-of "$asof" || fail "report"
	put report_s "$(since "$t0")"
	# accept: globex proposes ACTS commitments to acme, which accepts each.
	python3 -c "
import json
for i in range($ACTS): print(json.dumps({'what': f'to accept {i}', 'to': ['acme'], 'due': '+30d'}))
" >"$T/acts.jsonl"
	alliancectl -H "$G" commit --batch "$T/acts.jsonl" >"$T/$PHASE.ids" || fail "globex's commits"
	local last
	last=$(tail -n 1 "$T/$PHASE.ids")
	eventually 120 holds_at "$A" globex "${last#*/}" >/dev/null || fail "acme lacks $last"
	out=$("$DRIVE" timeach "$T/$PHASE.ids" alliancectl -H "$A" accept {}) || fail "accept"
	put_json accept "$out"
	put audit_records "$(status_of "$A" "a['records']")"
	t0=$(now)
	alliancectl audit "$A" >/dev/null || fail "audit"
	put audit_s "$(since "$t0")"
}

# follow: what log --follow costs while nothing is appended. It reads the
# log through mmap, which /proc/PID/io's rchar does not count: so the CPU
# time it spends (utime + stime), its minor page faults (pages of the
# mapping touched again) and rchar (what it read() or pread()), over
# FOLLOW_S idle seconds, and what was appended meanwhile.
proc_cost() { # PID: "rchar minflt cpu_ms"
	local io stat
	io=$(awk '/^rchar/ { print $2 }' "/proc/$1/io")
	stat=$(sed 's/.*) //' "/proc/$1/stat")
	awk -v io="$io" -v hz="$(getconf CLK_TCK)" '{ print io, $8, ($12 + $13) * 1000 / hz }' <<<"$stat"
}
measure_follow() {
	local log before after s0 s1 size prev=-1 i
	log=$(alliance_log "$A")
	alliancectl -H "$A" log --follow >"$T/follow.out" &
	FOLLOW_PID=$!
	# Wait until it has printed the whole log (its output stops growing).
	for ((i = 0; i < 1200; i++)); do
		sleep 0.5
		size=$(stat -c %s "$T/follow.out")
		[ "$size" -gt 0 ] && [ "$size" = "$prev" ] && break
		prev=$size
	done
	before=$(proc_cost "$FOLLOW_PID")
	s0=$(stat -c %s "$log")
	sleep "$FOLLOW_S"
	after=$(proc_cost "$FOLLOW_PID")
	s1=$(stat -c %s "$log")
	kill "$FOLLOW_PID"
	wait "$FOLLOW_PID" 2>/dev/null
	FOLLOW_PID=
	read -r r0 f0 c0 <<<"$before"
	read -r r1 f1 c1 <<<"$after"
	put follow_seconds "$FOLLOW_S"
	put follow_read_bytes $((r1 - r0))
	put follow_faults $((f1 - f0))
	put follow_cpu_ms "$(python3 -c "print(round($c1 - $c0))")"
	put follow_appended_bytes $((s1 - s0))
}

measure_flow() {
	local out
	out=$("$DRIVE" latency "$A" globex "$(alliance_log "$G")" "benchlat$PHASE" "$LAT_RATE" "$LAT_N" "$LAT_BUDGET") ||
		fail "latency"
	put_json latency "$out"
	out=$("$DRIVE" pipe "$A" "$(alliance_log "$G")" "benchpipe$PHASE" "$PIPE_N" globex) || fail "pipeline"
	put_json pipe "$out"
	# The same with the author and its peer alone on the machine's cores (as
	# between two firms, each on its own server): every other daemon stopped.
	local h
	for h in "${!PID[@]}"; do
		[ "$h" = "$A" ] || [ "$h" = "$G" ] && continue
		down "$h" || fail "$h did not stop cleanly"
		unset "PID[$h]"
	done
	out=$("$DRIVE" pipe "$A" "$(alliance_log "$G")" "benchpair$PHASE" "$PIPE_N" globex) || fail "pipeline, two daemons"
	put_json pair "$out"
}

# idle: the CPU all the phase's daemons spend together over IDLE_S idle
# seconds (heartbeats, frontiers), in percent of one core.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) * 1000 / hz }' "/proc/$1/stat"; }
measure_idle() {
	local h c0=0 c1=0
	for h in "${!PID[@]}"; do c0=$(python3 -c "print($c0 + $(cpu_ms "${PID[$h]}"))"); done
	sleep "$IDLE_S"
	for h in "${!PID[@]}"; do c1=$(python3 -c "print($c1 + $(cpu_ms "${PID[$h]}"))"); done
	put idle_cpu_pct "$(python3 -c "print(round(($c1 - $c0) / ($IDLE_S * 10), 1))")"
}

# accept_alone: the same accepts with every other daemon stopped, once acme
# holds the commitments: what the act costs acme itself, without the other
# members' daemons sharing this machine's cores and disk (each firm runs
# its own).
measure_alone() {
	local h last out
	python3 -c "
import json
for i in range($ACTS): print(json.dumps({'what': f'to accept alone {i}', 'to': ['acme'], 'due': '+30d'}))
" >"$T/alone.jsonl"
	alliancectl -H "$G" commit --batch "$T/alone.jsonl" >"$T/$PHASE.alone" || fail "globex's commits"
	last=$(tail -n 1 "$T/$PHASE.alone")
	eventually 120 holds_at "$A" globex "${last#*/}" >/dev/null || fail "acme lacks $last"
	for h in "${!PID[@]}"; do
		[ "$h" = "$A" ] && continue
		down "$h" || fail "$h did not stop cleanly"
		unset "PID[$h]"
	done
	out=$("$DRIVE" timeach "$T/$PHASE.alone" alliancectl -H "$A" accept {}) || fail "accept alone"
	put_json accept_alone "$out"
}

measure_memory_restart() {
	local pid=${PID[$A]}
	put rss_kb "$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")"
	put hwm_kb "$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")"
	down "$A" || fail "acme did not stop cleanly"
	up "$A" || fail "restart"
	put restart_s "$UP_S"
}

stop_all() {
	local h
	for h in "${!PID[@]}"; do
		kill -0 "${PID[$h]}" 2>/dev/null || continue
		down "$h" || echo "bench: $h did not stop cleanly" >&2
	done
	PID=()
}

phase() { # phase NAME MESSAGES MEMBERS
	echo "bench: $1: $2 messages, $3 members" >&2
	build "$@"
	measure_queries
	if [ "$GROWTH" = 0 ]; then
		measure_follow
		measure_flow
	else
		measure_idle
		measure_alone
	fi
	measure_memory_restart
	stop_all
}

PHASE=run
put load_before "$(cut -d' ' -f1 /proc/loadavg)"
if [ "$GROWTH" = 0 ]; then
	phase small "$SMALL" "$MEMBERS"
	phase scale "$SCALE" "$MEMBERS"
else
	for n in $GROWTH_SCALES; do phase "growth-$n-3" "$n" 3; done
	for m in $GROWTH_MEMBERS; do
		[ "$m" = 3 ] && [[ " $GROWTH_SCALES " == *" $SCALE "* ]] && continue
		phase "growth-$SCALE-$m" "$SCALE" "$m"
	done
fi
PHASE=run
put load_after "$(cut -d' ' -f1 /proc/loadavg)"
exit 0
