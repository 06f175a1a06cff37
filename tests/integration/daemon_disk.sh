#!/usr/bin/env bash
# A full disk is survivable (docs/operations.md, "A full disk"). acme's home
# is a small tmpfs; three daemons run; a filler file takes the rest of it.
# A write that fails for want of space is taken back whole and the daemon
# keeps running, read-only: commit is refused at once with "disk full",
# status and status --check say so (CRITICAL), metrics too; nothing is
# signed (no receipt either) and peers' messages are not taken in (they keep
# them). Once the filler is gone the daemon resumes by itself, without a
# restart: the next commit takes the sequence number that was never
# written, the peers' messages arrive. A second fill: a join fails on it,
# leaving nothing, and succeeds once there is space. In the end every
# acknowledged id is in every log, and the three logs audit clean and agree.
# shellcheck disable=SC2154 # PID_acme: set by start_daemon (eval)
. "$(dirname "$0")/../lib.sh"

MNT=$T/acme
mounted=0
# Daemons stop before the unmount (a busy mount cannot go), the unmount
# before lib.sh's cleanup removes $T (rm -rf must not reach into a mount).
disk_cleanup() {
	local p
	for p in "${DAEMONS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$mounted" = 1 ]; then umount "$MNT" 2>/dev/null || umount -l "$MNT"; fi
	cleanup
}
trap disk_cleanup EXIT

mkdir -m 700 "$MNT"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=4m,mode=0700 tmpfs "$MNT" 2>"$T/mount.err"; then
	ok "# SKIP a full disk needs root to mount a tmpfs ($(cat "$T/mount.err" 2>/dev/null))"
	finish
fi
mounted=1
check "acme's home is a 4 MiB tmpfs" test "$(stat -f -c %T "$MNT")" = tmpfs

check "three daemons, acme's home on the tmpfs" start_alliance acme globex initech
A=(-H "$T/acme")
G=(-H "$T/globex")
commit() { alliancectl commit "$@" --due +7d; }
# log_ids HOME: every message id HOME's log holds, sorted (the test
# alliance's: acme joins a second one at the end).
log_ids() { alliancectl log "$T/$1" --alliance "Test alliance" --json | python3 -c 'import json,sys; print("\n".join(sorted(m["id"] for m in json.load(sys.stdin))))'; }
# in_log HOME IDFILE: HOME's log holds every id of IDFILE (which is not empty).
in_log() {
	[ -s "$2" ] || { echo "no ids in $2"; return 1; }
	log_ids "$1" >"$T/$1.ids" || return 1
	local missing; missing=$(sort -u "$2" | comm -23 - "$T/$1.ids")
	[ -z "$missing" ] || { echo "$1 lacks: $missing"; return 1; }
}
disk_state() { jq_status "$1" "d['disk']['state']"; }

# --- acknowledged before the disk fills
for i in 1 2 3; do commit "before $i" --to globex "${A[@]}" >>"$T/acked" || break; done
for i in 1 2; do commit "globex before $i" --to acme "${G[@]}" >>"$T/acked" || break; done
check "five commitments acknowledged before the fill" test "$(wc -l <"$T/acked")" -eq 5
both_held() { holds 3 acme acme globex initech && holds 2 globex acme globex initech; }
check "...and every daemon holds them" eventually 15 both_held

# --- fill the disk; commit until a write finds no room (the log's last
# page may still take a record or two), keeping what was acknowledged.
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
check "the filler took the whole tmpfs" test "$(stat -f -c %a "$MNT")" -eq 0
refused=0
for i in $(seq 1 200); do
	if id=$(commit "during $i" --to globex "${A[@]}" 2>"$T/commit.err"); then
		echo "$id" >>"$T/acked"
	else
		refused=$?
		break
	fi
done
check "a commit on the full disk fails (exit status $refused)" test "$refused" -ne 0
contains "...saying disk full" "$(cat "$T/commit.err")" "disk full: $(cd "$MNT" && pwd -P) has no space left ("
contains "...that nothing was written" "$(cat "$T/commit.err")" "bytes free); nothing was written; free space and retry"
contains "...and that the daemon resumes by itself" "$(cat "$T/commit.err")" "the daemon resumes by itself"
last=$(grep '^acme/' "$T/acked" | tail -n 1)
check "the daemon is still running" kill -0 "$PID_acme"
check "...and answers status" alliancectl "${A[@]}" status
check "status --json says the disk is full" test "$(disk_state acme)" = full
check "...with the refusal, the path and the time" status_true acme "d['disk']['full']['message'].startswith('disk full: ') and d['disk']['full']['since'] and d['disk']['full']['path'].startswith('$MNT/alliances/') and d['disk']['full_episodes'] == 1"
check "...and authoring says why it is held" status_true acme "a['authoring'].startswith('disk full')"
contains "status says FULL in words" "$(alliancectl "${A[@]}" status)" "FULL since"
out=$(alliancectl "${A[@]}" status --check); rc=$?
check "status --check exits 1" test "$rc" -eq 1
contains "...CRITICAL, disk full first" "$out" "CRITICAL: acme: disk: disk full for "
check "metrics: alliance_disk_full 1" bash -c "alliancectl -H '$T/acme' metrics | grep -qx 'alliance_disk_full 1'"
check "...alliance_disk_full_total 1" bash -c "alliancectl -H '$T/acme' metrics | grep -qx 'alliance_disk_full_total 1'"
fails "the next commit is refused at once" commit "again" --to globex "${A[@]}"
contains "...with the same words" "$(cat "$T/.out")" "disk full: "
fails "so is any other signing request" alliancectl "${A[@]}" feedback globex --rating 5 --comment fine
contains "...disk full" "$(cat "$T/.out")" "disk full: "
head_full=$(seq_in acme acme)
check "acme's feed ends at its last acknowledged commitment ($last)" test "$head_full" -eq "${last#acme/}"

