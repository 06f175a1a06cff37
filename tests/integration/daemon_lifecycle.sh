#!/usr/bin/env bash
# A commitment's life across three daemons, driven only through alliancectl:
# accept, decline, deliver (with hashed evidence), confirm, dispute; the
# rules refuse what a member may not do, naming the rule, and change
# nothing; every home derives the same states.
. "$(dirname "$0")/../lib.sh"

CHARTER_ARGS="--resolver acme" start_alliance acme globex initech || { not_ok "three daemons joined and authoring"; finish; }
A=(-H "$T/acme"); G=(-H "$T/globex"); I=(-H "$T/initech")
state() { alliancectl -H "$T/$1" commitments --json | python3 -c "import json,sys; print([c['state'] for c in json.load(sys.stdin) if c['id']=='$2'][0])"; }
late() { alliancectl -H "$T/$1" commitments --json | python3 -c "import json,sys; print([c['late'] for c in json.load(sys.stdin) if c['id']=='$2'][0])"; }
everywhere() { local want=$1 id=$2 h; for h in acme globex initech; do [ "$(state "$h" "$id")" = "$want" ] || return 1; done; }

c1=$(alliancectl "${A[@]}" commit "prototype" --to globex --due +14d --value 500)
c2=$(alliancectl "${A[@]}" commit "specs" --to initech --due +7d --value 100)
c3=$(alliancectl "${G[@]}" commit "test rig" --to initech --due +7d --value 50)
check "the commitments reach every home" eventually 10 holds 2 acme globex initech
check "...where they are proposed" everywhere proposed "$c1"

check "globex accepts $c1" alliancectl "${G[@]}" accept "$c1"
check "...accepted in every home" eventually 10 everywhere accepted "$c1"
fails "initech may not accept $c1 (not a beneficiary)" alliancectl "${I[@]}" accept "$c1"
contains "...the refusal names the rule" "$(alliancectl "${I[@]}" accept "$c1" 2>&1)" "only a beneficiary of $c1"
fails "acme may not accept its own promise" alliancectl "${A[@]}" accept "$c1"
fails "globex may not deliver acme's commitment" alliancectl "${G[@]}" deliver "$c1"
contains "...naming the promisor" "$(alliancectl "${G[@]}" deliver "$c1" 2>&1)" "only acme, the promisor"
fails "globex may not confirm what is not delivered" alliancectl "${G[@]}" confirm "$c1" --rating 5
fails "an unknown id is refused" alliancectl "${G[@]}" accept acme/999
fails "an id that is not a commitment is refused" alliancectl "${G[@]}" confirm globex/1 --rating 3
fails "confirm needs a rating" alliancectl "${G[@]}" confirm "$c1"
fails "a rating outside 1..5 is refused" alliancectl "${G[@]}" confirm "$c1" --rating 9
contains "...naming the value" "$(alliancectl "${G[@]}" confirm "$c1" --rating 9 2>&1)" "'9'"
fails "dispute needs a reason" alliancectl "${G[@]}" dispute "$c1"

echo "prototype v1" >"$T/evidence.txt"
d1=$(alliancectl "${A[@]}" deliver "$c1" --evidence "$T/evidence.txt" --note "v1")
check "acme delivers $c1 ($d1)" is_id "$d1" acme
hash=$(python3 -c "import hashlib,sys; print(hashlib.blake2b(open(sys.argv[1],'rb').read(), digest_size=32).hexdigest())" "$T/evidence.txt")
check "the evidence file is hashed (BLAKE2b-256) into the signed delivery" test "$(alliancectl log -H "$T/acme" --json | python3 -c "import json,sys; print([m['evidence'] for m in json.load(sys.stdin) if m['id']=='$d1'][0])")" = "$hash"
check "...delivered in every home" eventually 10 everywhere delivered "$c1"
check "...on time" test "$(late globex "$c1")" = False
fails "a second delivery is refused" alliancectl "${A[@]}" deliver "$c1"
check "globex confirms with a rating" eventually 10 alliancectl "${G[@]}" confirm "$c1" --rating 4 --comment "good work"
check "...confirmed in every home" eventually 10 everywhere confirmed "$c1"
fails "confirming twice is refused" alliancectl "${G[@]}" confirm "$c1" --rating 5

check "initech declines $c2" eventually 10 alliancectl "${I[@]}" decline "$c2" --reason "not needed"
check "...declined in every home" eventually 10 everywhere declined "$c2"
fails "a declined commitment cannot be delivered" alliancectl "${A[@]}" deliver "$c2"

