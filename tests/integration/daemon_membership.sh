#!/usr/bin/env bash
# Members join and leave by amendment at the charter's quorum, across five
# real daemons driven only through alliancectl: a newcomer's firm joins
# with the founders' charter and waits; a member proposes it, another
# approves; the newcomer is linked, receives the log and acts; a member is
# removed and can act no more; every daemon and the audit agree.
. "$(dirname "$0")/../lib.sh"

start_alliance acme globex initech || { not_ok "three founders joined and authoring"; for f in "$T"/*.log; do sed 's/^/#   /' "$f"; done; finish; }
ok "three founders joined and authoring (quorum 2 of 3)"
standing() { jq_status "$1" "[m['standing'] for m in a['members'] if m['name']=='$2'][0]"; }
# standing_is WANT MEMBER HOME...: every HOME gives MEMBER that standing (for eventually).
standing_is() { local want=$1 m=$2 h; shift 2; for h in "$@"; do [ "$(standing "$h" "$m")" = "$want" ] || return 1; done; }

# --- a newcomer waits
init_partners delta
check "the newcomer's daemon starts" start_daemon delta
out=$(alliancectl join "$T/charter" -H "$T/delta" 2>&1)
contains "it joins the founders' charter as a newcomer" "$out" "as a newcomer"
contains "...and is not a member yet" "$(jq_status delta "a['authoring']")" "not a member yet"
out=$(alliancectl -H "$T/delta" commit "too early" --to acme --due +7d 2>&1)
contains "a newcomer cannot commit before it is admitted" "$out" "'delta' is not a member yet"
fails "...and its CLI says so with a non-zero exit" alliancectl -H "$T/delta" commit "too early" --to acme --due +7d

# --- bad proposals are refused with a reason, and change nothing
out=$(alliancectl -H "$T/acme" amend --add "not a card" 2>&1)
contains "a malformed card is refused" "$out" "--add:"
out=$(alliancectl -H "$T/acme" amend --add "$(cat "$T/globex.card")" 2>&1)
contains "a member cannot be added twice" "$out" "'globex' is already a member"
out=$(alliancectl -H "$T/acme" amend --remove nobody 2>&1)
contains "removing a non-member names the members" "$out" "no member named 'nobody'"
out=$(alliancectl -H "$T/acme" amend --add "$(cat "$T/delta.card")" --remove initech 2>&1)
contains "one change per amendment" "$out" "give one of"

# --- proposed, approved, admitted
prop=$(alliancectl -H "$T/acme" amend --add "$(cat "$T/delta.card")" --reason "delta brings logistics")
check "acme proposes adding delta ($prop)" is_id "$prop" acme
check "globex holds the proposal" eventually 10 holds "${prop#*/}" acme globex
out=$(alliancectl -H "$T/globex" amend --add "$(cat "$T/delta.card")" 2>&1)
contains "proposing the same card again points to the pending proposal" "$out" "$prop is already proposed"

# Not sleep: once every founder holds the proposal, it would have admitted
# delta on it; none may.
check "initech holds the proposal too" eventually 10 holds "${prop#*/}" acme initech
not_admitted() { local h; for h in "$@"; do status_true "$h" "not [m for m in a['members'] if m['name']=='delta' and m['standing'] in ('founder', 'joined')]" || return 1; done; }
check "one proposal short of the quorum admits no one: no founder counts delta a member" not_admitted acme globex initech
contains "...and delta is not a member yet" "$(jq_status delta "a['authoring']")" "not a member yet"
check "globex approves it" alliancectl -H "$T/globex" amend --approve "$prop"
check "every founder lists delta as joined" eventually 10 standing_is joined delta acme globex initech
check "delta learns it is admitted and may author" eventually 20 authoring_open delta
d1=$(alliancectl -H "$T/delta" commit "delta's first" --to acme --due +7d --value 300)
check "delta commits ($d1)" is_id "$d1" delta
check "...and it reaches all three founders" eventually 10 holds "${d1#*/}" delta acme globex initech
c1=$(alliancectl -H "$T/initech" commit "for the newcomer" --to delta --due +7d --value 100)
check "initech commits to delta ($c1)" is_id "$c1" initech
check "...delta receives it" eventually 10 holds "${c1#*/}" initech delta
check "delta accepts it" eventually 5 alliancectl -H "$T/delta" accept "$c1"
check "delta holds the whole log: every founder's feed" eventually 10 holds "$(seq_in acme acme)" acme delta
check "delta's link to acme is up" eventually 10 status_true delta "[l['state'] for l in a['links'] if l['member']=='acme'][0] == 'up'"

