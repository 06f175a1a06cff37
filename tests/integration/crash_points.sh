#!/usr/bin/env bash
# Crash consistency at every sync point: a power loss, simulated by
# dropping every write made after the last completed fsync, at each sync
# point of a workload, then a restart: nothing acknowledged is missing, no
# feed forks, and the audit is clean.
#
# The method is ALICE's (Pillai et al., "All File Systems Are Not Created
# Equal", OSDI 2014). acme's daemon (the victim) runs under an LD_PRELOAD
# shim (tests/tools/crashshim.c) that records, in order, every call that
# changes a file or directory under its home: opens that create or
# truncate, write/pwrite/pwritev, ftruncate, rename, unlink, mkdir, rmdir,
# chmod, and the sync points fsync and fdatasync once they return (any
# other way of changing the home aborts the daemon loudly). A workload
# through alliancectl: three daemons join; acme commits (single, --batch,
# concurrent clients), accepts, delivers, confirms, gives feedback; globex
# and initech commit to acme and step on acme's commitments (replication
# both ways); acme stops cleanly (its clean-stop mark) and restarts, is
# killed (kill -9) and restarts again; all settle and stop. The shim also
# records each reply acme sends on its control socket: an id acknowledged
# when S sync points had completed must survive a power loss at any sync
# point k >= S.
#
# For each sync point k the replayer (tests/tools/crashreplay) builds, from
# a copy of acme's home taken before its daemon first started and the
# trace, the home a power loss just after sync point k leaves, with the
# conservative rules of ALICE's model (its header says them exactly):
#   - a file's data and size are what they were at its last completed
#     fsync/fdatasync (its mode, at its last fsync); everything written
#     after is lost;
#   - a name (create, rename, unlink, mkdir) is durable only once its
#     directory is fsynced (a file's own fsync does not count);
#   - variant drop loses every change not durable by sync point k; variant
#     torn also lets the writes issued after each file's last sync and
#     before sync point k+1 reach the disk in order, the last one torn in
#     half; variant reorder lets them all reach it but one, followed by a
#     later write to its file (writeback is not in order: a hole of zeros);
#   - a clean-stop mark left in the crash state is believed (it is given
#     the identity of the rebuilt log), the worst case for the daemon. When
#     the peers (below) hold more of acme's feed than such a mark's head,
#     the state is, to the daemon, a home stopped cleanly whose key signed
#     elsewhere meanwhile: it must stop authoring for good (and say why)
#     instead of authoring again, and still fork nothing and audit clean.
# Then, for that crash state (one TAP line per point and variant):
#   - 'allianced check' passes on it;
#   - every id acknowledged before k is in its log, read offline (before any
#     peer could give it back), and so is a join acknowledged before k (the
#     shim records each reply on the control socket: an acknowledgement
#     stands where its reply left the daemon);
#   - every log record acme sent a peer before sync point k+1 began is in it
#     (only durable records may leave: one sent and then lost is how a
#     daemon forks its own feed);
#   - its daemon starts (without the shim) with globex and initech, from
#     copies of their homes at the end of the workload (they hold
#     everything acme ever sent, the worst case for a fork);
#   - replication settles (the same feed heads on all three homes), no home
#     holds an equivocation or reports a violation, no daemon logs a fork;
#   - acme authors again (a new commitment, once its peers confirm its
#     feed's head) and it reaches both peers;
#   - 'alliancectl audit' of acme's log against the others' is clean.
#
# CRASH_POINTS: all (every sync point in every variant it has: make soak),
# or N (the default 6, for make test: a third reordered, a third torn, the
# rest dropped at acknowledgements, each spread evenly over the run), or a
# list "3,17 torn" (points, then a variant).
. "$(dirname "$0")/../lib.sh"
export ALLIANCE_TIMEOUT=5
SHIM="$ROOT/$BUILD/tests/crashshim.so"
REPLAY="$ROOT/tests/tools/crashreplay"
TRACE="$T/acme.trace"
ACKS="$T/acks"
MODE=${CRASH_POINTS:-6}
started=$SECONDS
[ -f "$SHIM" ] || { not_ok "the shim is built ($SHIM: make $BUILD/tests/crashshim.so)"; finish; }

# Under ASan (make SANITIZE=address) the shim comes first all the same, so
# that calls reach it before the sanitizer's wrappers: ASan is told so.
preload="$SHIM"
asan_options=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

