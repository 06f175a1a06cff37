#!/usr/bin/env bash
# Endpoints and keys change by signed message, history kept:
# 'amend --endpoint' (a member moves, alone, at once; peers dial it there)
# and 'amend --replace CARD' (new keys at the quorum; the member keeps its
# name, its evidence and its trust row; the old keys sign nothing more).
. "$(dirname "$0")/../lib.sh"
# Every group commit compares the ledger kept as messages came with a full
# replay of the log (a difference stops the daemon): moves and new keys too.
export ALLIANCE_LEDGER_CHECK=1

start_alliance acme globex initech || { not_ok "three daemons start"; finish; }
endpoint_in() { jq_status "$1" "[m['endpoint'] for m in a['members'] if m['name']=='$2' and m['standing']!='replaced'][0]"; }
link_up() { [ "$(jq_status "$1" "[l['state'] for l in a['links'] if l['member']=='$2'][0]")" = up ]; }
rows() { alliancectl -H "$T/$1" trust --json | python3 -c "import json,sys; print(sum(1 for r in json.load(sys.stdin) if r['partner']=='$2'))"; }
fulfilled() { alliancectl -H "$T/$1" trust --json | python3 -c "import json,sys; print([r['fulfilled'] for r in json.load(sys.stdin) if r['partner']=='$2'][0])"; }

# Evidence for initech under its first keys.
c1=$(alliancectl -H "$T/initech" commit "first batch" --to acme --due +2d --value 100)
c2=$(alliancectl -H "$T/initech" commit "second batch" --to acme --due +3d --value 100)
check "initech promises twice ($c1, $c2)" test "$c1" = initech/1 -a "$c2" = initech/2
check "acme holds both" eventually 10 holds 2 initech acme
alliancectl -H "$T/acme" accept "$c1" >/dev/null && alliancectl -H "$T/acme" accept "$c2" >/dev/null
alliancectl -H "$T/initech" deliver "$c1" --note done >/dev/null
check "acme sees the delivery" eventually 10 holds 3 initech acme
check "acme confirms $c1" alliancectl -H "$T/acme" confirm "$c1" --rating 5

# --- a member moves its endpoint, alone and at once
rebuilds() { jq_status "$1" "a['ledger']['rebuilds']"; }
rb_acme=$(rebuilds acme) rb_globex=$(rebuilds globex)
old_ep=$(endpoint_in acme globex)
new_port=$(free_port)
new_ep="tcp://127.0.0.1:$new_port"
fails "--endpoint refuses a wildcard" alliancectl -H "$T/globex" amend --endpoint "tcp://0.0.0.0:$new_port"
out=$(alliancectl -H "$T/globex" amend --endpoint "tcp://0.0.0.0:$new_port" 2>&1)
contains "...naming --advertise" "$out" "--advertise"
mv_id=$(alliancectl -H "$T/globex" amend --endpoint "$new_ep" --reason "new server")
check "globex moves its endpoint ($mv_id), signed by it alone" is_id "$mv_id" globex
ep_is() { [ "$(endpoint_in "$1" "$2")" = "$3" ]; }
check "acme holds globex's new endpoint at once" eventually 10 ep_is acme globex "$new_ep"
check "...and initech" eventually 10 ep_is initech globex "$new_ep"
# An endpoint is nothing the ledger judges: it replays the move itself.
check "acme's ledger takes the move as it comes: not rebuilt from the log ($rb_acme rebuilds)" test "$(rebuilds acme)" = "$rb_acme"
check "...nor globex's, which signed it ($rb_globex)" test "$(rebuilds globex)" = "$rb_globex"
check "acme dials it there" eventually 10 grep -q "globex moved its endpoint from $old_ep to $new_ep" "$T/acme.log"
contains "the log says what it did" "$(alliancectl -H "$T/acme" log | grep "$mv_id")" "moves its endpoint to $new_ep"
# A log file with no charter beside it names authors by key: its amendments
# are shown, never applied to members it does not know.
mkdir -p "$T/bare" && cp "$(ls -d "$T"/acme/alliances/*)/log" "$T/bare/log"
out=$(alliancectl log "$T/bare/log" 2>&1)
contains "a bare log without its charter is printed, the move included" "$out" "moves its endpoint to $new_ep"
# globex restarts on the new port, but forgets advertise: the daemon warns.
stop_daemon globex
sed -i "s|^listen = .*|listen = $new_ep|" "$T/globex/allianced.conf"
start_daemon globex
check "a card endpoint that differs from the alliance's is warned about at start" eventually 5 grep -q "the alliance holds this member's endpoint as $new_ep, but advertise" "$T/globex.log"
check "the links to globex come back at the new endpoint" eventually 20 link_up acme globex
check "...both ways" eventually 20 link_up globex initech
stop_daemon globex
sed -i "s|^advertise = .*|advertise = $new_ep|" "$T/globex/allianced.conf"
: >"$T/globex.log"
start_daemon globex
# The check of the endpoint comes before the "running" line (daemon.c).
check "with advertise set, no warning" bash -c "grep -q 'running: home' '$T/globex.log' && ! grep -q 'the alliance holds this member' '$T/globex.log'"
check "links up again" eventually 20 link_up initech globex
check "...and globex authors once a peer confirms its head" eventually 15 authoring_open globex
gx=$(alliancectl -H "$T/globex" commit "after the move" --to acme,initech --due +2d)
check "a commitment from the moved member replicates ($gx)" eventually 10 holds "${gx#globex/}" globex acme initech
dialled() { [ "$(jq_status "$1" "[l['endpoint'] for l in a['links'] if l['member']=='$2'][0]")" = "$3" ]; }
check "acme's link to globex dials the new endpoint, not $old_ep" dialled acme globex "$new_ep"
check "...and initech's" dialled initech globex "$new_ep"

