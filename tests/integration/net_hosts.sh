#!/usr/bin/env bash
# Three partner daemons on three "hosts" (network namespaces), each on its own
# address, reaching each other by DNS name, one of them behind a NAT gateway
# with a port forward; driven only through allianced and alliancectl:
#   a. replication between the hosts, links up in both directions, through
#      the port forward too;
#   e. a name re-resolved: the NAT gateway's public address changes, the
#      hosts files follow, nothing is restarted, the links come back;
#   d. a partition and its heal: links shown down, both sides go on, and
#      the time from the heal until every home holds every feed's head;
#   b. a member moves to a new address and name (amend --endpoint);
#   c. a member's key replaced (amend --replace) under the same name;
#   and the three logs audit clean against each other at the end.
#
# Topology (every address in 198.18.0.0/15, none in the root namespace):
#
#   al-PID-acme     eth0 198.18.0.11  acme.alliance.test     binds 198.18.0.11:7001
#   al-PID-globex   eth0 198.18.0.12  globex.alliance.test   binds 198.18.0.12:7002
#                   (later 198.18.0.22, globex2.alliance.test)
#         |  veth                |  veth
#   al-PID-net      br0 198.18.0.100 (+ .101 later): a bridge for the public
#                   segment and the NAT gateway of initech's firm; nftables
#                   DNAT 198.18.0.100:17003 -> 198.18.1.13:7003, masquerade out
#         |  veth (private segment 198.18.1.0/24)
#   al-PID-initech  eth0 198.18.1.13, default route via 198.18.1.1; binds
#                   0.0.0.0:7003, advertises initech.alliance.test:17003
#                   (198.18.0.100 in the others' hosts files: an address
#                   initech does not own, on a port it does not bind; acme and
#                   globex have no route to 198.18.1.0/24 at all)
#   al-PID-attic    lo only: where initech's replaced home is started again
#
# Names come from /etc/netns/NS/hosts, which 'ip netns exec' bind-mounts
# over /etc/hosts. Such a bind mount pins the file's inode, so the test
# rewrites a hosts file in place (never with a rename, e.g. sed -i, which a
# running daemon would not see).
#
# What namespaces cannot show: no real DNS server (TTLs, caches, nscd or
# systemd-resolved; glibc reads the hosts file on each lookup), no NAT of a
# third party (an ISP's CGNAT, hairpinning, NAT timeouts of middleboxes), no
# real latency, loss or MTU problems, one kernel's clock for every host (no
# clock skew), and IPv4 only.
. "$(dirname "$0")/../lib.sh"

P=al-$$
NSR=$P-net
NSS=()
ETC_NETNS_MADE=0

skip() { echo "ok - # SKIP network namespaces not available ($*)"; exit 0; }

