#!/usr/bin/env bash
# make demo: three partner firms set up an alliance on this machine, each
# runs its daemon, commitments flow between them over CurveZMQ, one daemon
# is down for a while and catches up; acme delivers on time, globex late,
# initech not at all, and the trust table shows it; a fourth firm joins by
# amendment; an auditor checks the four logs against the charter and each
# other and recomputes the table. Then acme's views for its alliance
# manager: the scorecards, trust over time, its portfolio, the report.
# To fit in a minute, the charter's grace period is 2 seconds and some
# promises are due within seconds. Everything runs in a temporary
# directory on 127.0.0.1 (tests/lib.sh's), removed on exit; every daemon
# is stopped, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PATH="$PWD/$BUILD:$PATH"
OUT=$PWD/$BUILD/demo # what stays after the demo: the report
case ${DEMO_SCREENSHOT:-} in '' | /*) ;; *) DEMO_SCREENSHOT=$PWD/$DEMO_SCREENSHOT ;; esac
. tests/lib.sh   # the temporary directory, free_port, same_output, eventually
declare -A PID=()
FIRMS=(acme globex initech)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
# status FIRM EXPR: a Python expression over a = the alliance's status.
status() {
	alliancectl -H "$1" status --json |
		python3 -c "import json,sys; a=json.load(sys.stdin)['alliances'][0]; print($2)"
}
# wait_for WHAT FIRM EXPR: until EXPR is True at FIRM (at most 20 s).
wait_for() {
	local i
	for i in $(seq 200); do
		[ "$(status "$2" "$3" 2>/dev/null)" = True ] && return 0
		sleep 0.1
	done
	echo "demo: timed out waiting until $1" >&2
	exit 1
}
start() {
	allianced run "$1" 2>>"$1.log" &
	PID[$1]=$!
	DAEMONS+=("$!")
	local i
	for i in $(seq 100); do ALLIANCE_TIMEOUT=1 alliancectl -H "$1" status >/dev/null 2>&1 && return 0; sleep 0.05; done
	echo "demo: allianced for $1 did not start:" >&2
	cat "$1.log" >&2
	exit 1
}
stop() { kill -TERM "${PID[$1]}"; wait "${PID[$1]}"; unset "PID[$1]"; }
seqs() { status "$1" "[m['seq'] for m in a['members']]"; }

# wait_same: until the daemons hold the same feeds (at most 20 s).
wait_same() {
	eventually 20 same_output --rows seqs {} -- "${FIRMS[@]}" >"$T/why" && return 0
	echo "demo: the daemons did not converge:" >&2
	cat "$T/why" >&2
	exit 1
}

step "1. Each firm creates its home: keys, config and a member card"
for firm in "${FIRMS[@]}"; do
	run allianced init "$firm" --name "$firm" --listen "tcp://127.0.0.1:$(free_port)" | tail -n 1 >"$firm.card"
	echo "   card: $(cut -c1-70 "$firm.card")..."
done

step "2. The alliance manager writes the charter from the three cards"
run alliancectl charter new alliance.charter --title "Acme-Globex-Initech R&D" \
	--member acme.card --member globex.card --member initech.card \
	--objective "a joint prototype by spring" --resolver acme --half-life 60d \
	--grace 5s --param value_unit=100   # a 5 s grace, so that a miss shows within the demo

step "3. Every firm signs it; it is in force when all have"
for firm in "${FIRMS[@]}"; do run alliancectl charter sign alliance.charter -H "$firm"; done
run alliancectl charter show alliance.charter

step "4. Each firm starts its daemon and joins the alliance"
for firm in "${FIRMS[@]}"; do start "$firm"; echo "   allianced run $firm (pid ${PID[$firm]}), log in $firm.log"; done
for firm in "${FIRMS[@]}"; do run alliancectl join alliance.charter -H "$firm"; done
for firm in "${FIRMS[@]}"; do wait_for "$firm's peers confirm its feed" "$firm" "a['authoring'] == 'open'"; done
echo "   the three daemons are linked (CurveZMQ, members' keys only)"

step "5. Commitments flow: each is signed, durable, then pushed to every partner"
run alliancectl -H acme commit "working prototype" --to globex --due +20s --value 500
printf '%s\n' '{"what": "test rig", "to": ["acme"], "due": "+1s", "value": 300}' \
	'{"what": "field trial report", "to": "acme,globex", "due": "+30d", "value": 150}' >initech.jsonl
run alliancectl -H initech commit --batch initech.jsonl
wait_same
run alliancectl -H globex accept acme/1
wait_same
run alliancectl -H initech status

step "6. initech's daemon is down for a while; the others go on"
stop initech
echo "   initech stopped"
run alliancectl -H acme commit "prototype firmware" --to initech --due +21d --value 250
run alliancectl -H globex commit "enclosure drawings" --to acme --due +7d --value 80
start initech
echo "   initech restarted: its peers send what it missed"
wait_for "initech catches up" initech "[m['seq'] for m in a['members'] if m['name']=='acme'][0] >= 2"
wait_same
run alliancectl -H initech log

step "7. acme delivers on time; globex delivers late; initech never delivers"
echo "prototype v1, test report attached" >prototype.txt
run alliancectl -H acme deliver acme/1 --evidence prototype.txt --note "v1, all tests green"
wait_same
run alliancectl -H globex confirm acme/1 --rating 5 --comment "exactly what we needed"
spec=$(alliancectl -H globex commit "interface specification" --to acme,initech --due +2s --value 200)
echo "\$ alliancectl -H globex commit \"interface specification\" --to acme,initech --due +2s --value 200"
echo "$spec"
echo "   (waiting until the specification is overdue: its due time has passed, its grace has not)"
state_of() {
	alliancectl -H globex commitments --json |
		python3 -c "import json,sys; print([c['state'] for c in json.load(sys.stdin) if c['id']=='$1'][0])"
}
until_state() { # until_state ID STATE: poll (at most 20 s)
	local i
	for i in $(seq 200); do [ "$(state_of "$1")" = "$2" ] && return 0; sleep 0.1; done
	echo "demo: $1 never became $2" >&2
	exit 1
}
until_state "$spec" overdue
run alliancectl -H globex deliver "$spec" --note "sorry, late"
wait_same
run alliancectl -H acme confirm "$spec" --rating 4 --timeliness 1
wait_same
echo "   (waiting until initech's test rig, due 1 s after it was promised, is past its grace)"
until_state initech/1 missed
run alliancectl -H initech commitments
echo
run alliancectl -H acme trust
run alliancectl -H acme trust initech
echo
echo "   (the scorecard: a score per dimension beside trust, each citing its commitments)"
run alliancectl -H acme scorecard
echo
echo "   (initech, the partner that missed: every piece of evidence behind its scores)"
run alliancectl -H acme scorecard initech
echo
echo "   (trust over time: the table every 5 s since the charter, as CSV for a spreadsheet)"
run alliancectl -H acme trust --series 5s --csv

step "8. A fourth firm joins: a member proposes its card, another approves (quorum 2 of 3)"
run allianced init umbrella --name umbrella --listen "tcp://127.0.0.1:$(free_port)" | tail -n 1 >umbrella.card
start umbrella
run alliancectl join alliance.charter -H umbrella
prop=$(alliancectl -H acme amend --add "$(cat umbrella.card)" --reason "umbrella brings logistics")
echo "\$ alliancectl -H acme amend --add \"\$(cat umbrella.card)\" --reason \"umbrella brings logistics\""
echo "$prop"
wait_for "globex holds acme's proposal" globex "[m['seq'] for m in a['members'] if m['name']=='acme'][0] >= ${prop#*/}"
run alliancectl -H globex amend --approve "$prop"
wait_for "umbrella is admitted" umbrella "a['authoring'] == 'open'"
FIRMS+=(umbrella)
run alliancectl -H umbrella commit "logistics plan" --to acme,globex --due +30d --value 100
wait_same
run alliancectl -H umbrella status

