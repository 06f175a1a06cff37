#!/usr/bin/env bash
# alliancectl scorecard on three real daemons: a history with on-time,
# late, missed, confirmed and disputed commitments, an answer and a
# proposal left waiting; the scorecards are the same in every home, read
# offline from the log, and in audit --json's "scorecard", now and as of a
# past instant (a replay in the daemon; "now" moves a waiting proposal's
# score between two runs, so every comparison is at a fixed --as-of); the text cites the evidence ids;
# a bad NAME is refused, naming it.
. "$(dirname "$0")/../lib.sh"

# A 5 s grace: a commitment due 10 s ago is missed at once, one due a
# second ago can still be delivered (late), and a proposal waits after 5 s.
CHARTER_ARGS="--grace 5s" start_alliance acme globex initech ||
	{ not_ok "three daemons joined and authoring"; finish; }
A=(-H "$T/acme") G=(-H "$T/globex") I=(-H "$T/initech")

# state_in HOME ID STATE: HOME's ledger has commitment ID in STATE.
state_in() {
	alliancectl commitments -H "$T/$1" --json --offline |
		python3 -c 'import json,sys; s=[c["state"] for c in json.load(sys.stdin) if c["id"]==sys.argv[1]]; sys.exit(s != [sys.argv[2]])' "$2" "$3"
}

# acme: one on time and confirmed, one late and confirmed, one missed.
c1=$(alliancectl commit "a prototype" --to globex --due +1d --value 100 "${A[@]}")
c2=$(alliancectl commit "a late report" --to globex --due -1s --past --value 100 "${A[@]}")
c3=$(alliancectl commit "a test rig" --to initech --due -10s --past --value 100 "${A[@]}")
check "acme's three commitments" is_id "$c3" acme
check "acme delivers the late one within the grace" alliancectl deliver "$c2" --note done "${A[@]}"
check "globex holds it" eventually 20 state_in globex "$c2" delivered
check "globex holds the first" eventually 20 state_in globex "$c1" proposed
alliancectl accept "$c1" "${G[@]}" >/dev/null
alliancectl confirm "$c2" --rating 3 --timeliness 2 "${G[@]}" >/dev/null
check "acme holds globex's answer" eventually 20 state_in acme "$c1" accepted
alliancectl deliver "$c1" --note done "${A[@]}" >/dev/null
check "globex holds the delivery" eventually 20 state_in globex "$c1" delivered
alliancectl confirm "$c1" --rating 5 --timeliness 4 "${G[@]}" >/dev/null
# initech: delivered to acme, disputed.
c4=$(alliancectl commit "a fixture" --to acme --due +1d --value 100 "${I[@]}")
check "initech's commitment" is_id "$c4" initech
check "acme holds it" eventually 20 state_in acme "$c4" proposed
alliancectl accept "$c4" "${A[@]}" >/dev/null
check "initech holds acme's answer" eventually 20 state_in initech "$c4" accepted
past=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) # before the delivery and the dispute
sleep 0.01
alliancectl deliver "$c4" --note here "${I[@]}" >/dev/null
check "acme holds the delivery" eventually 20 state_in acme "$c4" delivered
alliancectl dispute "$c4" --reason broken "${A[@]}" >/dev/null
# globex: a proposal to initech that nobody answers.
c5=$(alliancectl commit "a review" --to initech --due +1d --value 100 "${G[@]}")
check "globex's proposal" is_id "$c5" globex
for n in acme globex initech; do
	check "$n holds every step" eventually 20 eval 'state_in $n "$c1" confirmed && state_in $n "$c2" confirmed &&
		state_in $n "$c3" missed && state_in $n "$c4" disputed && state_in $n "$c5" proposed'
done
sleep 5.5 # globex's proposal is now waiting past the grace

# The same scorecards in every home, from the log, and in the audit.
later=$(abs_time +1h)
check "scorecard --json: the same in every home" eventually 10 \
	same_output --rows alliancectl scorecard -H "$T/{}" --json --as-of "$later" -- acme globex initech
check "scorecard NAME --json: the same in every home" eventually 10 \
	same_output --rows alliancectl scorecard acme -H "$T/{}" --json --as-of "$later" -- acme globex initech
check "scorecard --json: the daemon's answer is the log's" \
	same_as --rows alliancectl scorecard --json "${A[@]}" --as-of "$later" -- \
	alliancectl scorecard --json "${A[@]}" --as-of "$later" --offline
sorted() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(d.get("scorecard", d) if isinstance(d, dict) else d, sort_keys=True))'; }
card_table() { alliancectl scorecard -H "$1" --json --as-of "$later" | sorted; }
audit_card() { alliancectl audit "$1" --as-of "$later" --json | sorted; }
check "audit --json's scorecard is scorecard --json's" same_as card_table "$T/acme" -- audit_card "$T/acme"
check "...of another home's log too" same_as card_table "$T/initech" -- audit_card "$T/globex"

