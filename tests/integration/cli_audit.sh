#!/usr/bin/env bash
# alliancectl audit on real homes: clean logs pass, tampering is found and named.
# Messages are authored through the core library by the test tool mklog until
# the daemons author and replicate them (issue 3).
. "$(dirname "$0")/../lib.sh"
MKLOG="$ROOT/$BUILD/tests/mklog"

init_partners acme globex initech && make_charter "$T/c" acme globex initech || { not_ok "setup"; finish; }
for n in acme globex initech; do "$MKLOG" author "$T/$n" --charter "$T/c" --count 4 >/dev/null; done
for a in acme globex initech; do for b in acme globex initech; do
	[ "$a" = "$b" ] || "$MKLOG" copy "$T/$a" "$T/$b" >/dev/null 2>&1
done; done

check "a clean home audits OK" alliancectl audit "$T/acme"
check "three homes agree with --against" alliancectl audit "$T/acme" --against "$T/globex" --against "$T/initech"
out=$(alliancectl audit "$T/acme" --against "$T/globex" --json)
j() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$out"; }
check "--json ok is true" test "$(j "$out" "d['ok']")" = True
check "--json counts the records of both logs" test "$(j "$out" "d['records']")" = 24
check "--json has no faults" test "$(j "$out" "len(d['faults'])")" = 0
check "--json has a trust array" test "$(j "$out" "type(d['trust']).__name__")" = list
log=$(ls -d "$T"/acme/alliances/*)/log
check "a log file audits with --charter" alliancectl audit "$log" --charter "$T/c"
fails "a log file without --charter is refused" alliancectl audit "$log"

# Flip one bit in the middle of acme's log: the audit names the record.
cp "$log" "$T/log.bak"
python3 - "$log" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[len(b) // 2] ^= 0x04; open(p, 'wb').write(b)
PY
fails "a flipped bit fails the audit" alliancectl audit "$T/acme"
out=$(alliancectl audit "$T/acme" --json)
rc=$?
check "exit status 1 for faults" test "$rc" -eq 1
check "--json ok is false" test "$(j "$out" "d['ok']")" = False
check "the fault names a record and an offset" test "$(j "$out" "all(isinstance(f['record'], int) and f['offset'] > 0 for f in d['faults'])")" = True
contains "the fault says what is wrong" "$(j "$out" "d['faults'][0]['reason']")" "checksum"

# Every bit position, sampled across the whole file: never unnoticed.
size=$(stat -c %s "$T/log.bak")
missed=0
for off in $(seq 0 37 $((size - 1))); do
	python3 - "$T/log.bak" "$T/flip" "$off" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); o = int(sys.argv[3]); b[o] ^= 1 << (o % 8); open(sys.argv[2], 'wb').write(b)
PY
	alliancectl audit "$T/flip" --charter "$T/c" >/dev/null 2>&1 && missed=$((missed + 1))
done
check "no flipped bit goes unnoticed ($((size / 37 + 1)) positions)" test "$missed" -eq 0

# A torn tail (a crash mid-write) is reported, with its record.
cp "$T/log.bak" "$log"
truncate -s $((size - 7)) "$log"
out=$(alliancectl audit "$T/acme" --json)
contains "a torn tail is a fault" "$(j "$out" "d['faults'][0]['reason']")" "torn"
check "the audit never changes the log" test "$(stat -c %s "$log")" -eq $((size - 7))
cp "$T/log.bak" "$log"

# Two homes that disagree about one message: equivocation across logs.
cp -r "$T/acme" "$T/acme2"
glog=$(ls -d "$T"/globex/alliances/*)/log
cp "$glog" "$T/glog.bak"
"$MKLOG" author "$T/acme2" --charter "$T/c" --count 1 >/dev/null   # acme/5 in acme2 only
"$MKLOG" author "$T/acme" --charter "$T/c" --count 1 --at +1s >/dev/null   # a different acme/5
"$MKLOG" copy "$T/acme" "$T/globex" >/dev/null 2>&1
"$MKLOG" copy "$T/acme2" "$T/globex" >/dev/null 2>&1   # globex keeps a proof
fails "logs that disagree fail the cross-check" alliancectl audit "$T/acme" --against "$T/acme2"
out=$(alliancectl audit "$T/acme" --against "$T/acme2" --json)
contains "...as an equivocation of acme/5" "$(j "$out" "d['faults'][0]['reason']")" "acme/5"
out=$(alliancectl audit "$T/globex" --json)
contains "a home that received both keeps and reports the proof" "$(j "$out" "' '.join(f['reason'] for f in d['faults'])")" "equivocation"
"$MKLOG" copy "$T/acme2" "$T/globex" >/dev/null 2>&1   # the same conflict again
out=$(alliancectl audit "$T/globex" --json)
check "the same conflict is proven once" test "$(j "$out" "sum('equivocation' in f['reason'] for f in d['faults'])")" = 1
check "without HOME|LOG, audit uses -H" alliancectl -H "$T/initech" audit

fails "a missing log is an error" alliancectl audit "$T/nowhere" --charter "$T/c"
alliancectl audit "$T/nowhere" --charter "$T/c"; rc=$?
check "...with exit status 2" test "$rc" -eq 2
# JSON carries only UTF-8: a log whose file name is not cannot be printed
# as JSON, and the audit says so instead of printing nothing.
cp "$log" "$T/"$'\xff.log'
alliancectl audit "$T/"$'\xff.log' --charter "$T/c" --json >"$T/out" 2>"$T/err"; rc=$?
check "--json with a name that is not UTF-8 fails with exit status 2" test "$rc" -eq 2
contains "...saying why" "$(cat "$T/err")" "not valid UTF-8"
check "the same audit in text works" alliancectl audit "$T/"$'\xff.log' --charter "$T/c"

check "audit --help" alliancectl audit --help
finish