# start_victim: acme's daemon under the shim (start_daemon's way, with the
# shim's environment for allianced alone, not for alliancectl).
start_victim() {
	local i
	ALLIANCE_CRASH_HOME="$T/acme" ALLIANCE_CRASH_TRACE="$TRACE" LD_PRELOAD="$preload" \
		ASAN_OPTIONS="$asan_options" allianced run "$T/acme" 2>>"$T/acme.log" &
	PID_acme=$!
	DAEMONS+=("$PID_acme")
	for i in $(seq 100); do
		# it answers, and the shim records (the config it read)
		ALLIANCE_TIMEOUT=1 alliancectl -H "$T/acme" status >/dev/null 2>&1 && { [ -s "$TRACE" ]; return; }
		kill -0 "$PID_acme" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
# syncs: how many sync points the trace holds now.
syncs() { local n; n=$(grep -c '"op":"sync"' "$TRACE" 2>/dev/null); echo "${n:-0}"; }
# ack WHAT...: note an acknowledgement, and how many sync points had
# completed when the test saw it (a bound: its reply in the trace says
# exactly where it stands).
ack() { echo "$(syncs) $*" >>"$ACKS"; }
# ids OUTPUT: note each id acme printed.
ack_ids() {
	local id
	[ -n "$1" ] || return 1
	for id in $1; do [[ $id == acme/* ]] || return 1; ack id "$id"; done
}
fail_workload() { not_ok "$1"; sed 's/^/#   /' "$T/acme.log" | tail -20; finish; }

# ------------------------------------------------------------ the workload
init_partners acme globex initech && make_charter "$T/charter" acme globex initech ||
	fail_workload "three homes and a charter"
cp -a "$T/acme" "$T/acme.snap"
start_victim && start_daemon globex && start_daemon initech || fail_workload "three daemons start, acme under the shim"
out=$(alliancectl join "$T/charter" -H "$T/acme") && ack joined || fail_workload "acme joins"
for n in globex initech; do alliancectl join "$T/charter" -H "$T/$n" >/dev/null || fail_workload "$n joins"; done
for n in acme globex initech; do eventually 20 authoring_open "$n" >/dev/null || fail_workload "$n authors"; done

A=(-H "$T/acme")
c1=$(alliancectl commit "crash one" --to globex --due +7d --value 100 "${A[@]}") && ack_ids "$c1" ||
	fail_workload "acme commits"
out=$(printf '%s\n' '{"what": "batch a", "to": "globex", "due": "+5d"}' \
	'{"what": "batch b", "to": "globex,initech", "due": "+6d", "value": 7}' \
	'{"what": "batch c", "to": "initech", "due": "+8d"}' | alliancectl commit --batch - "${A[@]}") &&
	ack_ids "$out" || fail_workload "acme commits a batch"
c2=$(echo "$out" | tail -n 1)
# Concurrent clients: one group commit may cover several acknowledgements.
pids=()
for i in 1 2 3 4; do alliancectl commit "together $i" --to initech --due +9d "${A[@]}" >"$T/cc$i" & pids+=($!); done
wait "${pids[@]}" && ack_ids "$(cat "$T"/cc?)" || fail_workload "four concurrent commits"
g1=$(alliancectl -H "$T/globex" commit "for acme" --to acme --due +7d) || fail_workload "globex commits"
eventually 10 holds "${g1#*/}" globex acme >/dev/null || fail_workload "acme receives $g1"
out=$(alliancectl accept "$g1" "${A[@]}") && ack_ids "$out" || fail_workload "acme accepts $g1"
alliancectl -H "$T/globex" accept "$c1" >/dev/null || fail_workload "globex accepts $c1"
eventually 10 holds "$(seq_in globex globex)" globex acme >/dev/null || fail_workload "acme receives globex's acceptance"
out=$(alliancectl deliver "$c1" --note "done" "${A[@]}") && ack_ids "$out" || fail_workload "acme delivers $c1"
i1=$(alliancectl -H "$T/initech" commit "for acme too" --to acme --due +4d) || fail_workload "initech commits"
eventually 10 holds "${i1#*/}" initech acme >/dev/null || fail_workload "acme receives $i1"
out=$(alliancectl decline "$i1" --reason "no time" "${A[@]}") && ack_ids "$out" || fail_workload "acme declines $i1"
out=$(alliancectl feedback initech --rating 4 "${A[@]}") && ack_ids "$out" || fail_workload "acme gives feedback"

# A clean stop (the clean-stop mark) and a restart under the shim.
stop_daemon acme || fail_workload "acme stops cleanly"
start_victim || fail_workload "acme restarts under the shim"
eventually 10 authoring_open acme >/dev/null || fail_workload "acme authors after its restart"
out=$(alliancectl commit "after the restart" --to globex --due +3d "${A[@]}") && ack_ids "$out" ||
	fail_workload "acme commits after its restart"
alliancectl -H "$T/globex" deliver "$g1" --note "here" >/dev/null || fail_workload "globex delivers $g1"
eventually 10 holds "$(seq_in globex globex)" globex acme >/dev/null || fail_workload "acme receives the delivery"
out=$(alliancectl confirm "$g1" --rating 5 "${A[@]}") && ack_ids "$out" || fail_workload "acme confirms $g1"
alliancectl -H "$T/initech" accept "$c2" >/dev/null || fail_workload "initech accepts $c2"
out=$(printf '%s\n' '{"what": "last a", "to": "initech", "due": "+2d"}' '{"what": "last b", "to": "globex", "due": "+2d"}' |
	alliancectl commit --batch - "${A[@]}") && ack_ids "$out" || fail_workload "acme commits a last batch"

# A kill -9 (what the page cache holds survives it) and a start that was
# not clean: acme waits for its peers, then authors again.
kill -KILL "$PID_acme"; wait "$PID_acme" 2>/dev/null
start_victim || fail_workload "acme restarts under the shim after kill -9"
eventually 15 authoring_open acme >/dev/null || fail_workload "acme authors after kill -9"
out=$(alliancectl commit "after kill -9" --to initech --due +3d "${A[@]}") && ack_ids "$out" ||
	fail_workload "acme commits after kill -9"

heads() { jq_status "$1" "sorted((m['name'], m['seq']) for m in a['members'])"; }
same_heads() { local ref n; ref=$(heads "$1"); [ -n "$ref" ] || return 1; shift; for n in "$@"; do [ "$(heads "$n")" = "$ref" ] || return 1; done; }
eventually 30 same_heads acme globex initech >/dev/null || fail_workload "the three homes settle"
for n in acme globex initech; do stop_daemon "$n" || fail_workload "$n stops cleanly"; done
check "the workload: $(wc -l <"$ACKS") acknowledgements, $(syncs) sync points in acme's home" test "$(syncs)" -gt 0
for n in globex initech; do cp -a "$T/$n" "$T/$n.final"; done
# What the model lacks is refused loudly, never recorded wrongly.
out=$(ALLIANCE_CRASH_HOME="$T/acme.snap" ALLIANCE_CRASH_TRACE="$T/refused.trace" LD_PRELOAD="$preload" \
	python3 -c 'import os, sys; os.link(sys.argv[1] + "/member.card", sys.argv[1] + "/x")' "$T/acme.snap" 2>&1)
rc=$?
check "the shim aborts on a call it does not model (a hard link in the home: status $rc)" test "$rc" -eq 134
contains "...saying which" "$out" "unmodelled change to the home: link of 'member.card'"
# The trace is whole: replaying every call rebuilds acme's home exactly.
check "the trace replays to acme's home as it is" "$REPLAY" verify "$T/acme.snap" "$TRACE" "$T/acme"

# Where each acknowledgement stands: the sync points completed when its
# reply left the daemon (the shim records replies), never later than when
# the test saw it.
"$REPLAY" replies "$TRACE" >"$T/replies"
: >"$T/acks.at"
while read -r seen a id; do
	case $a in joined) pat='"joined"' ;; *) pat="\"$id\"" ;; esac
	at=$(grep -F -- "$pat" "$T/replies" | head -n 1 | cut -d' ' -f1)
	if [ -n "$at" ] && [ "$at" -le "$seen" ]; then echo "$at $a $id" >>"$T/acks.at"
	else echo "$a $id: its reply is not in the trace before sync point $seen" >>"$T/badacks"; fi
done <"$ACKS"
check "every acknowledgement is in the trace, where the test saw it or before" test ! -s "$T/badacks"
[ -s "$T/badacks" ] && sed 's/^/#   /' "$T/badacks"

# ------------------------------------------------------------ crash states
K=$(syncs)
"$REPLAY" points "$T/acme.snap" "$TRACE" >"$T/points" || { not_ok "the replayer lists the sync points"; finish; }
# spread N LIST...: N items spread evenly over LIST (all of it when shorter).
spread() {
	local n=$1 i; shift
	[ "$n" -ge $# ] && { printf '%s\n' "$@"; return; }
	for i in $(seq 1 "$n"); do echo "${@:$(((i * $# + n - 1) / n)):1}"; done
}
case $MODE in
all) # every sync point, in every variant it has
	awk '{ n = split($2, v, ","); for (i = 1; i <= n; i++) print $1, v[i] }' "$T/points" >"$T/tries" ;;
[0-9]*,*|*' '*) # the points listed, in one variant
	read -r list v <<<"$MODE"
	for k in ${list//,/ }; do echo "$k ${v:-drop}"; done >"$T/tries" ;;
[0-9]*) # a third each: drops where acknowledgements stand (a reply sent
	# before its sync would be lost there), torn and reordered writes
	# wherever there are some; each spread evenly over the run
	n=$((MODE / 3))
	{
		spread "$n" $(awk '$2 ~ /reorder/ { print $1 }' "$T/points") | sed 's/$/ reorder/'
		spread "$n" $(awk '$2 ~ /torn/ { print $1 }' "$T/points") | sed 's/$/ torn/'
	} >"$T/tries"
	spread $((MODE - $(wc -l <"$T/tries"))) $(cut -d' ' -f1 "$T/acks.at" | sort -n -u) |
		sed 's/$/ drop/' >>"$T/tries"
	sort -n -u -o "$T/tries" "$T/tries" ;;
