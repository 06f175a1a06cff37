#!/usr/bin/env bash
# daemon_memory: what a daemon holds for a log of 20k messages (mklog
# fill), where it is bounded by design: a query's transient peak is its
# reply's text, not the reply as a tree of JSON values (commitments --json
# grows VmHWM by at most 3 times its output and 1 MB, against about 7
# times before), and the reply is the one alliancectl computes offline.
. "$(dirname "$0")/../lib.sh"
PATH="$ROOT/$BUILD/tests:$PATH"
N=20000

filled_alliance Memory $N || not_ok "mklog fill"
check "acme's daemon starts on a log of $N messages" start_daemon acme
# The feeds index: 8 bytes a message and a block of slack a feed (64, then 16, before).
fb=$(alliancectl -H "$T/acme" status --json | python3 -c 'import json,sys; a=json.load(sys.stdin)["alliances"][0]; print(a["feeds_bytes"], a["records"])')
check "the feeds index holds at most 12 bytes a message ($fb: bytes, records)" \
	test "${fb% *}" -gt 0 -a "${fb% *}" -le $((12 * ${fb#* }))

# kB of the daemon's /proc status field (VmRSS, VmHWM).
vm() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$PID_acme/status"; }
rss=$(vm VmRSS)
alliancectl -H "$T/acme" commitments --json >"$T/daemon.json"
hwm=$(vm VmHWM)
out=$(($(stat -c %s "$T/daemon.json") / 1024))
what="commitments --json grows the daemon by at most 3 x its output + 1 MB (rss ${rss} kB, then hwm ${hwm} kB, output ${out} kB)"
if ldd "$(command -v allianced)" | grep -q libasan; then
	ok "$what # SKIP AddressSanitizer's quarantine keeps what is freed"
else
	check "$what" test "$rss" -gt 0 -a "$hwm" -gt 0 -a "$out" -gt 100 -a $((hwm - rss)) -le $((3 * out + 1024))
fi
alliancectl -H "$T/acme" commitments --json --state confirmed >"$T/daemon-confirmed.json"
check "the reply is a list of $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/daemon.json") commitments, some confirmed" \
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert len(a) > 1000 and 0 < len(b) < len(a)' \
	"$T/daemon.json" "$T/daemon-confirmed.json"
check "acme stops cleanly" stop_daemon acme
alliancectl -H "$T/acme" commitments --json >"$T/offline.json"
alliancectl -H "$T/acme" commitments --json --state confirmed >"$T/offline-confirmed.json"
check "the daemon's reply is byte for byte what alliancectl computes offline" cmp "$T/daemon.json" "$T/offline.json"
check "and with --state" cmp "$T/daemon-confirmed.json" "$T/offline-confirmed.json"
finish