net_down() {
	local ns
	for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null; rm -rf "/etc/netns/$ns"; done
	[ "$ETC_NETNS_MADE" = 1 ] && rmdir /etc/netns 2>/dev/null
	return 0
}
# One trap: lib.sh's cleanup (kills the daemons, removes $T), then the network.
trap 'cleanup; net_down' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" = 0 ] || skip "not root"
command -v ip >/dev/null || skip "no ip command (iproute2)"
# Namespaces left by a run that was killed with SIGKILL (its PID is gone).
for ns in $(ip netns list 2>/dev/null | grep -oE '^al-[0-9]+-[a-z0-9]+'); do
	pid=${ns#al-}; pid=${pid%%-*}
	kill -0 "$pid" 2>/dev/null || { ip netns del "$ns" 2>/dev/null; rm -rf "/etc/netns/$ns"; }
done
[ -d /etc/netns ] || ETC_NETNS_MADE=1
ip netns add "$NSR" 2>"$T/netns.err" || skip "ip netns add: $(head -c 200 "$T/netns.err")"
NSS+=("$NSR")
if ! command -v nft >/dev/null; then
	"$ROOT/tools/install-deps" nftables 2>&1 | sed 's/^/# /'
	command -v nft >/dev/null || { not_ok "nft (Debian package nftables) is needed for the port forward and could not be installed"; finish; }
fi

# --- the network ---------------------------------------------------------
nsx() { ip netns exec "$@"; }
host_ns() { echo "$P-$1"; }
net_up() {
	local n
	for n in acme globex initech attic; do ip netns add "$P-$n" || return 1; NSS+=("$P-$n"); done
	# Deleting an interface's primary address must keep the others of its
	# subnet (by default the kernel deletes them with it).
	for n in "${NSS[@]}"; do
		ip -n "$n" link set lo up &&
			nsx "$n" sysctl -qw net.ipv4.conf.all.promote_secondaries=1 net.ipv4.conf.default.promote_secondaries=1 || return 1
	done
	ip -n "$NSR" link add br0 type bridge &&
		ip -n "$NSR" link set br0 up &&
		ip -n "$NSR" addr add 198.18.0.100/24 dev br0 &&
		nsx "$NSR" sysctl -qw net.ipv4.ip_forward=1 || return 1
	local -A addr=([acme]=198.18.0.11 [globex]=198.18.0.12)
	for n in acme globex; do
		ip link add eth0 netns "$P-$n" type veth peer name "v-$n" netns "$NSR" &&
			ip -n "$NSR" link set "v-$n" master br0 &&
			ip -n "$NSR" link set "v-$n" up &&
			ip -n "$P-$n" addr add "${addr[$n]}/24" dev eth0 &&
			ip -n "$P-$n" link set eth0 up || return 1
	done
	ip link add eth0 netns "$P-initech" type veth peer name v-initech netns "$NSR" &&
		ip -n "$NSR" addr add 198.18.1.1/24 dev v-initech &&
		ip -n "$NSR" link set v-initech up &&
		ip -n "$P-initech" addr add 198.18.1.13/24 dev eth0 &&
		ip -n "$P-initech" link set eth0 up &&
		ip -n "$P-initech" route add default via 198.18.1.1 || return 1
	# initech's firm's gateway: the port forward and the masquerade.
	nsx "$NSR" nft -f - <<-'EOF' || return 1
		table ip nat {
			chain prerouting {
				type nat hook prerouting priority dstnat; policy accept;
				ip daddr 198.18.0.100 tcp dport 17003 counter dnat to 198.18.1.13:7003 comment "fwd100"
			}
			chain postrouting {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "br0" ip saddr 198.18.1.0/24 masquerade
			}
		}
	EOF
	for n in acme globex initech; do
		mkdir -p "/etc/netns/$P-$n" || return 1
		printf '127.0.0.1 localhost\n198.18.0.11 acme.alliance.test\n198.18.0.12 globex.alliance.test\n198.18.0.100 initech.alliance.test\n' >"/etc/netns/$P-$n/hosts" || return 1
	done
}
# set_host NAME ADDR HOST...: map NAME to ADDR in these hosts' hosts files,
# rewriting each file in place (same inode: the daemons' bind mounts see it).
set_host() {
	local name=$1 ip4=$2 h f rest; shift 2
	for h in "$@"; do
		f=/etc/netns/$P-$h/hosts
		rest=$(grep -v "[[:space:]]$name\$" "$f")
		printf '%s\n%s %s\n' "$rest" "$ip4" "$name" >"$f"
	done
}
# dnat_packets COMMENT: packets that went through that port-forward rule.
dnat_packets() { nsx "$NSR" nft list chain ip nat prerouting | grep "comment \"$1\"" | grep -oE 'packets [0-9]+' | grep -oE '[0-9]+'; }

net_up 2>"$T/net.err" || { not_ok "the network namespaces, veths, bridge and port forward are set up"; sed 's/^/#   /' "$T/net.err"; finish; }
ok "three hosts, a bridge and a NAT gateway in network namespaces ($P-*)"
check "acme resolves initech.alliance.test from its own hosts file" bash -c "ip netns exec $P-acme getent hosts initech.alliance.test | grep -q 198.18.0.100"

# --- daemons in the namespaces -------------------------------------------
show_logs() { local f; for f in "$T"/*.log; do [ -f "$f" ] && { echo "# --- $(basename "$f")"; tail -n "${1:-15}" "$f" | sed 's/^/#   /'; }; done; }
link() { jq_status "$1" "[l['$3'] for l in a['links'] if l['member']=='$2'][0]"; }
link_is() { [ "$(link "$1" "$2" "$3")" = "$4" ]; }
# link_up HOME MEMBER: our DEALER to it is connected and it was heard from.
link_up() { link_is "$1" "$2" state up && link_is "$1" "$2" connection connected; }
# heard_since HOME MEMBER EPOCH: HOME heard from MEMBER after EPOCH (seconds).
heard_since() {
	jq_status "$1" "[l['last_heard'] for l in a['links'] if l['member']=='$2'][0]" |
		python3 -c "import sys,datetime; s=sys.stdin.read().strip(); sys.exit(0 if s not in ('', 'None') and datetime.datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp() > $3 else 1)"
}
endpoint_of() { jq_status "$1" "[m['endpoint'] for m in a['members'] if m['name']=='$2'][0]"; }
endpoint_is() { [ "$(endpoint_of "$1" "$2")" = "$3" ]; }
now() { date +%s.%N; }
# degraded HOME: status --check prints one line and exits 1.
degraded() { local out rc; out=$(alliancectl -H "$T/$1" status --check 2>&1); rc=$?; echo "$out"; [ "$rc" -eq 1 ] && [ "$(wc -l <<<"$out")" -eq 1 ]; }
healthy() { local out rc; out=$(alliancectl -H "$T/$1" status --check 2>&1); rc=$?; echo "$out"; [ "$rc" -eq 0 ] && [ "$(wc -l <<<"$out")" -eq 1 ]; }

# --- a. replication between three hosts ----------------------------------
declare -A LISTEN=([acme]=tcp://198.18.0.11:7001 [globex]=tcp://198.18.0.12:7002 [initech]=tcp://0.0.0.0:7003)
declare -A ADVERT=([acme]=tcp://acme.alliance.test:7001 [globex]=tcp://globex.alliance.test:7002 [initech]=tcp://initech.alliance.test:17003)
ALL=(acme globex initech)
for n in "${ALL[@]}"; do
	if allianced init "$T/$n" --name "$n" --listen "${LISTEN[$n]}" --advertise "${ADVERT[$n]}" >"$T/$n.init" 2>&1; then
		tail -n 1 "$T/$n.init" >"$T/$n.card"
		contains "$n's card names its host by DNS name" "$(cat "$T/$n.card")" ":${ADVERT[$n]}"
	else
		not_ok "allianced init $n --listen ${LISTEN[$n]} --advertise ${ADVERT[$n]}"; sed 's/^/#   /' "$T/$n.init"
		finish
	fi
done
check "the charter is written and signed by all three" make_charter "$T/charter" "${ALL[@]}"
for n in "${ALL[@]}"; do check "$n's daemon starts in its namespace" start_daemon "$n" "$T/$n" "$(host_ns "$n")"; done
for n in "${ALL[@]}"; do check "$n joins" alliancectl join "$T/charter" -H "$T/$n"; done
for n in "${ALL[@]}"; do check "$n authors once its peers confirm its head" eventually 20 authoring_open "$n"; done
[ "$FAILS" -eq 0 ] || { show_logs; finish; }

a1=$(alliancectl -H "$T/acme" commit "acme's part" --to globex,initech --due +2d --value 100)
g1=$(alliancectl -H "$T/globex" commit "globex's part" --to acme,initech --due +2d --value 100)
i1=$(alliancectl -H "$T/initech" commit "initech's part" --to acme --due +2d --value 200)
committed() { is_id "$a1" acme && is_id "$g1" globex && is_id "$i1" initech; }
check "each firm commits ($a1, $g1, $i1)" committed
check "acme's commitment reaches globex and initech" eventually 15 holds "${a1#*/}" acme globex initech
check "globex's reaches acme and initech" eventually 15 holds "${g1#*/}" globex acme initech
check "initech's, from behind the NAT, reaches acme and globex" eventually 15 holds "${i1#*/}" initech acme globex
for h in "${ALL[@]}"; do for m in "${ALL[@]}"; do
	[ "$h" = "$m" ] && continue
	check "$h's link to $m is up and connected" eventually 15 link_up "$h" "$m"
done; done
check "acme and globex reached initech only through the port forward (DNAT counter > 0)" test "$(dnat_packets fwd100)" -gt 0
# Evidence for initech that must survive a key replacement (part c).
check "acme accepts initech's commitment" eventually 10 alliancectl -H "$T/acme" accept "$i1"
check "initech holds the acceptance" eventually 10 holds "$(seq_in acme acme)" acme initech
check "initech delivers it" eventually 10 alliancectl -H "$T/initech" deliver "$i1" --note "done"
check "acme holds the delivery" eventually 10 holds "$(seq_in initech initech)" initech acme
check "acme confirms it" alliancectl -H "$T/acme" confirm "$i1" --rating 5 --comment "on time"
fulfilled() { alliancectl -H "$T/$1" trust --json | python3 -c "import json,sys; r=[x for x in json.load(sys.stdin) if x['partner']=='$2']; print(r[0]['fulfilled'] if len(r)==1 else 'rows: %d' % len(r))"; }
check "acme's trust table counts initech's fulfilled commitment" test "$(fulfilled acme initech)" = 1

# --- e. a name re-resolved on reconnect, nothing restarted ----------------
# initech's gateway gets a new public address; the hosts files follow; the
# old address stops answering. The daemons must dial initech.alliance.test
# again and reach it at the new address.
ip -n "$NSR" addr add 198.18.0.101/24 dev br0
nsx "$NSR" nft add rule ip nat prerouting ip daddr 198.18.0.101 tcp dport 17003 counter dnat to 198.18.1.13:7003 comment '"fwd101"'
set_host initech.alliance.test 198.18.0.101 acme globex initech
check "the hosts files now resolve initech.alliance.test to 198.18.0.101" bash -c "ip netns exec $P-globex getent hosts initech.alliance.test | grep -q 198.18.0.101"
nsx "$NSR" nft add table ip cut
nsx "$NSR" nft add chain ip cut pre '{ type filter hook prerouting priority -300; policy accept; }'
nsx "$NSR" nft add rule ip cut pre ip daddr 198.18.0.100 drop
ip -n "$NSR" addr del 198.18.0.100/24 dev br0
t_cut=$(now)
for h in acme globex; do
	check "$h reaches initech again at its new address, by name (heard by initech after the old one went)" eventually 30 heard_since initech "$h" "$(python3 -c "print($t_cut + 1)")"
	check "...and $h's link to initech is up" eventually 15 link_up "$h" initech
done
check "the new port forward carried them (DNAT counter for 198.18.0.101 > 0)" test "$(dnat_packets fwd101)" -gt 0
e1=$(alliancectl -H "$T/acme" commit "after the renumbering" --to initech --due +2d)
check "a commitment from acme reaches initech ($e1)" eventually 15 holds "${e1#*/}" acme initech
[ "$FAILS" -eq 0 ] || show_logs

# --- d. a partition, then the heal -----------------------------------------
# converged SPEC: every home holds every feed up to its head, SPEC being
# "member:seq member:seq ..."; one python process per poll.
converged() {
	python3 - "$T" "$1" "${ALL[@]}" <<-'PY'
		import json, subprocess, sys
		t, spec, homes = sys.argv[1], sys.argv[2], sys.argv[3:]
		want = dict((m, int(s)) for m, s in (x.split(':') for x in spec.split()))
		for h in homes:
		    out = subprocess.run(['alliancectl', '-H', f'{t}/{h}', 'status', '--json'], capture_output=True, text=True).stdout
		    held = {m['name']: m['seq'] for m in json.loads(out)['alliances'][0]['members']}
		    for m, s in want.items():
		        if held.get(m, 0) < s:
		            print(f'{h} holds {m} up to {held.get(m, 0)}, not {s}'); sys.exit(1)
	PY
}
# acme's firewall drops everything on its network interface, both ways: a
# partition that sends no error back, as on a WAN (a link taken down would
# make ARP fail and connects end at once with "no route to host").
nsx "$P-acme" nft -f - <<-'EOF'
	table inet partition {
		chain in { type filter hook input priority 0; policy accept; iifname "eth0" drop; }
		chain out { type filter hook output priority 0; policy accept; oifname "eth0" drop; }
	}
EOF
t_cut=$(now)
for h in globex initech; do check "$h shows its link to acme down" eventually 20 link_is "$h" acme state down; done
acme_cut_off() { link_is acme globex state down && link_is acme initech state down; }
check "acme shows its links to both down" eventually 10 acme_cut_off
check "status --check at globex: one line, exit 1 (degraded)" eventually 30 degraded globex
check "status --check at acme: one line, exit 1 (degraded)" eventually 30 degraded acme
for i in 1 2; do alliancectl -H "$T/acme" commit "acme alone $i" --to globex --due +2d >/dev/null; done
for i in 1 2; do alliancectl -H "$T/globex" commit "globex cut off from acme $i" --to acme --due +2d >/dev/null; done
alliancectl -H "$T/initech" commit "initech cut off from acme" --to globex --due +2d >/dev/null
check "both sides author during the partition: globex and initech go on together" eventually 10 holds "$(seq_in globex globex)" globex initech
check "...and nothing of acme's crosses it" test "$(seq_in globex acme)" -lt "$(seq_in acme acme)"
spec="acme:$(seq_in acme acme) globex:$(seq_in globex globex) initech:$(seq_in initech initech)"
# NET_PARTITION_HOLD=SECONDS keeps the partition longer (a WAN outage: the
# connection attempts made meanwhile must not delay the heal).
sleep "${NET_PARTITION_HOLD:-0}"
nsx "$P-acme" nft delete table inet partition
t_heal=$(now)
elapsed=""
for i in $(seq 600); do
	if converged "$spec" >/dev/null 2>&1; then elapsed=$(python3 -c "print('%.2f' % ($(now) - $t_heal))"); break; fi
	sleep 0.1
done
if [ -n "$elapsed" ]; then
	echo "# converged in $elapsed s after the partition healed (partition of $(python3 -c "print('%.1f' % ($t_heal - $t_cut))") s; heads $spec)"
	check "every home holds every feed's head within 30 s of the heal ($elapsed s)" python3 -c "import sys; sys.exit(0 if $elapsed < 30 else 1)"
else
	not_ok "every home holds every feed's head within 60 s of the heal"; converged "$spec" | sed 's/^/#   /'
fi
for h in globex initech; do check "$h's link to acme is up again" eventually 15 link_up "$h" acme; done
for h in "${ALL[@]}"; do check "status --check at $h: one line, exit 0 (healthy) after the heal" eventually 20 healthy "$h"; done
[ "$FAILS" -eq 0 ] || show_logs

# --- b. a member moves: new address, new name -----------------------------
ip -n "$P-globex" addr add 198.18.0.22/24 dev eth0
set_host globex2.alliance.test 198.18.0.22 acme globex initech
NEW_EP=tcp://globex2.alliance.test:7002
if mv_id=$(alliancectl -H "$T/globex" amend --endpoint "$NEW_EP" 2>"$T/amend.err") && is_id "$mv_id" globex >>"$T/amend.err"; then
	ok "globex amends its own endpoint to $NEW_EP ($mv_id)"
	for h in acme initech; do check "$h's members list shows globex at $NEW_EP" eventually 15 endpoint_is "$h" globex "$NEW_EP"; done
	check "globex's own status shows it too" endpoint_is globex globex "$NEW_EP"
	check "globex stops cleanly" stop_daemon globex
	python3 - "$T/globex/allianced.conf" "$NEW_EP" <<-'PY'
		import re, sys
		path, ep = sys.argv[1], sys.argv[2]
		text = open(path).read()
		text = re.sub(r'(?m)^listen *=.*$', 'listen = tcp://198.18.0.22:7002', text)
		if re.search(r'(?m)^advertise *=', text):
		    text = re.sub(r'(?m)^advertise *=.*$', 'advertise = ' + ep, text)
		else:
		    text = re.sub(r'(?m)^(listen *=.*)$', r'\1\nadvertise = ' + ep, text, count=1)
		open(path, 'w').write(text)
	PY
	t_move=$(now)
	check "globex starts again bound to 198.18.0.22" start_daemon globex "$T/globex" "$P-globex"
	ip -n "$P-globex" addr del 198.18.0.12/24 dev eth0
	contains "globex's status says it listens on the new address" "$(alliancectl -H "$T/globex" status)" "198.18.0.22:7002"
	check "globex authors again" eventually 20 authoring_open globex
	check "...with no warning that its advertise differs from the alliance's endpoint" bash -c "grep -q 'running: home' '$T/globex.log' && ! grep -q 'the alliance holds this member' '$T/globex.log'"
	for h in acme initech; do
		check "$h dials globex at its new endpoint (heard by globex)" eventually 30 heard_since globex "$h" "$t_move"
		check "...and $h's link to globex is up" eventually 15 link_up "$h" globex
	done
	b1=$(alliancectl -H "$T/globex" commit "from the new address" --to acme,initech --due +2d)
	check "a commitment from the moved globex reaches acme and initech ($b1)" eventually 15 holds "${b1#*/}" globex acme initech
	b2=$(alliancectl -H "$T/acme" commit "to the new address" --to globex --due +2d)
	check "...and one from acme reaches globex ($b2)" eventually 15 holds "${b2#*/}" acme globex
else
	not_ok "globex amends its own endpoint to $NEW_EP"; sed 's/^/#   /' "$T/amend.err"
fi
[ "$FAILS" -eq 0 ] || show_logs

# --- c. a member's key replaced, same name ---------------------------------
NEWI=initech2
if allianced init "$T/$NEWI" --name initech --listen tcp://0.0.0.0:7003 --advertise tcp://initech.alliance.test:17003 >"$T/$NEWI.init" 2>&1; then
	ok "a new home for initech, new keys, same name"
else
	not_ok "a new home for initech"; sed 's/^/#   /' "$T/$NEWI.init"
fi
if rp=$(alliancectl -H "$T/acme" amend --replace "$(cat "$T/$NEWI/member.card" 2>/dev/null)" --reason "key compromised" 2>"$T/replace.err") && is_id "$rp" acme >>"$T/replace.err"; then
	ok "acme proposes replacing initech's keys ($rp)"
	check "globex holds the proposal" eventually 15 holds "${rp#*/}" acme globex
	check "globex approves it (2 of 3: the quorum)" alliancectl -H "$T/globex" amend --approve "$rp"
	check "the old initech daemon learns its keys were replaced" eventually 15 status_true initech "'replaced' in a['authoring']"
	check "the old initech daemon stops" stop_daemon initech
	check "the new initech daemon starts in initech's namespace" start_daemon "$NEWI" "$T/$NEWI" "$P-initech"
	check "the new home joins the charter" alliancectl -H "$T/$NEWI" join "$T/charter"
	check "the new home authors" eventually 30 authoring_open "$NEWI"
	c1=$(alliancectl -H "$T/$NEWI" commit "under the new key" --to acme --due +2d --value 50)
	check "the new keys commit as initech@2/N ($c1)" is_id "$c1" initech@2   # its second keys: their own feed
	# The new keys' feed: initech's entry among the members that is not 'replaced'.
	new_holds() { local h; for h in acme globex; do status_true "$h" "[m for m in a['members'] if m['name']=='initech' and m['standing']!='replaced' and m['seq']>=${c1##*/}]" || return 1; done; }
	check "...it reaches acme and globex" eventually 15 new_holds
	check "acme accepts it" eventually 10 alliancectl -H "$T/acme" accept "$c1"
	rows() { alliancectl -H "$T/acme" trust --json | python3 -c "import json,sys; print(sum(r['partner']=='initech' for r in json.load(sys.stdin)))"; }
	check "acme's trust table has exactly one row for initech" test "$(rows)" = 1
	check "...which keeps initech's earlier evidence (1 fulfilled)" test "$(fulfilled acme initech)" = 1
	for h in acme globex; do check "$h's link to the new initech is up" eventually 15 link_up "$h" initech; done
	check "the old home starts again, alone (in a namespace with no network)" start_daemon oldinitech "$T/initech" "$P-attic"
	out=$(alliancectl -H "$T/initech" commit "with the old key" --to acme --due +2d 2>&1)
	rc=$?
	check "the old key can no longer author (exit $rc)" test "$rc" -ne 0
	if grep -qi replaced <<<"$out"; then ok "...and says its keys were replaced"; else not_ok "...and says its keys were replaced: it said"; sed 's/^/#   /' <<<"$out"; fi
	check "the old home stops" stop_daemon oldinitech
	AUDIT_I=$NEWI
else
	not_ok "acme proposes replacing initech's keys"; sed 's/^/#   /' "$T/replace.err"
	AUDIT_I=initech
fi

# --- the end: one story in every log --------------------------------------
audit_all() { alliancectl audit "$T/acme" --against "$T/globex" --against "$T/$AUDIT_I" --charter "$T/charter"; }
check "the three logs audit clean against each other" eventually 15 audit_all
for n in acme globex "$AUDIT_I"; do check "$n's daemon stops cleanly" stop_daemon "$n"; done
[ "$FAILS" -eq 0 ] || show_logs 25
finish
