#!/usr/bin/env bash
# Offline reads of a home's own log check the chain and the rules but do not
# verify the signatures again (the daemon verified each on admission);
# --verify does, a bare log file always is verified, and audit always
# verifies everything. The proof: one signature byte spoilt in place, the
# record's framing (length, CRC-32C) kept valid.
. "$(dirname "$0")/../lib.sh"
MKLOG="$ROOT/$BUILD/tests/mklog"

init_partners acme globex initech && make_charter "$T/c" acme globex initech || { not_ok "setup"; finish; }
"$MKLOG" author "$T/acme" --charter "$T/c" --count 4 >/dev/null || { not_ok "mklog"; finish; }
log=$(ls -d "$T"/acme/alliances/*)/log

# How many commitments a listing holds (after checking it ran and said something).
count() {
	local out
	out=$(alliancectl commitments "$@" --json) && test -n "$out" &&
		python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out"
}

check "the clean home lists its 4 commitments" test "$(count "$T/acme")" = 4
check "...and with --verify too" test "$(count "$T/acme" --verify)" = 4
alliancectl trust "$T/acme" >"$T/trust.clean" 2>&1
check "trust of the clean home says something" test -s "$T/trust.clean"

# Flip the last byte of the last record (acme/4: its signature's last byte;
# nothing chains to it) and rewrite the frame's CRC-32C over length and payload.
python3 - "$log" <<'PY'
import struct, sys
def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
off, last = 16, None
while off < len(b):
    (n,) = struct.unpack_from('<I', b, off)
    last = (off, n)
    off += 8 + n
off, n = last
b[off + 8 + n - 1] ^= 0x01
struct.pack_into('<I', b, off + 4, crc32c(bytes(b[off:off + 4]) + bytes(b[off + 8:off + 8 + n])))
open(p, 'wb').write(b)
PY

check "the spoilt log still frames: audit finds no damage, only the signature" \
	bash -c "! alliancectl audit '$T/acme' | grep -qE 'corrupt|torn'"
out=$(alliancectl audit "$T/acme" 2>&1)
check "audit fails on the spoilt signature" test $? -ne 0
contains "...and names it" "$out" "bad-signature"
contains "...as acme/4" "$out" "acme/4"

check "the home's own log is read without re-verifying: still 4" test "$(count "$T/acme")" = 4
alliancectl trust "$T/acme" >"$T/trust.own" 2>&1
check "...trust runs" test -s "$T/trust.own"
check "...and gives the table of the clean log" cmp -s "$T/trust.clean" "$T/trust.own"
check "commitments --verify refuses the spoilt message: 3" test "$(count "$T/acme" --verify)" = 3
alliancectl trust "$T/acme" --verify >"$T/trust.verify" 2>&1
check "trust --verify runs (the same ledger path as commitments --verify)" test -s "$T/trust.verify"
check "a bare log file (someone else's) is always verified: 3" \
	test "$(count "$log" --charter "$T/c")" = 3
# An alliance directory copied out of its home (a partner's export, say)
# is someone else's too; the same directory inside the home is one's own.
cp -r "$(dirname "$log")" "$T/export"
check "a copied alliance directory is verified: 3" test "$(count "$T/export")" = 3
check "...the one in the home is not: 4" test "$(count "$(dirname "$log")")" = 4
finish