# --- initech's keys are replaced (say, stolen): a new home, same name
allianced init "$T/initech2" --name initech --listen "tcp://127.0.0.1:$(free_port)" >"$T/initech2.init"
card2=$(tail -n 1 "$T/initech2.init")
fails "a replacement must keep the member's name" alliancectl -H "$T/acme" amend --replace "${card2/initech:/initechx:}"
fails "...and have new keys" alliancectl -H "$T/acme" amend --replace "$(cat "$T/initech.card")"
alliancectl -H "$T/acme" amend --replace "$(cat "$T/initech.card")" 2>"$T/err"
contains "...saying so" "$(cat "$T/err")" "new keys"
rp=$(alliancectl -H "$T/acme" amend --replace "$card2" --reason "initech's key was stolen")
check "acme proposes initech's new keys ($rp)" is_id "$rp" acme
fails "a second replacement of the same keys while one waits is refused" alliancectl -H "$T/globex" amend --replace "$card2"
start_daemon initech2
out=$(alliancectl join "$T/charter" -H "$T/initech2")
check "the new home joins the founders' charter, waiting" test $? -eq 0
contains "...as initech's new keys, saying it waits for amend --replace" "$out" "with new keys for member 'initech'"
check "...a candidate until then" status_true initech2 "a['standing']=='candidate'"
check "globex holds the proposal" eventually 10 holds "${rp#acme/}" acme globex
check "globex approves: 2 of 3, in effect" alliancectl -H "$T/globex" amend --approve "$rp"
check "the new home may act" eventually 20 authoring_open initech2
check "the old home's authoring is closed" eventually 10 status_true initech "'replaced' in a['authoring']"
out=$(alliancectl -H "$T/initech" commit "from the old keys" --to acme --due +2d 2>&1)
check "the old keys sign nothing more" test $? -ne 0
contains "...saying they were replaced" "$out" "were replaced"
n1=$(alliancectl -H "$T/initech2" commit "from the new keys" --to acme --due +2d --value 50)
check "the new keys' ids read initech@2/N ($n1)" is_id "$n1" initech@2   # N may follow a receipt
fails "the old keys cannot approve their own replacement (they vote by proposing it)" alliancectl -H "$T/initech" amend --approve "$rp"
check "acme holds it" eventually 10 status_true acme "[m for m in a['members'] if m['name']=='initech' and m['standing']=='founder' and m['seq']>=1]"
check "acme accepts $n1" eventually 10 alliancectl -H "$T/acme" accept "$n1"
check "the new keys deliver what the old keys promised ($c2)" alliancectl -H "$T/initech2" deliver "$c2" --note "delivered by the new home"
state_of() { alliancectl -H "$T/$1" commitments --json | python3 -c "import json,sys; print([c['state'] for c in json.load(sys.stdin) if c['id']=='$2'][0])"; }
state_is() { [ "$(state_of "$1" "$2")" = "$3" ]; }
check "acme holds the delivery" eventually 10 state_is acme "$c2" delivered
check "acme confirms it" eventually 10 alliancectl -H "$T/acme" confirm "$c2" --rating 4
for n in acme globex initech2; do
	rows_are() { [ "$(rows "$1" initech)" = 1 ]; }
	fulfilled_are() { [ "$(fulfilled "$1" initech)" = 2 ]; }
	check "$n: one trust row for initech" eventually 10 rows_are "$n"
	check "$n: initech keeps its evidence (2 fulfilled, old keys and new)" eventually 10 fulfilled_are "$n"
