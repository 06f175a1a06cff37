#!/usr/bin/env bash
# A member's own feed signed elsewhere (a leaked key, a second copy of the
# home run meanwhile, a rolled-back home), and Haves that lie about it:
# - after any restart, authoring waits for a peer's Have;
# - a peer holding more of our feed than a clean stop left us is proof
#   that our key signed what this home did not: authoring stops for good,
#   said in status, status --check and the log, and no fork is ever signed;
# - a peer refusing a chain is not fed it in a loop, and the refusals are
#   logged a few times with counts, not once each;
# - a Have claiming our feed is far ahead holds nothing once the claimant
#   fails to send the messages, and is counted against it.
. "$(dirname "$0")/../lib.sh"
peerprobe() { "$ROOT/$BUILD/tests/peerprobe" "$@"; }
STOPPED="this member's key signed a chain this home does not hold: key compromise or a rolled-back home; see docs/operations.md"

start_alliance acme globex initech || { not_ok "three daemons joined and authoring"; finish; }
authoring() { jq_status "$1" "a['authoring']"; }
equivocations() { jq_status "$1" "a['equivocations']"; }
rejected() { jq_status "$1" "sum(v for k,v in a['counters'].items() if k not in ('accept','duplicate'))"; }
# twin HOME: a copy of acme's home (same keys, same endpoint), as a second
# copy run elsewhere while acme is down would be.
twin() {
	rm -rf "$1"; cp -a "$T/acme" "$1"
	rm -f "$1"/alliances/*/own-fork
}

for i in 1 2; do alliancectl -H "$T/acme" commit "job $i" --to globex --due +7d >/dev/null; done
check "acme's first two reach everyone" eventually 10 holds 2 acme globex initech

# --- 1. any restart waits for a peer, even after a clean stop
stop_daemon acme
stop_daemon globex; stop_daemon initech
start_daemon acme
check "after a clean stop, with its peers down, acme does not author alone" test "$(authoring acme)" != open
out=$(alliancectl -H "$T/acme" commit alone --to globex --due +1d 2>&1)
contains "...and commit says why" "$out" "no peer has confirmed it yet"
stop_daemon acme
check "a clean stop that never heard a peer still leaves a clean mark" test -s "$(ls "$T"/acme/alliances/*/clean)"
start_daemon globex; start_daemon initech
start_daemon acme
check "once a peer answers, acme authors" eventually 15 authoring_open acme

# --- the operator may let a home author alone after a while
stop_daemon acme; stop_daemon globex; stop_daemon initech
printf 'author_alone_after = 1\n' >>"$T/acme/allianced.conf"
start_daemon acme
check "with author_alone_after = 1 and no peer, acme authors alone after 1 s" eventually 10 authoring_open acme
check "...and says so in its log" grep -q "no peer answered in 1 s: authoring alone" "$T/acme.log"
sed -i '/^author_alone_after/d' "$T/acme/allianced.conf"
printf 'author_alone_after = 1e400\n' >>"$T/acme/allianced.conf"
stop_daemon acme
fails "a bad author_alone_after is refused at start" allianced check "$T/acme"
contains "...naming the value" "$(allianced check "$T/acme" 2>&1)" "bad author_alone_after '1e400'"
sed -i '/^author_alone_after/d' "$T/acme/allianced.conf"
start_daemon globex; start_daemon initech; start_daemon acme
check "acme authors with its peers back" eventually 15 authoring_open acme
alliancectl -H "$T/acme" commit "job 3" --to globex --due +7d >/dev/null
head=$(seq_in acme acme)
check "everyone holds acme's feed to $head" eventually 10 holds "$head" acme globex initech

# --- a twin extends acme's feed while acme is down (cleanly)
stop_daemon acme
twin "$T/acme2"
start_daemon acme2 "$T/acme2"
check "the twin authors once its peers confirm the head" eventually 15 authoring_open acme2
tw=$(alliancectl -H "$T/acme2" commit "signed by the twin" --to globex --due +7d)
check "the twin's message ($tw) reaches globex and initech" eventually 10 holds "${tw#*/}" acme globex initech
stop_daemon acme2
: >"$T/acme.log"
start_daemon acme
out=$(alliancectl -H "$T/acme" commit "at once" --to globex --due +7d 2>&1)
check "acme, back after a clean stop, does not sign at once ($out)" test "${out#acme/}" = "$out"
check "acme, back after a clean stop, stops authoring for good" eventually 15 status_true acme "a['authoring_stopped']"
check "...having signed nothing at ${tw#*/} (no equivocation at globex)" test "$(equivocations globex)" = 0
check "...nor at initech" test "$(equivocations initech)" = 0
contains "status says why" "$(alliancectl -H "$T/acme" status)" "$STOPPED"
out=$(alliancectl -H "$T/acme" status --check 2>&1); rc=$?
check "status --check fails" test "$rc" -ne 0
contains "...saying why" "$out" "$STOPPED"
contains "commit is refused, saying why" "$(alliancectl -H "$T/acme" commit late --to globex --due +1d 2>&1)" "$STOPPED"
check "the log says why" grep -qF "$STOPPED" "$T/acme.log"
stop_daemon acme
start_daemon acme
check "the stop outlives a restart" status_true acme "a['authoring_stopped']"
check "...and a clean one leaves no clean mark to vouch for the head" test -z "$(ls "$T"/acme/alliances/*/clean 2>/dev/null)"
stop_daemon acme

