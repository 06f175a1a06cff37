#!/usr/bin/env bash
# Text from other firms never drives the terminal. A partner whose modified
# software signs terminal commands (ESC, CSI, OSC), forged table rows,
# carriage returns, C1 controls and bidi overrides into its messages and
# its charter gets them replicated and audited like any text; every text
# view of the other home (log, commitments, trust, status, audit, charter
# show, and --csv on a terminal) shows them escaped (\x1b, \u202e), --json carries them exactly, and
# alliancectl through this home's daemon refuses to sign such text at all.
. "$(dirname "$0")/../lib.sh"
MKLOG="$ROOT/$BUILD/tests/mklog"

# no_raw FILE: FILE holds no C0 control but newline and tab, no DEL, no C1
# control and no bidi or separator character (as UTF-8 bytes).
no_raw() {
	python3 - "$1" <<'PY'
import re, sys
b = open(sys.argv[1], 'rb').read()
m = re.search(rb'[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]|\xd8\x9c', b)
if m:
    print("raw %r at byte %d of %d" % (m.group(), m.start(), len(b)))
    sys.exit(1)
if not b:
    print("empty output")
    sys.exit(1)
PY
}
# has FILE TEXT: FILE holds TEXT (fixed bytes).
has() { LC_ALL=C grep -qF -- "$2" "$1" || { echo "'$2' not in:"; cat "$1"; return 1; }; }
# safe "what" FILE NEEDLE...: FILE has no raw control and shows each NEEDLE.
safe() {
	local what=$1 f=$2 n; shift 2
	check "$what: no raw control, bidi or separator character" no_raw "$f"
	for n in "$@"; do check "$what shows $n" has "$f" "$n"; done
}

# A partner's text, as its software signs it (bytes, whatever the locale).
TITLE=$'Evil\e[2J\e]0;owned\a alliance \xe2\x80\xaeftr.exe'
OBJ=$'win\e[31m\xc2\x9b2J'
CLEAR=$'clear\e[2Jretitle\e]0;pwned\ared\e[31m'
FORGED=$'row\nglobex/99      acme       FORGED'
CR=$'ok\rFAKE STATUS'
RLO=$'invoice \xe2\x80\xaegpj.exe and \xe2\x81\xa6iso\xe2\x81\xa9 \xe2\x80\xa8sep'
C1=$'c1 \xc2\x9b31mcsi \xc2\x9d0;t\xc2\x9c'
BSL='literal \x1b text'
NOTE=$'done\e[2K\e[1A fake line'

init_partners acme globex || { not_ok "setup"; finish; }
# alliancectl charter new refuses such a title now; the partner's own tool does not.
"$MKLOG" charter "$T/charter" --title "$TITLE" --objective "$OBJ" "$T/acme.card" "$T/globex.card" ||
	{ not_ok "a charter with a hostile title"; finish; }
for n in acme globex; do alliancectl charter sign "$T/charter" -H "$T/$n" >"$T/sign.$n" 2>&1; done
safe "charter sign" "$T/sign.globex" 'Evil\x1b[2J\x1b]0;owned\x07 alliance \u202eftr.exe'
alliancectl charter show "$T/charter" >"$T/show" 2>&1
safe "charter show" "$T/show" 'charter   Evil\x1b[2J\x1b]0;owned\x07 alliance \u202eftr.exe' \
	'objective win\x1b[31m\u009b2J'
check "charter show --json gives the title back exactly" \
	jq -e --arg t "$TITLE" --arg o "$OBJ" '.title == $t and .objectives == [$o]' \
	< <(alliancectl charter show "$T/charter" --json)

for n in acme globex; do start_daemon "$n" || { not_ok "$n starts"; finish; }; done
for n in acme globex; do alliancectl join "$T/charter" -H "$T/$n" >"$T/join.$n" 2>&1; done
for n in acme globex; do eventually 20 authoring_open "$n" || { not_ok "$n authoring"; finish; }; done
safe "join" "$T/join.acme" "joined alliance 'Evil\\x1b[2J"
first=$(alliancectl -H "$T/acme" commit "caf"$'\xc3\xa9'" for globex" --to globex --due +7d)
check "acme commits ($first)" test -n "$first"
check "globex holds acme's commitment" eventually 10 holds 1 acme globex

# globex's modified software signs hostile text (its daemon stopped, so
# its log has one writer); restarted, the daemon replicates it to acme.
check "globex stops" stop_daemon globex
for w in "$CLEAR" "$FORGED" "$CR" "$RLO" "$C1" "$BSL"; do
	"$MKLOG" author "$T/globex" --charter "$T/charter" --what "$w" >/dev/null || not_ok "mklog author"