# --- peers go on meanwhile; acme takes nothing in, signs nothing (no receipt)
for i in 1 2 3; do commit "while acme is full $i" --to initech "${G[@]}" >>"$T/acked.g" || break; done
check "globex commits while acme's disk is full" test "$(wc -l <"$T/acked.g")" -eq 3
glast=$(tail -n 1 "$T/acked.g")
check "initech receives them" eventually 15 holds "${glast#globex/}" globex initech
check "...acme does not (it takes nothing in)" test "$(seq_in acme globex)" -lt "${glast#globex/}"
check "...and has signed nothing, not even a receipt" test "$(seq_in acme acme)" -eq "$head_full"
check "...the peers still hold acme's feed where it was" holds "$head_full" acme globex initech
check "acme's log audits clean while full: no partial record" alliancectl audit "$T/acme" --alliance "Test alliance"
check "acme's log holds every id acknowledged before and during the fill" in_log acme "$T/acked"

# --- space again: no restart, it resumes by itself
rm "$MNT/filler"
pid=$PID_acme
commit_after() { commit "after the fill" --to globex "${A[@]}" >"$T/after.id"; }
check "once the filler is removed, a commit succeeds within seconds" eventually 10 commit_after
check "...from the same daemon (no restart)" test "$(jq_status acme "d['daemon']['pid']")" = "$pid"
check "...taking the seq that was never written ($last + 1)" test "$(cat "$T/after.id")" = "acme/$(( ${last#acme/} + 1 ))"
cat "$T/after.id" "$T/acked.g" >>"$T/acked"
check "status says the disk is ok again" test "$(disk_state acme)" = ok
check "...the messages globex sent meanwhile arrive" eventually 15 holds "${glast#globex/}" globex acme
check "...and everyone holds acme's new commitment" eventually 15 holds "$(( ${last#acme/} + 1 ))" acme globex initech
check "status --check is OK again (a 4 MiB tmpfs: --min-free 1K)" eventually 15 alliancectl "${A[@]}" status --check --min-free 1K
check "metrics: alliance_disk_full 0" bash -c "alliancectl -H '$T/acme' metrics | grep -qx 'alliance_disk_full 0'"
n_full=$(grep -c "disk full: $(cd "$MNT" && pwd -P) has no space left" "$T/acme.log")
check "the daemon logged the full disk once (not per attempt: $n_full)" test "$n_full" -eq 1
check "...and the space back once" test "$(grep -c "disk space is back in" "$T/acme.log")" -eq 1
check "acme signs again what came in while it was full (globex sees it acknowledged)" eventually 15 status_true globex "[l['acked'] for l in a['links'] if l['member']=='acme'][0] >= ${glast#globex/}"

# --- a second fill: joining another alliance needs space too. It fails
# without stopping the daemon (it used to stop it) and leaves nothing.
alliancectl charter new "$T/second" --title "Second alliance" --member "$T/acme.card" --member "$T/globex.card" >/dev/null &&
	alliancectl charter sign "$T/second" -H "$T/acme" >/dev/null && alliancectl charter sign "$T/second" -H "$T/globex" >/dev/null
check "a second charter, signed by acme and globex" test -s "$T/second"
ls "$MNT/alliances" >"$T/alliances.before"
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
fails "joining a second alliance on the full disk fails" alliancectl "${A[@]}" join "$T/second"
contains "...saying disk full" "$(cat "$T/.out")" "disk full: $(cd "$MNT" && pwd -P) has no space left ("
check "...the daemon runs on, read-only" status_true acme "d['disk']['state'] == 'full' and d['disk']['full_episodes'] == 2"
check "...and nothing was left in alliances/" bash -c "ls '$MNT/alliances' | cmp - '$T/alliances.before'"
fails "...nor joined" alliancectl "${A[@]}" status --alliance "Second alliance"
rm "$MNT/filler"
check "space again: the join succeeds, no restart" eventually 10 alliancectl "${A[@]}" join "$T/second"
check "...same daemon" test "$(jq_status acme "d['daemon']['pid']")" = "$pid"
check "...which now serves two alliances" test "$(jq_status acme "len(d['alliances'])")" = 2

# --- the end: every acknowledged id everywhere, clean audits, one log
for n in acme globex initech; do
	check "every acknowledged id is in $n's log" eventually 15 in_log "$n" "$T/acked"
done
heads() { jq_status "$1" "sorted((m['name'], m['seq']) for m in a['members'])"; }
# (jq_status reads the first alliance the daemon lists: the test alliance,
# joined first.)
converged() { local ref n; ref=$(heads acme); for n in globex initech; do [ "$(heads "$n")" = "$ref" ] || return 1; done; }
check "the three daemons converge" eventually 20 converged
for n in acme globex initech; do stop_daemon "$n"; done
for n in acme globex initech; do check "$n's home audits clean" alliancectl audit "$T/$n" --alliance "Test alliance"; done
check "the three logs agree (audit --against)" alliancectl audit "$T/acme" --alliance "Test alliance" --against "$T/globex" --against "$T/initech"
log_ids acme >"$T/acme.final"; log_ids globex >"$T/globex.final"; log_ids initech >"$T/initech.final"
check "...and hold the same messages" bash -c "test -s '$T/acme.final' && cmp '$T/acme.final' '$T/globex.final' && cmp '$T/acme.final' '$T/initech.final'"
finish