# --- a true fork: the twin signed a message only globex holds, acme signs
# its own at that sequence number for initech (with author_alone_after it
# can: the operator allowed it), then meets globex.
rm -f "$T"/acme/alliances/*/own-fork
stop_daemon globex; stop_daemon initech
for n in acme globex initech; do cp -a "$T/$n" "$T/$n.before"; done
twin "$T/acme3"
start_daemon globex; start_daemon acme3 "$T/acme3"
check "a second twin authors" eventually 15 authoring_open acme3
f1=$(alliancectl -H "$T/acme3" commit "only globex hears this" --to globex --due +7d)
for i in $(seq 2000); do printf '{"what": "and this %d", "to": ["globex"], "due": "+7d"}\n' "$i"; done >"$T/more.jsonl"
f3=$(alliancectl -H "$T/acme3" commit --batch "$T/more.jsonl" | tail -n 1)
check "globex holds $f1 and 2000 after it, to $f3" eventually 20 holds "${f3#*/}" acme globex
stop_daemon acme3; stop_daemon globex
start_daemon initech; start_daemon acme
check "acme, hearing only initech, authors" eventually 15 authoring_open acme
f2=$(alliancectl -H "$T/acme" commit "initech hears this" --to initech --due +7d)
check "acme signs $f2 at the sequence number of $f1" test "${f2#*/}" = "${f1#*/}"
check "initech holds it" eventually 10 holds "${f2#*/}" acme initech
start_daemon globex
check "when globex comes back, acme stops authoring for good" eventually 15 status_true acme "a['authoring_stopped']"
# The proof is whichever reaches acme first: globex's Have, its acme/N
# itself, or the message after it (chained to globex's acme/N, not acme's).
check "...naming globex's other message" grep -qE "globex (holds a different|sent a) acme/${f1#*/}\b|globex sent a acme/[0-9]+ that follows another acme/${f1#*/}\b" "$T/acme.log"
r0=$(rejected acme); sleep 6; r1=$(rejected acme)
check "globex backs off from resending the chain acme refuses ($((r1 - r0)) rejected in 6 s)" test $((r1 - r0)) -le 40
n=$(grep -c "rejected from globex" "$T/acme.log")
check "acme logs those refusals a few times, with counts ($n lines)" test "$n" -le 6
check "...acme keeps the proof of its key's two messages" eventually 10 status_true acme "a['equivocations'] >= 1"
check "...and so does initech" eventually 10 status_true initech "a['equivocations'] >= 1"
for n in acme globex initech; do stop_daemon "$n"; done

# --- 2. a lying Have: globex's daemon is gone, someone with its transport
# key claims acme's feed is at 10^6, again and again.
for n in acme globex initech; do rm -rf "${T:?}/$n"; cp -a "$T/$n.before" "$T/$n"; done
rm -f "$T"/acme/alliances/*/own-fork "$T"/acme/alliances/*/clean
start_daemon initech; start_daemon acme
check "acme authors (initech answers)" eventually 15 authoring_open acme
id=$(jq_status acme "a['id']")
peerprobe "$T/acme.card" --as "$T/globex" --have "$id" "$T/acme.card" 1000000 --repeat 40 >/dev/null &
liar=$!
check "a claim that acme's feed is at 1000000 is asked about" eventually 5 grep -q "globex claims to hold acme's feed up to 1000000" "$T/acme.log"
c=$(alliancectl -H "$T/acme" commit "despite the liar" --to initech --due +7d 2>&1)
check "...and does not hold commit ($c)" grep -qE '^acme/[0-9]+$' <<<"$c"
check "the unbacked claim is counted against globex" eventually 15 status_true acme "[l['unbacked_claims'] for l in a['links'] if l['member']=='globex'][0] >= 1"
contains "...and shown as a rejection" "$(alliancectl -H "$T/acme" status --json)" "unbacked-claim"
stop_daemon acme
start_daemon acme
check "after a restart under the liar's claims, acme authors within the claim window" eventually 20 authoring_open acme
kill "$liar" 2>/dev/null; wait "$liar" 2>/dev/null
finish
