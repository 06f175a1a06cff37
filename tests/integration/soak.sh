#!/usr/bin/env bash
# soak: three partners' daemons under a random workload for SOAK_SECONDS
# (25 in make test, 600 in make soak; SOAK_SEED repeats a run): commitments
# and every step of their lives, feedback, a fourth firm joining halfway,
# daemons killed with SIGKILL and restarted, daemons frozen (SIGSTOP) for a
# few seconds as a partition would, two parties stepping on one commitment
# at the same moment. All through alliancectl, as users do;
# a refused step (a race with a partner, a daemon frozen) is fine as long
# as it is a clean error. At the end: no daemon died on its own, every
# acknowledged message is in every log, the logs audit clean against each
# other, nobody broke a rule, and every home computes the same trust table.
. "$(dirname "$0")/../lib.sh"
DUR=${SOAK_SECONDS:-25}
SEED=${SOAK_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$SEED
echo "# soak: seed $SEED, $DUR s (SOAK_SEED=$SEED repeats this run)"
export ALLIANCE_TIMEOUT=3
# Every group commit compares the ledger kept as messages came with a full
# replay of the log; a difference stops that daemon (and fails the soak).
export ALLIANCE_LEDGER_CHECK=1

start_alliance acme globex initech || { not_ok "three daemons joined and authoring"; for f in "$T"/*.log; do sed 's/^/#   /' "$f"; done; finish; }
ok "three daemons joined and authoring"
ALL=(acme globex initech)
declare -A state=()   # name -> "" running, "killed", "frozen"
pid_of() { eval echo "\$PID_$1"; }
running() { local n; for n in "${ALL[@]}"; do [ -z "${state[$n]:-}" ] && echo "$n"; done; }
pick() { [ $# -gt 0 ] && echo "${@:$((RANDOM % $# + 1)):1}"; }
acked() { is_id "$1" >/dev/null && echo "$1" >>"$T/acked"; }
# resume [NAME...]: restart the killed and thaw the frozen (all, by default).
resume() {
	local n
	for n in "${@:-${ALL[@]}}"; do
		case ${state[$n]:-} in
		killed) start_daemon "$n" || not_ok "$n restarts after SIGKILL" ;;
		frozen) kill -CONT "$(pid_of "$n")" ;;
		*) continue ;;
		esac
		state[$n]=
	done
}

# One step of some commitment's life by member $1, as the rules allow it
# from where $1 stands (its own home's view: a partner may have moved on).
act_on_commitment() {
	local who=$1 line id verb
	line=$(alliancectl -H "$T/$who" commitments --json 2>/dev/null | python3 -c "
import json, random, sys
random.seed($RANDOM)
me = '$who'
steps = []
for c in json.load(sys.stdin):
    s, mine, mine_to = c['state'], c['promisor'] == me, me in c['to']
    if mine and s in ('proposed', 'accepted', 'overdue'): steps.append((c['id'], 'deliver'))
    if mine and s == 'proposed': steps.append((c['id'], 'release'))
    if mine_to and s == 'proposed': steps += [(c['id'], 'accept'), (c['id'], 'accept'), (c['id'], 'decline')]
    if mine_to and s == 'delivered': steps += [(c['id'], 'confirm'), (c['id'], 'confirm'), (c['id'], 'dispute')]
if steps: print(*random.choice(steps))
") || return 0
	[ -n "$line" ] || return 0
	read -r id verb <<<"$line"
	case $verb in
	confirm) out=$(alliancectl -H "$T/$who" confirm "$id" --rating $((RANDOM % 5 + 1)) 2>&1) ;;
	dispute) out=$(alliancectl -H "$T/$who" dispute "$id" --reason "not as agreed" 2>&1) ;;
	deliver) out=$(alliancectl -H "$T/$who" deliver "$id" --note "done" 2>&1) ;;
	*) out=$(alliancectl -H "$T/$who" "$verb" "$id" 2>&1) ;;
	esac && acked "$out"
	steps=$((steps + 1))
}

# Two parties of one commitment step at the same moment, each from its own
# home's view (an acceptance and a withdrawal, two verdicts, a release and a
# delivery): the ledger must call it a race, never a violation.
race_on_commitment() {
	local who=$1 lines a verb id pids=()
	lines=$(alliancectl -H "$T/$who" commitments --json 2>/dev/null | python3 -c "
import json, random, sys
random.seed($RANDOM)
live = '${up[*]}'.split()
options = []
for c in json.load(sys.stdin):
    s, p, to = c['state'], c['promisor'], [b for b in c['to'] if b in live]
    if p not in live: continue
    if s == 'proposed' and to: options.append([(p, 'release', c['id'])] + [(b, random.choice(['accept', 'decline']), c['id']) for b in to])
    if s == 'accepted' and to: options.append([(p, 'deliver', c['id']), (random.choice(to), 'release', c['id'])])
    if s == 'delivered' and len(to) > 1: options.append([(b, random.choice(['confirm', 'dispute']), c['id']) for b in to])
if options:
    for step in random.choice(options): print(*step)
") || return 0
	while read -r a verb id; do
		[ -n "$a" ] || continue
		case $verb in
		confirm) alliancectl -H "$T/$a" confirm "$id" --rating 3 ;;
		dispute) alliancectl -H "$T/$a" dispute "$id" --reason "raced" ;;
		*) alliancectl -H "$T/$a" "$verb" "$id" ;;
		esac >>"$T/raced" 2>&1 &
		pids+=($!)
	done <<<"$lines"
	[ ${#pids[@]} -gt 0 ] && wait "${pids[@]}"
	races=$((races + 1))
}

steps=0 kills=0 freezes=0 joined=0 races=0
deadline=$((SECONDS + DUR))
while [ $SECONDS -lt $deadline ]; do
	for n in "${ALL[@]}"; do
		if [ -z "${state[$n]:-}" ] && ! kill -0 "$(pid_of "$n")" 2>/dev/null; then
			not_ok "$n's daemon died on its own"; sed 's/^/#   /' "$T/$n.log" | tail -20; state[$n]=dead
		fi
	done
	mapfile -t up < <(running)
	[ ${#up[@]} -gt 0 ] || { not_ok "no daemon left running"; break; }
	who=$(pick "${up[@]}")
	others=(); for n in "${ALL[@]}"; do [ "$n" != "$who" ] && others+=("$n"); done
	r=$((RANDOM % 100))
	if [ $r -lt 35 ]; then
		to=$(pick "${others[@]}"); [ $((RANDOM % 4)) -eq 0 ] && to="$to,$(pick "${others[@]}")"
		out=$(alliancectl -H "$T/$who" commit "soak $steps" --to "$to" --due "+$((RANDOM % 40 + 2))s" --value $((RANDOM % 500)) 2>&1) && acked "$out"
		steps=$((steps + 1))
	elif [ $r -lt 72 ]; then
		act_on_commitment "$who"
	elif [ $r -lt 80 ]; then
		race_on_commitment "$who"
	elif [ $r -lt 85 ]; then
		out=$(alliancectl -H "$T/$who" feedback "$(pick "${others[@]}")" --rating $((RANDOM % 5 + 1)) 2>&1) && acked "$out"
	elif [ $r -lt 89 ] && [ ${#up[@]} -ge 2 ]; then
		kill -KILL "$(pid_of "$who")"; wait "$(pid_of "$who")" 2>/dev/null; state[$who]=killed; kills=$((kills + 1))
	elif [ $r -lt 92 ] && [ ${#up[@]} -ge 2 ]; then
		kill -STOP "$(pid_of "$who")"; state[$who]=frozen; freezes=$((freezes + 1))
	else
		resume
	fi
	# Halfway, a fourth firm joins by amendment (with every daemon up).
	if [ $joined -eq 0 ] && [ $SECONDS -ge $((deadline - DUR / 2)) ]; then
		resume
		init_partners delta && start_daemon delta && alliancectl join "$T/charter" -H "$T/delta" >/dev/null
		for n in acme globex initech; do eventually 20 authoring_open "$n" >/dev/null; done
		p=$(alliancectl -H "$T/acme" amend --add "$(cat "$T/delta.card")") && acked "$p"
		eventually 20 holds "${p#*/}" acme globex >/dev/null
		a=$(alliancectl -H "$T/globex" amend --approve "$p") && acked "$a"
		if eventually 30 authoring_open delta >/dev/null; then ok "delta joined halfway ($p, $a)"; else not_ok "delta joined halfway"; fi
		ALL+=(delta)
		joined=1
	fi
done

# Everyone back up, then the invariants.
resume
grep -E '^[a-z]+/[0-9]+$' "$T/raced" 2>/dev/null >>"$T/acked"
echo "# $steps steps, $races races, $kills SIGKILLs, $freezes freezes, $(wc -l <"$T/acked") acknowledged messages"
heads() { jq_status "$1" "sorted((m['name'], m['seq']) for m in a['members'])"; }
converged() { same_output --rows heads {} -- "${ALL[@]}"; }
check "every daemon holds the same log in the end" eventually 60 converged
# A feed is a chain: holding an author's message n means holding 1..n.
all_acked() {
	local author seq
	awk -F/ '$2 > m[$1] { m[$1] = $2 } END { for (a in m) print a, m[a] }' "$T/acked" |
		while read -r author seq; do holds "$seq" "$author" "${ALL[@]}" || exit 1; done
}
check "every acknowledged message is in every log" all_acked
args=(); for n in "${ALL[@]:1}"; do args+=(--against "$T/$n"); done
when=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
aud=$(alliancectl audit "$T/acme" "${args[@]}" --as-of "$when" --json)
check "the logs audit clean against each other" python3 -c "import json,sys; sys.exit(0 if json.load(sys.stdin)['ok'] else 1)" <<<"$aud"
if ! viol=$(python3 -c "import json,sys; print('\n'.join(v['id'] + ': ' + v['rule'] for v in json.load(sys.stdin)['violations']))" <<<"$aud"); then
	not_ok "nobody broke a rule: the audit printed no JSON to read"
elif [ -z "$viol" ]; then ok "nobody broke a rule"; else not_ok "nobody broke a rule:"; sed 's/^/#   /' <<<"$viol"; fi
check "every home computes the same trust table" same_output --rows alliancectl -H "$T/{}" trust --as-of "$when" --json -- "${ALL[@]}"
check "...and so does the audit" same_as --rows audit_trust "$T/acme" "${args[@]}" --as-of "$when" -- trust_table "$T/acme" --as-of "$when"
for n in "${ALL[@]}"; do check "$n stops cleanly" stop_daemon "$n"; done
finish