step "9. Someone edits one byte of a copy of globex's log; the audit names the record"
cp globex/alliances/*/log tampered.log
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[300]^=1; open(p,'wb').write(b)" tampered.log
if run alliancectl audit tampered.log --charter alliance.charter; then
	echo "demo: the tampered log passed the audit: this is a bug" >&2
	exit 1
fi

step "10. The daemons stop; an auditor checks all four logs against the charter and each other"
for firm in "${FIRMS[@]}"; do stop "$firm"; done
run alliancectl audit acme --against globex --against initech --against umbrella --charter alliance.charter
asof=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if ! same_output --rows alliancectl trust -H "$T/{}" --as-of "$asof" --json -- "${FIRMS[@]}" >"$T/why" ||
	! same_as --rows audit_trust "$T/initech" --as-of "$asof" -- trust_table "$T/acme" --as-of "$asof" >>"$T/why"; then
	echo "demo: the four homes and the audit do not compute the same trust table: a bug" >&2
	cat "$T/why" >&2
	exit 1
fi
echo "   the four homes and the audit compute byte-identical trust tables as of $asof"
trust=$(alliancectl trust -H acme --json)
python3 - "$trust" <<'PY'
import json, sys
t = {r["partner"]: r for r in json.loads(sys.argv[1])}
assert t["acme"]["trust"] > t["globex"]["trust"] > t["initech"]["trust"], t
assert t["initech"]["missed"] == 1 and t["globex"]["late"] == 1 and t["acme"]["late"] == 0, t
assert list(t)[-1] == "umbrella" and t["umbrella"]["uncertainty"] == 1.0, t
PY

step "11. acme's portfolio: every alliance it has joined, and every partner firm across them"
run alliancectl -H acme portfolio

step "12. The report: one page for the steering committee, every number the CLI's"
# Outside the demo's temporary directory, so that it stays: build/demo/.
mkdir -p "$OUT"
run alliancectl -H acme report -o "$OUT/report.html" --as-of "$asof"
echo "report: $OUT/report.html (open it in a browser)"
if [ -n "${DEMO_SCREENSHOT:-}" ] && command -v chromium >/dev/null; then
	# make demo DEMO_SCREENSHOT=docs/report.png: the picture in the README.
	chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
		--user-data-dir="$T/chromium" --window-size=1200,1600 \
		--screenshot="$DEMO_SCREENSHOT" "file://$OUT/report.html" 2>/dev/null &&
		echo "screenshot: $DEMO_SCREENSHOT"
fi

echo
echo "demo: done: three daemons replicated every commitment, one caught up after an outage;"
echo "demo: acme (on time) is trusted more than globex (late), and globex more than initech (missed);"
echo "demo: umbrella joined by amendment at the quorum and received the whole log;"
echo "demo: a tampered copy was caught, and the four real logs audit clean and agree;"
echo "demo: the report is $OUT/report.html."
