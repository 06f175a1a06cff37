#!/usr/bin/env bash
# daemon_memory_restart: a restart from the checkpoint at 200k messages
# (mklog fill) peaks close to the memory the daemon then holds. Loading
# the checkpoint reads its file (14 MB here) through a mapping whose
# passed pages are dropped every 4 MB, and builds the ledger from its
# section in place, not from a copy of it: so VmHWM after the restart
# stays within 8 MB of VmRSS (the 4 MB the readers keep of a mapping, and
# 4 MB for the rest). Before, the whole file was mapped (its pages all
# touched by the checksum) while its ledger section was copied and kept
# beside the ledger built from it: 20 MB over at 300k, 70 MB at 1M.
. "$(dirname "$0")/../lib.sh"
PATH="$ROOT/$BUILD/tests:$PATH"
N=200000

filled_alliance Restart $N || not_ok "mklog fill"
# The first start replays the log; its clean stop writes the checkpoint.
check "acme's daemon starts on a log of $N messages" start_daemon acme
check "and stops cleanly, writing its checkpoint" stop_daemon acme
ckpt=$(echo "$T"/acme/alliances/*/checkpoint)
check "the checkpoint is there ($(stat -c %s "$ckpt" 2>/dev/null) bytes)" test -s "$ckpt"

check "acme restarts" start_daemon acme
# What it holds once started: the checkpoint was used, its ledger too.
used=$(alliancectl -H "$T/acme" status --json | python3 -c 'import json,sys; c=json.load(sys.stdin)["alliances"][0]["checkpoint"]; print(c["used"], c["ledger"], c["replayed"])')
check "the restart used the checkpoint and its ledger, replaying nothing ($used)" test "$used" = "True True 0"
# kB of the daemon's /proc status field (VmRSS, VmHWM).
vm() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$PID_acme/status"; }
rss=$(vm VmRSS)
hwm=$(vm VmHWM)
what="the restart peaks within 8 MB of what the daemon holds (rss ${rss} kB, hwm ${hwm} kB)"
if ldd "$(command -v allianced)" | grep -q libasan; then
	ok "$what # SKIP AddressSanitizer's quarantine keeps what is freed"
else
	check "$what" test "$rss" -gt 0 -a "$hwm" -gt 0 -a $((hwm - rss)) -le 8192
fi
# The ledger read through those mappings (sections past 4 MB, their pages
# dropped as they were read) is a full replay's.
alliancectl -H "$T/acme" commitments --json >"$T/daemon.json"
check "acme stops cleanly" stop_daemon acme
mv "$ckpt" "$T/checkpoint.away"
alliancectl -H "$T/acme" commitments --json >"$T/replay.json"
check "its commitments ($(stat -c %s "$T/daemon.json") bytes) are byte for byte a full replay's" \
	cmp "$T/daemon.json" "$T/replay.json"
finish