# --- a newcomer approved before its daemon even joins
init_partners echo
pe=$(alliancectl -H "$T/acme" amend --add "$(cat "$T/echo.card")")
check "delta holds acme's proposal to add echo" eventually 10 holds "${pe#*/}" acme delta
check "delta, a member now, approves it" alliancectl -H "$T/delta" amend --approve "$pe"
check "acme lists echo as joined before echo's daemon runs" eventually 10 standing_is joined echo acme
check "echo's daemon starts" start_daemon echo
check "echo joins the founders' charter" alliancectl join "$T/charter" -H "$T/echo"
check "echo learns it is admitted and may author" eventually 20 authoring_open echo
e1=$(alliancectl -H "$T/echo" commit "echo's first" --to delta --due +7d)
check "echo commits ($e1), and delta receives it" eventually 10 holds "${e1#*/}" echo delta

# --- a member removed
out=$(alliancectl -H "$T/globex" amend --remove initech --reason "left the market")
rm_id=$out
check "globex proposes removing initech ($rm_id)" is_id "$rm_id" globex
check "delta holds the proposal" eventually 10 holds "${rm_id#*/}" globex delta
check "delta, a member now, approves it" alliancectl -H "$T/delta" amend --approve "$rm_id"
check "acme sees initech as left" eventually 10 standing_is left initech acme
check "initech learns it has left" eventually 10 standing_is left initech initech
out=$(alliancectl -H "$T/initech" commit "after leaving" --to acme --due +7d 2>&1)
contains "initech can no longer commit" "$out" "'initech' has left the alliance"
out=$(alliancectl -H "$T/acme" commit "to a former member" --to initech --due +7d 2>&1)
contains "no one can commit to a former member" "$out" "'initech' has left the alliance"
contains "initech's status says authoring is closed" "$(jq_status initech "a['authoring']")" "left"

# --- everyone agrees: trust, violations, audit
alliancectl -H "$T/acme" commit "sync point" --to globex --due +7d >/dev/null
for h in globex delta; do check "the sync point reaches $h" eventually 10 holds "$(seq_in acme acme)" acme "$h"; done
check "initech, gone, is not sent what was signed after it left" test "$(seq_in initech acme)" -lt "$(seq_in acme acme)"
check "delta's acceptance reaches acme and globex" eventually 10 holds "$(seq_in delta delta)" delta acme globex
when=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
ta=$(alliancectl -H "$T/acme" trust --as-of "$when" --json)
check "globex and delta print the same trust table as acme" same_output --rows alliancectl -H "$T/{}" trust --as-of "$when" --json -- acme globex delta
contains "the table lists the newcomer after the founders" "$(python3 -c "import json,sys; print(','.join(r['partner'] for r in json.load(sys.stdin)))" <<<"$ta")" "acme,globex,initech,delta"
aud=$(alliancectl audit "$T/delta" --against "$T/acme" --against "$T/globex" --as-of "$when" --json)
check "the audit of delta's log against acme's and globex's is clean" python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['ok'] and not d['violations'] else 1)" <<<"$aud"
check "...and recomputes the same trust table" same_as --rows audit_trust "$T/delta" --against "$T/acme" --against "$T/globex" --as-of "$when" -- trust_table "$T/acme" --as-of "$when"
check "no daemon counted a bad message (gaps and not-yet-known authors aside)" bash -c "for h in acme globex delta; do ALLIANCE_HOME=$T/\$h alliancectl status --json | python3 -c \"import json,sys; a=json.load(sys.stdin)['alliances'][0]; c=a['counters']; sys.exit(1 if sum(v for k,v in c.items() if k not in ('accepted','duplicate','out-of-order','unknown-author')) else 0)\" || exit 1; done"

# --- membership survives a restart
check "delta stops cleanly" stop_daemon delta
check "delta restarts" start_daemon delta
check "...still a member, authoring" eventually 20 authoring_open delta
check "...and initech still left" test "$(standing delta initech)" = left
d2=$(alliancectl -H "$T/delta" commit "after the restart" --to globex --due +7d)
check "delta continues its feed ($d2)" test "$d2" = "delta/$(( $(seq_in delta delta) ))"
for n in acme globex initech delta echo; do check "$n stops cleanly" stop_daemon "$n"; done
finish