check "globex delivers $c3" alliancectl "${G[@]}" deliver "$c3"
check "initech disputes it" eventually 10 alliancectl "${I[@]}" dispute "$c3" --reason "rig fails calibration"
check "...disputed in every home" eventually 10 everywhere disputed "$c3"
fails "only a disputed commitment can be escalated" alliancectl "${G[@]}" escalate "$c1" --reason x
check "globex escalates the dispute to the charter's resolver" alliancectl "${G[@]}" escalate "$c3" --reason "the rig passed our calibration"
fails "initech may not resolve it (not the resolver)" alliancectl "${I[@]}" resolve "$c3" --reject
contains "...naming the resolver" "$(alliancectl "${I[@]}" resolve "$c3" --reject 2>&1)" "only the charter's resolver (acme)"
fails "a ruling is required" alliancectl "${A[@]}" resolve "$c3"
check "acme, the resolver, upholds the dispute" eventually 10 alliancectl "${A[@]}" resolve "$c3" --uphold --comment "calibration log shows drift"
check "...resolved in every home" eventually 10 everywhere resolved "$c3"

check "globex's and initech's tables (--as-of +30d) equal acme's" eventually 10 same_output --rows alliancectl commitments -H "$T/{}" --json --as-of +30d -- acme globex initech
check "the logs audit clean against each other" eventually 10 alliancectl audit "$T/acme" --against "$T/globex" --against "$T/initech"
# --- tasks, release by mutual agreement, feedback
t1=$(alliancectl "${A[@]}" task add "integrate the prototype" --owner globex --due +20d --deliverable "a demo rig")
check "task add prints the task's id ($t1)" is_id "$t1" acme
t2=$(alliancectl "${G[@]}" task add "field trial" --owner initech --due +30d --depends "$t1")
check "a task may depend on another ($t2)" is_id "$t2" globex
fails "a task with a stranger for owner is refused" alliancectl "${A[@]}" task add x --owner nobody --due +1d
fails "a task that depends on a commitment is refused" alliancectl "${A[@]}" task add x --owner acme --due +1d --depends "$c1"
contains "...naming the rule" "$(alliancectl "${A[@]}" task add x --owner acme --due +1d --depends "$c1" 2>&1)" "depends only on tasks"
check "a commitment can be for a task" eventually 10 alliancectl "${G[@]}" commit "rig for the integration" --to acme --due +10d --task "$t1"
fails "but not for a commitment" alliancectl "${G[@]}" commit "x" --to acme --due +10d --task "$c1"
c4=$(alliancectl "${A[@]}" commit "extra docs" --to globex,initech --due +5d --value 10)
check "globex accepts $c4" eventually 10 alliancectl "${G[@]}" accept "$c4"
check "the promisor releases $c4" eventually 10 alliancectl "${A[@]}" release "$c4" --reason "no longer needed"
check "...globex releases it too" eventually 10 alliancectl "${G[@]}" release "$c4"
check "...it is not released until every party has" test "$(state acme "$c4")" = accepted
fails "...a stranger to it cannot release it" alliancectl "${I[@]}" release "$c1"
check "...initech, the last party, releases it" eventually 10 alliancectl "${I[@]}" release "$c4"
check "...released in every home" eventually 10 everywhere released "$c4"
fails "releasing twice is refused" alliancectl "${A[@]}" release "$c4"
c5=$(alliancectl "${A[@]}" commit "maybe later" --to initech --due +5d)
check "a proposal nobody accepted can be withdrawn by its promisor alone" eventually 10 alliancectl "${A[@]}" release "$c5"
check "...withdrawn in every home" eventually 10 everywhere released "$c5"
check "feedback about a partner" alliancectl "${I[@]}" feedback acme --rating 5 --comment "great partner"
fails "feedback about oneself is refused" alliancectl "${I[@]}" feedback initech --rating 5
fails "feedback needs a rating" alliancectl "${I[@]}" feedback acme
feedback_shown() { alliancectl trust acme -H "$T/globex" | grep -q "feedback"; }
check "trust acme at globex shows initech's feedback as evidence" eventually 10 feedback_shown