*) not_ok "CRASH_POINTS is all, a number or a list of points, not '$MODE'"; finish ;;
esac

# Checks of one crash state; each failure is a line in $T/why.
bad() { echo "$*" >>"$T/why"; }
acked_by() { awk -v k="$1" '$1 <= k { $1 = ""; print substr($0, 2) }' "$T/acks.at"; }
own_head() { jq_status "$1" "[m['seq'] for m in a['members'] if m['name']=='acme'][0]"; }
# no_fork: no home holds an equivocation or reports a violation, no daemon
# logged a fork.
no_fork() {
	local n out
	for n in cs pg pi; do
		out=$(jq_status "$n" "'equivocations %d, violations %s' % (a['equivocations'], a['violations'])")
		[ "$out" = "equivocations 0, violations []" ] || { echo "$n: ${out:-no status}"; return 1; }
	done
	! grep -h "signed two messages\|equivocat" "$T"/cs.log "$T"/pg.log "$T"/pi.log
}
try_point() {
	local k=$1 v=$2 rc held a id missing="" head next
	rm -rf "$T/cs" "$T/pg" "$T/pi" "$T/why" "$T"/cs.log "$T"/pg.log "$T"/pi.log
	"$REPLAY" build "$T/acme.snap" "$TRACE" "$k" "$v" "$T/cs" >"$T/what" 2>&1
	rc=$?
	[ $rc -eq 2 ] && return 2
	[ $rc -eq 0 ] || { bad "the replayer failed"; return; }
	allianced check "$T/cs" >"$T/check.out" 2>&1 || bad "allianced check fails: $(cat "$T/check.out")"
	"$REPLAY" sent "$TRACE" "$k" "$T/cs" >"$T/sent.out" 2>&1 || bad "$(cat "$T/sent.out")"
	# What is on the disk, before any peer could give it back.
	held=
	if ls -d "$T"/cs/alliances/*/log >/dev/null 2>&1; then
		alliancectl log "$T/cs" --json >"$T/log.json" 2>"$T/log.err" &&
			held=$(python3 -c "import json,sys; print(' '.join(m['id'] for m in json.load(sys.stdin)))" <"$T/log.json") ||
			{ bad "its log cannot be read offline: $(cat "$T/log.err")"; return; }
	fi
	while read -r a id; do
		case $a in
		joined) ls -d "$T"/cs/alliances/*/log >/dev/null 2>&1 || bad "the join acknowledged before sync point $k is lost" ;;
		id) [[ " $held " == *" $id "* ]] || missing+=" $id" ;;
		esac
	done < <(acked_by "$k")
	[ -z "$missing" ] || bad "acknowledged before sync point $k, lost:$missing"
	if ! ls -d "$T"/cs/alliances/*/log >/dev/null 2>&1; then
		# Nothing joined yet: nothing more to check but a start and a stop.
		start_daemon cs "$T/cs" && stop_daemon cs || bad "acme's daemon does not start and stop"
		return
	fi
	cp -a "$T/globex.final" "$T/pg" && cp -a "$T/initech.final" "$T/pi"
	start_daemon pg "$T/pg" && start_daemon pi "$T/pi" || bad "the peers do not start"
	start_daemon cs "$T/cs" || { bad "acme's daemon does not start: $(tail -3 "$T/cs.log")"; return; }
	eventually 30 same_heads cs pg pi >/dev/null || bad "the three homes do not settle: $(heads cs) / $(heads pg) / $(heads pi)"
	no_fork >"$T/fork.out" 2>&1 || bad "a fork or a violation: $(cat "$T/fork.out")"
	head=$(own_head pg)
	# A believed clean-stop mark with a head below what the peers hold of
	# acme's feed (they are from the end of the workload: acme signed more
	# after this point) is, to the daemon, a home stopped cleanly while its
	# key signed elsewhere: it must stop authoring for good, forking nothing.
	mark=$(sed -n 's/.*clean: believed (head \([0-9]*\),.*/\1/p' "$T/what")
	if [ -n "$mark" ] && [ "$head" -gt "$mark" ]; then
		eventually 20 status_true cs "a['authoring_stopped']" >/dev/null ||
			bad "after a clean stop at acme/$mark, with its peers holding acme/$head, acme does not stop authoring: $(jq_status cs "a['authoring']")"
		grep -qF "this member's key signed a chain this home does not hold" "$T/cs.log" ||
			bad "acme's log does not say why it stopped authoring"
		alliancectl audit "$T/cs" --against "$T/pg" --against "$T/pi" >"$T/audit.out" 2>&1 ||
			bad "the audit is not clean: $(cat "$T/audit.out")"
		for n in cs pg pi; do stop_daemon "$n" || bad "$n does not stop cleanly"; done
		echo "# sync point $k, $v: a clean-stop mark at acme/$mark, peers holding acme/$head: acme stops authoring"
		return
	fi
	eventually 20 authoring_open cs >/dev/null || bad "acme does not author again: $(jq_status cs "a['authoring']")"
	next=$(alliancectl -H "$T/cs" commit "after the crash" --to globex --due +1d 2>&1) &&
		[ "${next#acme/}" -gt "$head" ] || bad "acme's new commitment ($next) does not follow acme/$head"
	eventually 15 holds "${next#acme/}" acme pg pi >/dev/null || bad "acme's new commitment does not reach its peers"
	no_fork >"$T/fork.out" 2>&1 || bad "a fork or a violation after authoring: $(cat "$T/fork.out")"
	alliancectl audit "$T/cs" --against "$T/pg" --against "$T/pi" >"$T/audit.out" 2>&1 ||
		bad "the audit is not clean: $(cat "$T/audit.out")"
	for n in cs pg pi; do stop_daemon "$n" || bad "$n does not stop cleanly"; done
}

lost=0
while read -r k v; do
	try_point "$k" "$v"
	rc=$?
	if [ $rc -eq 2 ]; then
		ok "sync point $k/$K, $v # SKIP $(cat "$T/what")"
	elif [ -s "$T/why" ]; then
		not_ok "sync point $k/$K, $v"
		sed 's/^/#   /' "$T/why" "$T/what"
		grep -q "lost:" "$T/why" && lost=$((lost + 1))
		for n in cs pg pi; do
			pid=$(eval echo "\${PID_$n:-}")
			[ -n "$pid" ] && { kill -KILL "$pid"; wait "$pid"; } 2>/dev/null
		done
	else
		ok "sync point $k/$K, $v: $(head -1 "$T/what" | sed 's/^sync point [0-9]* of [0-9]*: //')"
	fi
done <"$T/tries"
echo "# $K sync points, $(wc -l <"$T/tries") crash states tried, $lost with acknowledged messages lost, $((SECONDS - started)) s"
finish
