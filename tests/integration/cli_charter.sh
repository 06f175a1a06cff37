#!/usr/bin/env bash
# alliancectl charter new / sign / show, as DESIGN §8 says, with its errors.
. "$(dirname "$0")/../lib.sh"

init_partners acme globex initech || { not_ok "init partners"; finish; }
check "charter new from cards and card files" \
	alliancectl charter new "$T/c" --title "Acme-Globex R&D" --member "$(cat "$T/acme.card")" \
	--member "$T/globex.card" --member $(cat "$T/initech.card") --grace 2d --half-life 30d \
	--objective "ship the widget" --resolver acme --quorum 2
fails "charter new never overwrites" alliancectl charter new "$T/c" --title X \
	--member "$T/acme.card" --member "$T/globex.card"

show=$(alliancectl charter show "$T/c" --json)
check "show --json is valid JSON" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$show"
j() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$show"; }
check "title" test "$(j "$show" "d['title']")" = "Acme-Globex R&D"
check "three members in order" test "$(j "$show" "','.join(m['name'] for m in d['members'])")" = "acme,globex,initech"
check "grace 2d in seconds" test "$(j "$show" "d['params']['grace']")" = 172800
check "half-life 30d in seconds" test "$(j "$show" "d['params']['half_life']")" = 2592000
check "the resolver" test "$(j "$show" "d['resolvers']")" = "['acme']"
check "not in force before signing" test "$(j "$show" "d['in_force']")" = False
id=$(j "$show" "d['id']")

check "acme signs" alliancectl charter sign "$T/c" -H "$T/acme"
check "-H before the command works too" alliancectl -H "$T/globex" charter sign "$T/c"
check "ALLIANCE_HOME works" env ALLIANCE_HOME="$T/initech" alliancectl charter sign "$T/c"
show=$(alliancectl charter show "$T/c" --json)
check "in force once all signed" test "$(j "$show" "d['in_force']")" = True
check "signing does not change the alliance id" test "$(j "$show" "d['id']")" = "$id"
check "every member is marked signed" test "$(j "$show" "all(m['signed'] for m in d['members'])")" = True
contains "text show says in force" "$(alliancectl charter show "$T/c")" "in force"

cp "$T/c" "$T/c.before"
fails "signing twice is refused" alliancectl charter sign "$T/c" -H "$T/acme"
alliancectl charter sign "$T/c" -H "$T/acme" 2>"$T/err"
contains "...and says who" "$(cat "$T/err")" "'acme' has already signed"
check "a refused signature changes nothing" cmp "$T/c" "$T/c.before"

allianced init "$T/outsider" --name outsider --listen "tcp://127.0.0.1:$(free_port)" >/dev/null
fails "a non-member cannot sign" alliancectl charter sign "$T/c" -H "$T/outsider"
alliancectl charter sign "$T/c" -H "$T/outsider" 2>"$T/err"
contains "...and the error lists the members" "$(cat "$T/err")" "acme, globex, initech"

# Tamper with the signed bytes: every signature must fail.
python3 - "$T/c" "$T/tampered" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.find(b'ship the widget')
b[i] ^= 0x20
open(sys.argv[2], 'wb').write(b)
PY
fails "a tampered charter is refused by show" alliancectl charter show "$T/tampered"
alliancectl charter show "$T/tampered" 2>"$T/err"
contains "...saying it was changed after signing" "$(cat "$T/err")" "changed after it was signed"
fails "a tampered charter cannot be signed" alliancectl charter sign "$T/tampered" -H "$T/globex"
printf 'not a charter' >"$T/junk"
fails "garbage is not a charter" alliancectl charter show "$T/junk"
fails "a missing file is an error" alliancectl charter show "$T/nope"

fails "one member is not an alliance" alliancectl charter new "$T/c1" --title Solo --member "$T/acme.card"
fails "a malformed card is refused" alliancectl charter new "$T/c2" --title X --member "acme:ed25519=zz" --member "$T/globex.card"
alliancectl charter new "$T/c2" --title X --member "acme:ed25519=zz" --member "$T/globex.card" 2>"$T/err"
contains "...quoting it" "$(cat "$T/err")" "acme:ed25519=zz"
check "...and writes nothing" test ! -e "$T/c2"
fails "the same member twice is refused" alliancectl charter new "$T/c3" --title X --member "$T/acme.card" --member "$T/acme.card"
fails "a resolver must be a member" alliancectl charter new "$T/c4" --title X --member "$T/acme.card" --member "$T/globex.card" --resolver hooli
fails "a bad duration names itself" alliancectl charter new "$T/c5" --title X --member "$T/acme.card" --member "$T/globex.card" --grace 3days
alliancectl charter new "$T/c5" --title X --member "$T/acme.card" --member "$T/globex.card" --grace 3days 2>"$T/err"
contains "...with the form to use" "$(cat "$T/err")" "'3days'"

# --quorum: a whole number from 1 to the number of members, never cut to fit.
for q in 4 0 -1 two 2x "" 4294967298 99999999999999999999999; do
	fails "--quorum '$q' with three members is refused" alliancectl charter new "$T/q" --title Q \
		--member "$T/acme.card" --member "$T/globex.card" --member "$T/initech.card" --quorum "$q"