# --- a member that breaks the rules: its signed message stays, changes
# nothing, and is shown as its violation (its daemon would refuse, so the
# message is written with the test tool while globex's daemon is down)
stop_daemon globex
"$ROOT/$BUILD/tests/mklog" author "$T/globex" --charter "$T/charter" --deliver "$c2" >/dev/null
check "globex's daemon restarts with the rule-breaking message in its feed" start_daemon globex
violation_at() { alliancectl -H "$T/$1" status --json | grep -q '"rule"'; }
check "acme's status shows globex's violation" eventually 15 violation_at acme
shows_violation() { alliancectl -H "$T/$1" status | grep -q "VIOLATION globex/"; }
check "...and initech's, naming the message (status may be 2 s behind)" eventually 10 shows_violation initech
contains "...and the rule" "$(alliancectl -H "$T/acme" status)" "only acme, the promisor, may deliver $c2"
check "...the message changed nothing" test "$(state acme "$c2")" = declined
check "...and stays in every log: the audits agree and are clean" eventually 10 alliancectl audit "$T/acme" --against "$T/globex" --against "$T/initech"
contains "the audit reports the violation" "$(alliancectl audit "$T/initech")" "VIOLATION globex/"
check "...in its JSON too" test "$(alliancectl audit "$T/initech" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["violations"]))')" -ge 1

# --- a miss: a promise recorded with a due time long past (its grace too)
m1=$(alliancectl "${I[@]}" commit "the overdue report" --to acme --due -5d --past --value 100)
check "initech's promise $m1 is missed in every home" eventually 10 everywhere missed "$m1"
fails "...and can no longer be delivered" alliancectl "${I[@]}" deliver "$m1"
contains "...saying why" "$(alliancectl "${I[@]}" deliver "$m1" 2>&1)" "was missed"

# --- trust: the same table everywhere, and the audit recomputes it
asof=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
tj() { alliancectl trust -H "$T/$1" --as-of "$asof" --json; }
same_trust() { same_output --rows tj {} -- acme globex initech; }
check "trust --as-of T --json is byte-identical in the three homes" eventually 10 same_trust
check "audit --as-of T recomputes the same trust table" same_as --rows audit_trust "$T/initech" --as-of "$asof" -- trust_table "$T/acme" --as-of "$asof"
score() { tj acme | python3 -c "import json,sys; print([r['trust'] for r in json.load(sys.stdin) if r['partner']=='$1'][0])"; }
check "acme, who delivered on time and was confirmed, is trusted more than globex, whose delivery was disputed" python3 -c "import sys; sys.exit(not $(score acme) > 0.5 > $(score globex))"
check "acme (confirmed) is trusted more than initech (missed)" python3 -c "import sys; sys.exit(not $(score acme) > 0.5 > $(score initech))"
missed_count() { tj "$1" | python3 -c "import json,sys; print([r['missed'] for r in json.load(sys.stdin) if r['partner']=='initech'][0])"; }
check "every home counts initech's miss" test "$(missed_count acme)$(missed_count globex)$(missed_count initech)" = 111
contains "trust acme explains the evidence" "$(alliancectl trust acme -H "$T/globex" --as-of "$asof")" "on-time"
contains "...and the value exchanged per partner" "$(alliancectl trust acme -H "$T/globex" --as-of "$asof")" "with globex"
contains "trust NAME --json lists evidence with weight, age and decay" "$(alliancectl trust globex -H "$T/acme" --json)" '"decay"'
fails "trust of a stranger is refused" alliancectl trust nobody -H "$T/acme"
contains "...naming the members" "$(alliancectl trust nobody -H "$T/acme" 2>&1)" "members: acme"
check "alliancectl trust --help" alliancectl trust --help

# --- amendments: new trust parameters at the charter's quorum (2 of 3)
before=$(score globex)
prop=$(alliancectl "${A[@]}" amend --param w_disputed=3000 --reason "disputes should weigh more")
check "acme proposes a heavier weight for disputes ($prop)" is_id "$prop" acme
check "...one member is not the quorum: nothing changes" test "$(score globex)" = "$before"
fails "an unknown parameter is refused" alliancectl "${A[@]}" amend --param w_bogus=1
contains "...naming it and the keys" "$(alliancectl "${A[@]}" amend --param w_bogus=1 2>&1)" "unknown --param 'w_bogus=1'"
fails "insane parameters are refused" alliancectl "${A[@]}" amend --param half_life=0
fails "approving one's own proposal again is refused" alliancectl "${A[@]}" amend --approve "$prop"
fails "approving a message that is not an amendment is refused" alliancectl "${I[@]}" amend --approve "$c1"
check "initech approves it" eventually 10 alliancectl "${I[@]}" amend --approve "$prop"
lower() { python3 -c "import sys; sys.exit(not $(score globex) < $before)"; }
check "...in effect at the quorum: globex's upheld dispute now weighs more in every home" eventually 10 lower
check "...and the homes still agree" eventually 10 same_trust

for v in accept decline deliver confirm dispute release escalate resolve feedback task amend; do check "alliancectl $v --help" alliancectl "$v" --help; done
finish