# What they say.
out=$(alliancectl scorecard "${A[@]}" --json --as-of "$later")
j() { python3 -c "import json,sys; d={r['partner']: r for r in json.loads(sys.argv[1])}; print($1)" "$out"; }
check "acme: 1 on time, 1 late, 1 missed: reliability 0.5" \
	test "$(j "[d['acme']['reliability'][k] for k in ('on_time', 'late', 'missed', 'score')]")" = "[1, 1, 1, 0.5]"
check "...citing them" test "$(j "d['acme']['reliability']['by_outcome']")" = \
	"{'on-time': ['$c1'], 'late': ['$c2'], 'missed': ['$c3']}"
check "acme: confirmed (5, 4) and (3, 2): quality 0.625" \
	test "$(j "[d['acme']['quality'][k] for k in ('confirmed', 'disputed', 'score')]")" = "[2, 0, 0.625]"
check "initech: disputed: quality 0" \
	test "$(j "[d['initech']['quality'][k] for k in ('confirmed', 'disputed', 'score')]")" = "[0, 1, 0.0]"
check "globex answered and judged: 1 answer, 2 verdicts" \
	test "$(j "[d['globex']['responsiveness'][k] for k in ('answers', 'verdicts', 'waiting')]")" = "[1, 2, 0]"
check "acme answered and judged initech's" \
	test "$(j "[d['acme']['responsiveness'][k] for k in ('answers', 'verdicts')]")" = "[1, 1]"
check "initech leaves globex's proposal waiting, and acme's missed one" \
	test "$(j "d['initech']['responsiveness']['by_outcome']['waiting']")" = "['$c3', '$c5']"
check "trust and uncertainty are trust --json's" \
	test "$(j "[(r['trust'], r['uncertainty']) for r in d.values()]")" = \
	"$(alliancectl trust "${A[@]}" --json --as-of "$later" |
		python3 -c 'import json,sys; print([(r["trust"], r["uncertainty"]) for r in json.load(sys.stdin)])')"

text=$(alliancectl scorecard "${A[@]}" --as-of "$later")
contains "the table's header, columns as wide as the data" "$text" \
	"PARTNER   TRUST  UNCERT  RELIAB  QUALITY  RESPONS  RECIP"
contains "acme's reliability line cites its ids" "$text" \
	"reliability 0.50: 1 on time ($c1), 1 late ($c2), 1 missed ($c3)"
contains "a score with nothing to count is -" "$text" "reliability -: nothing due yet"
text=$(alliancectl scorecard acme "${A[@]}" --as-of "$later")
for id in "$c1" "$c2" "$c3" "$c4"; do
	contains "scorecard acme shows $id" "$text" "$id"
done
contains "...as evidence lines" "$text" "  $c3"
contains "...an empty part left out" "$(alliancectl scorecard initech "${A[@]}" --as-of "$later")" \
	"reciprocity -: nothing given or received yet"
# Delays as people read them (when_span), not hours: initech leaves acme's
# proposal waiting for an hour (--as-of is an hour on), globex answered
# in less than a second.
contains "a delay in hours: 1 h" "$(alliancectl scorecard initech "${A[@]}" --as-of "$later")" \
	"  after 1 h  scores 0.00"
check "...a delay under a second in ms" grep -qE "^  responsiveness .* in a median [0-9]{1,3} ms" \
	<<<"$(alliancectl scorecard globex "${A[@]}" --as-of "$later")"

# As of a past instant: the daemon replays its log, as the offline path does.
check "--as-of in the past: the daemon's answer is the log's" \
	same_as --rows alliancectl scorecard --json "${A[@]}" --as-of "$past" -- \
	alliancectl scorecard --json "${A[@]}" --as-of "$past" --offline
out=$(alliancectl scorecard "${A[@]}" --json --as-of "$past")
check "...which has no dispute yet" \
	test "$(j "[d['initech']['quality']['disputed'], d['acme']['responsiveness']['verdicts']]")" = "[0, 0]"

# A bad NAME: named, with the members, exit status 1, both ways.
for how in "" --offline; do
	# shellcheck disable=SC2086 # how: one option or none
	err=$(alliancectl scorecard hooli "${A[@]}" $how 2>&1 >/dev/null)
	check "scorecard hooli ${how:-(daemon)}: exit status 1" test $? -eq 1
	contains "...naming it and the members" "$err" \
		"no member named 'hooli' in charter 'Test alliance' (members: acme, globex, initech)"
done
fails "a bad --as-of is refused" alliancectl scorecard "${A[@]}" --as-of tomorrow

stop_daemon acme; stop_daemon globex; stop_daemon initech
finish