done
alliancectl charter new "$T/q" --title Q --member "$T/acme.card" --member "$T/globex.card" \
	--member "$T/initech.card" --quorum 4294967298 2>"$T/err"; rc=$?
check "...as a usage error (exit status 2)" test "$rc" -eq 2
contains "...naming the value and the range" "$(cat "$T/err")" "bad --quorum '4294967298': give a number of members from 1 to 3"
check "...and writes nothing" test ! -e "$T/q"
check "--quorum 3 of 3 is fine" alliancectl charter new "$T/q" --title Q --member "$T/acme.card" \
	--member "$T/globex.card" --member "$T/initech.card" --quorum 3
check "...and is kept" test "$(alliancectl charter show "$T/q" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["quorum"])')" = 3

fails "a skew beyond 10 years is refused" alliancectl charter new "$T/c6" --title X --member "$T/acme.card" --member "$T/globex.card" --skew 99999999w
alliancectl charter new "$T/c6" --title X --member "$T/acme.card" --member "$T/globex.card" --skew 99999999w 2>"$T/err"
contains "...naming the field and the value" "$(cat "$T/err")" "skew of 99999999w"
check "...and writes nothing" test ! -e "$T/c6"
fails "a grace beyond 10 years is refused" alliancectl charter new "$T/c6" --title X --member "$T/acme.card" --member "$T/globex.card" --grace 3651d
fails "a half-life of 0 is refused" alliancectl charter new "$T/c6" --title X --member "$T/acme.card" --member "$T/globex.card" --half-life 0

# Text that is not UTF-8 cannot be shown or put in JSON: refused, naming
# the field and the byte.
fails "a title that is not UTF-8 is refused" alliancectl charter new "$T/c7" --title $'Acme\xff' --member "$T/acme.card" --member "$T/globex.card"
alliancectl charter new "$T/c7" --title $'Acme\xff' --member "$T/acme.card" --member "$T/globex.card" 2>"$T/err"
contains "...naming the field and the byte" "$(cat "$T/err")" "title is not valid UTF-8 (byte 0xff at position 4)"
check "...and writes nothing" test ! -e "$T/c7"
fails "an objective that is not UTF-8 is refused" alliancectl charter new "$T/c7" --title X --objective $'\xc0\xaf' --member "$T/acme.card" --member "$T/globex.card"
check "UTF-8 text is fine" alliancectl charter new "$T/c7" --title "Acme–Globex café" --member "$T/acme.card" --member "$T/globex.card"
check "...and shows as JSON" alliancectl charter show "$T/c7" --json
# A charter file made elsewhere with such a title (unsigned, so no signature
# stops it): show --json used to print nothing and exit 0.
python3 - "$T/c7" "$T/c8" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
assert "–".encode() in b
open(sys.argv[2], 'wb').write(b.replace("–".encode(), b"\xff\xfe\xfd"))
PY
fails "a charter file with a title that is not UTF-8 is refused" alliancectl charter show "$T/c8" --json
alliancectl charter show "$T/c8" --json 2>"$T/err"
contains "...saying so" "$(cat "$T/err")" "not valid UTF-8"

# A key readable by others is refused.
chmod 644 "$T/globex/sign.key"
fails "a world-readable key is refused" alliancectl charter sign "$T/c" -H "$T/globex"
alliancectl charter sign "$T/c" -H "$T/globex" 2>"$T/err"
contains "...with the fix" "$(cat "$T/err")" "chmod 600"
chmod 600 "$T/globex/sign.key"

# Many members with long names: the list of those who have not signed is
# cut to fit, with "...", never written past its buffer.
python3 - "$T/crowd" <<'PY' >"$T/crowd.args"
import sys
for i in range(100):
	print("--member")
	print("member-%04d-with-a-long-name-xyz:ed25519=%064x:x25519=%064x:tcp://10.0.%d.%d:7000"
	      % (i, 2 * i + 1, 2 * i + 2, i // 250, i % 250 + 1))
PY
mapfile -t crowd <"$T/crowd.args"
check "a charter of 101 members with long names" alliancectl charter new "$T/crowd" \
	--title Crowd --member "$T/acme.card" "${crowd[@]}"
out=$(alliancectl charter sign "$T/crowd" -H "$T/acme" 2>&1)
contains "sign lists who is missing, cut with '...'" "$out" "waiting for member-0000-with-a-long-name-xyz, "
contains "...ending in '...'" "$out" ", ..."
out=$(alliancectl charter show "$T/crowd" 2>&1)
contains "show says who is missing, cut with '...'" "$out" "waiting for member-0000-"
contains "...ending in '...'" "$out" ", ..."

check "charter --help" alliancectl charter --help
check "charter new --help" alliancectl charter new --help
check "charter sign --help" alliancectl charter sign --help
check "charter show --help" alliancectl charter show --help
fails "an unknown command is a usage error" alliancectl chartr new x
finish