done
"$MKLOG" author "$T/globex" --charter "$T/charter" --deliver globex/1 --note "$NOTE" >/dev/null ||
	not_ok "mklog deliver"
check "globex restarts" start_daemon globex
check "acme receives all seven hostile messages" eventually 15 holds 7 globex acme

# --- every text view of acme shows them escaped
WANT=('clear\x1b[2Jretitle\x1b]0;pwned\x07red\x1b[31m' 'row\nglobex/99      acme       FORGED'
      'ok\rFAKE STATUS' 'invoice \u202egpj.exe and \u2066iso\u2069 \u2028sep'
      'c1 \u009b31mcsi \u009d0;t\u009c' 'literal \\x1b text')
alliancectl log -H "$T/acme" >"$T/log" 2>&1
safe "log" "$T/log" "${WANT[@]}" 'delivered: done\x1b[2K\x1b[1A fake line'
# Every line is a record's, numbered from 0 (receipts may come in meanwhile,
# so the count is the log's own): none was forged by a newline.
check "log: one line per record, no forged one" awk '$1 != NR - 1 { print "line " NR ": " $0; exit 1 }' "$T/log"
check "...and every record has its line" test "$(wc -l <"$T/log")" -ge 8
alliancectl commitments -H "$T/acme" >"$T/commitments" 2>&1
safe "commitments" "$T/commitments" "${WANT[@]}"
check "commitments: a header and one line per commitment" test "$(wc -l <"$T/commitments")" -eq 8
# The text is the last column: every row starts it where the header's WHAT does.
check "commitments: the columns stay aligned" python3 - "$T/commitments" <<'PY'
import sys
lines = open(sys.argv[1], encoding='utf-8').read().splitlines()
col = lines[0].index("WHAT")
bad = [l for l in lines[1:] if l[col - 1] != ' ' or l[col] == ' ']
sys.exit(print("misaligned:", bad) if bad else 0)
PY
# --csv is data for files and pipes; on a terminal (script gives
# alliancectl one) its text is escaped like every view's. The terminal
# ends lines with CR LF: only that CR is dropped before looking.
command -v script >/dev/null || not_ok "script (util-linux) is needed to give alliancectl a terminal"
script -qec "alliancectl commitments -H '$T/acme' --csv" /dev/null </dev/null 2>&1 |
	sed 's/\r$//' >"$T/commitments.tty"
safe "commitments --csv on a terminal" "$T/commitments.tty" "${WANT[@]}"
alliancectl commitments -H "$T/acme" --csv >"$T/commitments.csv" 2>&1
check "...and to a file, the text as it is" has "$T/commitments.csv" "$CLEAR"
alliancectl trust -H "$T/acme" >"$T/trust" 2>&1
safe "trust" "$T/trust" "globex"
alliancectl trust globex -H "$T/acme" >"$T/trust.globex" 2>&1
safe "trust NAME" "$T/trust.globex" "globex: trust"
alliancectl status -H "$T/acme" >"$T/status" 2>&1
safe "status" "$T/status" "alliance  'Evil\\x1b[2J\\x1b]0;owned\\x07 alliance \\u202eftr.exe'"
alliancectl status --check -H "$T/acme" >"$T/check" 2>&1
check "status --check: no raw control, bidi or separator character" no_raw "$T/check"
alliancectl audit "$T/acme" >"$T/audit" 2>&1
rc=$?
check "audit of acme passes: the store accepted what globex signed" test "$rc" -eq 0
safe "audit" "$T/audit" "charter 'Evil\\x1b[2J" "audit OK"
check "acme and globex audit clean against each other" alliancectl audit "$T/acme" --against "$T/globex"

# --- --json gives the exact text back, with no raw control either
alliancectl log -H "$T/acme" --json >"$T/log.json" 2>&1
check "log --json: no raw control, bidi or separator character" no_raw "$T/log.json"
for w in "$CLEAR" "$FORGED" "$CR" "$RLO" "$C1" "$BSL"; do
	check "log --json gives back $(printf %q "$w")" jq -e --arg w "$w" 'any(.[]; .what == $w)' "$T/log.json"
done
check "log --json gives back the note" jq -e --arg w "$NOTE" 'any(.[]; .note == $w)' "$T/log.json"
check "log --json keeps other text as UTF-8 (not \\u00e9)" has "$T/log.json" "caf"$'\xc3\xa9'" for globex"
alliancectl commitments -H "$T/acme" --json >"$T/commitments.json" 2>&1
check "commitments --json: no raw control, bidi or separator character" no_raw "$T/commitments.json"
check "commitments --json gives back every text" jq -e --arg a "$CLEAR" --arg b "$FORGED" \
	--arg c "$CR" --arg d "$RLO" --arg e "$C1" --arg f "$BSL" \
	'[.[].what] | contains([$a, $b, $c, $d, $e, $f])' "$T/commitments.json"