done
status_true acme "[m for m in a['members'] if m['name']=='initech' and m['standing']=='replaced']"
check "status shows the old keys as replaced" test $? -eq 0
contains "the log says what the amendment did" "$(alliancectl -H "$T/acme" log | grep " $rp ")" "gives initech new keys"
check "log shows the new keys' messages as initech@2/N, never initech/N" bash -c "alliancectl -H '$T/acme' log | grep -q ' initech@2/1 '"
check "...and the old keys' as initech/N" bash -c "alliancectl -H '$T/acme' log | grep -q ' initech/1 '"
frontiers_ok() { alliancectl -H "$T/acme" log --json | python3 -c "
import json, sys
fr = [m['frontier'] for m in json.load(sys.stdin)]
assert any('initech' in f and 'initech@2' in f for f in fr), fr[-3:]"; }
check "log --json: frontiers name both of initech's feeds (initech, initech@2)" eventually 10 frontiers_ok
contains "status names the new keys' feed initech@2" "$(alliancectl -H "$T/acme" status)" "member  initech@2 "
check "status --check at acme: healthy, its link to initech is to the new keys" eventually 20 alliancectl -H "$T/acme" status --check
out=$(alliancectl -H "$T/initech" status --check); rc=$?
check "status --check at the old home: degraded" test "$rc" -eq 1
contains "...saying to stop it" "$out" "this home's keys were replaced: stop its daemon"
metrics_ok() {
	alliancectl -H "$T/acme" metrics >"$T/metrics.prom" || return 1
	python3 - "$T/metrics.prom" <<'PY'
import sys
seen = set()
for line in open(sys.argv[1]):
    if line.startswith('#') or not line.strip():
        continue
    series = line.rsplit(' ', 1)[0]
    assert series not in seen, 'duplicate series ' + series
    seen.add(series)
assert 'alliance_feed_seq{alliance="Test alliance",member="initech@2"}' in seen, sorted(seen)
PY
}
check "metrics after new keys: one series per feed (initech and initech@2)" metrics_ok
check "the old home's link is refused by the others from now on" eventually 10 grep -q "initech has new keys" "$T/acme.log"
check "every home computes the same trust table" eventually 10 same_output --rows alliancectl -H "$T/{}" trust --as-of +1h --json -- acme globex initech2
audit_all() { alliancectl audit "$T/acme" --against "$T/globex" --against "$T/initech2" --charter "$T/charter"; }
check "the logs audit clean against each other" eventually 15 audit_all
out=$(alliancectl audit "$T/acme" --charter "$T/charter" --json)
check "...initech's evidence is whole in the audit" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['ok'] and [r for r in d['trust'] if r['partner']=='initech'][0]['fulfilled']==2" "$out"
check "...and no one broke a rule" status_true acme "a['violations']==[]"

# --- an IPv6 endpoint: bound and dialled (ZMQ_IPV6)
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null; then
	port6() { python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0)); print(s.getsockname()[1])'; }
	for n in v6a v6b; do
		allianced init "$T/$n" --name "$n" --listen "tcp://[::1]:$(port6)" | tail -n 1 >"$T/$n.card"
	done
	make_charter "$T/charter6" v6a v6b && start_daemon v6a && start_daemon v6b
	for n in v6a v6b; do alliancectl join "$T/charter6" -H "$T/$n" >/dev/null; done
	check "two daemons on IPv6 addresses link up" eventually 20 authoring_open v6b
	v6=$(alliancectl -H "$T/v6a" commit "over IPv6" --to v6b --due +1d)
	check "...and replicate ($v6)" eventually 10 holds 1 v6a v6b
else
	ok "# SKIP no IPv6 loopback on this machine"
fi
finish