alliancectl status -H "$T/acme" --json >"$T/status.json" 2>&1
check "status --json: no raw control, bidi or separator character" no_raw "$T/status.json"
check "status --json gives back the title" jq -e --arg t "$TITLE" '.alliances[0].title == $t' "$T/status.json"
alliancectl audit "$T/acme" --json >"$T/audit.json" 2>&1
check "audit --json: no raw character, ok" jq -e '.ok' "$T/audit.json"
check "...and no raw control, bidi or separator character" no_raw "$T/audit.json"
# --follow prints JSON Lines through the same escaping.
timeout -s INT 2 alliancectl log -H "$T/acme" --follow --json >"$T/follow.jsonl" 2>&1
check "log --follow --json: no raw control, bidi or separator character" no_raw "$T/follow.jsonl"
check "log --follow --json gives back the text" jq -se --arg w "$RLO" 'any(.[]; .what == $w)' "$T/follow.jsonl"

# --- this home signs no such text: refused, named, nothing authored
records=$(jq_status acme "a['records']")
head=$(seq_in acme acme)
refused() { # refused WHAT NEEDLE command...: fails, its error names NEEDLE safely
	local what=$1 needle=$2; shift 2
	"$@" >"$T/ref.out" 2>"$T/ref.err"
	local rc=$?
	check "$what is refused" test "$rc" -ne 0
	check "...naming the character and its position" has "$T/ref.err" "$needle"
	check "...in an error that is itself safe to print" no_raw "$T/ref.err"
}
refused "commit with ESC" "commitment 1: WHAT holds U+001B ESCAPE at character 6" \
	alliancectl -H "$T/acme" commit "$CLEAR" --to globex --due +7d
refused "commit with U+202E" "U+202E RIGHT-TO-LEFT OVERRIDE at character 9" \
	alliancectl -H "$T/acme" commit "$RLO" --to globex --due +7d
refused "commit with a C1 CSI" "U+009B CONTROL SEQUENCE INTRODUCER at character 4" \
	alliancectl -H "$T/acme" commit "$C1" --to globex --due +7d
refused "commit with a carriage return" "U+000D CARRIAGE RETURN at character 3" \
	alliancectl -H "$T/acme" commit "$CR" --to globex --due +7d
printf '{"what": "fine", "to": "globex", "due": "+7d"}\n{"what": "bad\\u001b[2J", "to": "globex", "due": "+7d"}\n' >"$T/batch"
refused "a batch with one such line" "--batch line 2: WHAT holds U+001B ESCAPE" \
	alliancectl -H "$T/acme" commit --batch "$T/batch"
refused "deliver --note with OSC" "--note holds U+001B ESCAPE at character 5" \
	alliancectl -H "$T/acme" deliver "$first" --note "$NOTE"
refused "dispute --reason with U+2028" "--reason holds U+2028 LINE SEPARATOR" \
	alliancectl -H "$T/globex" dispute "$first" --reason $'bad\xe2\x80\xa8'
refused "task add with ESC in its title" "the task's TITLE holds U+001B ESCAPE" \
	alliancectl -H "$T/acme" task add $'\e[2Jplan' --owner globex --due +7d
check "nothing was authored: acme's feed is where it was" test "$(seq_in acme acme)" -eq "$head"
check "...and its log holds no new record" test "$(jq_status acme "a['records']")" -eq "$records"
refused "charter new with ESC in its title" "--title holds U+001B ESCAPE at character 5" \
	alliancectl charter new "$T/c2" --title "$TITLE" --member "$T/acme.card" --member "$T/globex.card"
check "...and writes no charter" test ! -e "$T/c2"
refused "charter new with ESC in an objective" "--objective 1 holds U+001B ESCAPE at character 4" \
	alliancectl charter new "$T/c3" --title ok --objective "$OBJ" --member "$T/acme.card" --member "$T/globex.card"

# Newlines and tabs are text: signed, and shown escaped on one line.
id=$(alliancectl -H "$T/acme" deliver "$first" --note $'done:\n\tline two')
check "deliver --note with a newline and a tab is signed ($id)" test -n "$id"
contains "...and log shows it on one line" "$(alliancectl log -H "$T/acme")" 'delivered: done:\n\tline two'
contains "commit --help says such text is refused" "$(alliancectl commit --help)" "control characters"

for n in acme globex; do check "$n stops cleanly" stop_daemon "$n"; done
finish
