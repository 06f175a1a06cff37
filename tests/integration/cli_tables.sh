#!/usr/bin/env bash
# Terminal tables that fit (clients/table.h): the trust and commitments
# views size their columns from the data, measured as a terminal shows it
# (CJK two columns, combining accents none), so a member name of 32
# characters and a what in Japanese keep every column aligned; commitments
# shows LATE; with COLUMNS, what is promised is cut to fit, with the mark
# "…", and nothing else is; piped without COLUMNS, nothing is cut.
. "$(dirname "$0")/../lib.sh"

LONG=northwind_global_logistics_group # 32 characters, the longest name
CJK="株式会社グローバルとの共同開発: 試作品の納品と評価報告書"
ACCENT=$'Cafe\xcc\x81 re\xcc\x81sume\xcc\x81 de\xcc\x81livery for the nai\xcc\x88ve'
EMOJI="launch 🚀 party ✅ with every partner"

# aligned FILE RIGHT...: every line of the table in FILE has each column
# where its header is, in display columns (East Asian wide characters
# two, combining marks none): a left-aligned column starts where its
# header starts, a right-aligned one (headers RIGHT...) ends where its
# header ends, with a space (or the line's edge) on the other side. The
# last column is free text (spaces in it). Also: no line is wider than
# $MAXW when set.
aligned() {
	python3 - "$@" <<'PY'
import os, sys, unicodedata
def width(c):
    if unicodedata.category(c) in ('Mn', 'Me') or c in '\u200b\u200c\u200d\u2060\ufeff':
        return 0
    return 2 if unicodedata.east_asian_width(c) in 'WF' else 1
def cells(line):
    """The character shown at each display column."""
    out = []
    for c in line:
        w = width(c)
        if w == 0 and out:
            out[-1] += c
        out += [c] * w
    return out
path, right = sys.argv[1], set(sys.argv[2:])
lines = open(path, encoding='utf-8').read().splitlines()
if len(lines) < 2:
    sys.exit("no rows in %r" % lines)
head = cells(lines[0])
cols, k = [], 0
while k < len(head):  # headers are single words
    if head[k] != ' ':
        s = k
        while k < len(head) and head[k] != ' ':
            k += 1
        cols.append((''.join(head[s:k]), s, k))
    k += 1
bad = []
maxw = int(os.environ.get('MAXW') or 0)
for n, l in enumerate(lines[1:], 2):
    c = cells(l)
    at = lambda i: c[i] if 0 <= i < len(c) else ' '
    if maxw and len(c) > maxw:
        bad.append("line %d is %d columns wide, more than %d: %s" % (n, len(c), maxw, l))
    for name, s, e in cols:
        if name in right:
            ok = at(e - 1) != ' ' and at(e) == ' '
        else:
            ok = at(s) != ' ' and at(s - 1) == ' ' if s else at(0) != ' '
        if not ok:
            bad.append("line %d: column %s not at %d..%d: %s" % (n, name, s, e, l))
sys.exit("\n".join(bad) if bad else 0)
PY
}
# fits WIDTH FILE RIGHT...: aligned, and no line wider than WIDTH.
fits() { MAXW=$1 aligned "${@:2}"; }
# has FILE TEXT / lacks FILE TEXT: FILE holds (or not) TEXT, fixed bytes.
has() { LC_ALL=C grep -qF -- "$2" "$1" || { echo "'$2' not in:"; cat "$1"; return 1; }; }
lacks() { ! LC_ALL=C grep -qF -- "$2" "$1" || { echo "'$2' in:"; cat "$1"; return 1; }; }
# widest FILE: the display width of FILE's widest line.
widest() {
	python3 -c '
import sys, unicodedata
w = lambda c: 0 if unicodedata.category(c) in ("Mn", "Me") else 2 if unicodedata.east_asian_width(c) in "WF" else 1
print(max(sum(w(c) for c in l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()))' "$1"
}

start_alliance acme "$LONG" initech || { not_ok "three daemons joined and authoring"; finish; }
A=(-H "$T/acme") L=(-H "$T/$LONG")
c1=$(alliancectl commit "$CJK" --to "$LONG" --due +7d --value 500 "${A[@]}")
check "acme commits, in Japanese ($c1)" is_id "$c1" acme
c2=$(alliancectl commit "$ACCENT" --to acme --due -2d --past --value 20 "${L[@]}")
check "the 32-character member commits, with combining accents ($c2)" is_id "$c2" "$LONG"
c3=$(alliancectl commit "$EMOJI" --to "$LONG,initech" --due +3d --value 5 "${A[@]}")
check "acme commits to two, with emoji ($c3)" is_id "$c3" acme
check "acme holds the commitment to it" eventually 20 holds 1 "$LONG" acme
alliancectl accept "$c2" "${A[@]}" >/dev/null
check "$LONG holds acme's acceptance" eventually 20 holds 3 acme "$LONG"
alliancectl deliver "$c2" --note "two days late" "${L[@]}" >/dev/null
check "acme holds the late delivery" eventually 20 holds 2 "$LONG" acme

# --- piped, COLUMNS unset: full text, aligned
env -u COLUMNS alliancectl commitments "${A[@]}" >"$T/commitments" 2>&1
check "commitments: a header and three rows" test "$(wc -l <"$T/commitments")" -eq 4
check "commitments: the LATE column is shown" has "$T/commitments" "LATE"
check "...yes for the late delivery" python3 -c '
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
col = lines[0].index("LATE")
late = {l.split()[0]: l[col:col + 4].strip() for l in lines[1:]}
sys.exit(0 if late == {sys.argv[2]: "no", sys.argv[3]: "yes", sys.argv[4]: "no"} else "LATE: %r" % late)' \
	"$T/commitments" "$c1" "$c2" "$c3"
check "commitments: every column aligned (32-character names, CJK, accents, emoji)" \
	aligned "$T/commitments" VALUE
for w in "$CJK" "$ACCENT" "$EMOJI" "$LONG"; do
	check "commitments piped: '$w' whole" has "$T/commitments" "$w"
done
check "commitments piped: nothing cut" lacks "$T/commitments" "…"
env -u COLUMNS alliancectl trust "${A[@]}" >"$T/trust" 2>&1
check "trust: a header and three rows" test "$(grep -c . "$T/trust")" -ge 4
check "trust: every column aligned with a 32-character name" \
	aligned "$T/trust" TRUST UNCERT FULF LATE MISSED DISPUTED GIVEN RECEIVED RECIP
check "trust: the name whole" has "$T/trust" "$LONG "

# The scorecard's and the portfolio's tables too (their first lines; the
# partners table from its header).
# table FILE FROM: FILE's lines from the first matching the regex FROM to
# the line before the next empty or WARNING line.
table() { awk -v from="$2" '$0 ~ from { on = 1 } on && (/^$/ || /^ *WARNING/) { exit } on' "$1"; }
env -u COLUMNS alliancectl scorecard "${A[@]}" >"$T/scorecard" 2>&1
table "$T/scorecard" '^PARTNER ' >"$T/scorecard.table"
check "scorecard: a header and three rows" test "$(wc -l <"$T/scorecard.table")" -eq 4
check "scorecard: every column aligned with a 32-character name" \
	aligned "$T/scorecard.table" TRUST UNCERT RELIAB QUALITY RESPONS RECIP
check "...the name whole" has "$T/scorecard.table" "$LONG "
env -u COLUMNS alliancectl portfolio "${A[@]}" >"$T/portfolio" 2>&1
table "$T/portfolio" '^  PARTNER ' >"$T/portfolio.alliance"
check "portfolio: the alliance's table, a header and two rows" \
	test "$(wc -l <"$T/portfolio.alliance")" -eq 3
check "...every column aligned with a 32-character name" \
	aligned "$T/portfolio.alliance" TRUST UNCERT FULF LATE MISSED GIVEN RECEIVED
table "$T/portfolio" '^PARTNER ' >"$T/portfolio.partners"
check "portfolio: the partners table, a header and two rows" \
	test "$(wc -l <"$T/portfolio.partners")" -eq 3
check "...every column aligned with a 32-character name" \
	aligned "$T/portfolio.partners" TRUST UNCERT FULF LATE MISSED OPEN OVERDUE GIVEN \
	RECEIVED OWES-US WE-OWE
check "...the name whole" has "$T/portfolio.partners" "$LONG "

# --- COLUMNS: only what is promised is cut, with the mark, to fit
full=$(widest "$T/commitments")
fixed=$((full - $(python3 -c '
import sys, unicodedata
w = lambda c: 0 if unicodedata.category(c) in ("Mn", "Me") else 2 if unicodedata.east_asian_width(c) in "WF" else 1
print(sum(w(c) for c in sys.argv[1]))' "$CJK")))
cols=$((fixed + 12)) # room for 12 columns of what
COLUMNS=$cols alliancectl commitments "${A[@]}" >"$T/commitments.fit" 2>&1
check "COLUMNS=$cols (the table is $full wide): no line wider" fits $cols "$T/commitments.fit" VALUE
check "...the Japanese what is cut, with the mark" has "$T/commitments.fit" "株式会社グ…"
check "...so is the accented one (its accents kept)" has "$T/commitments.fit" $'Cafe\xcc\x81 re\xcc\x81sume\xcc\x81…'
check "...names, ids and times are whole" has "$T/commitments.fit" "$c2  $LONG  acme"
# Narrower than names, ids and times: what keeps 8 columns, the rest whole.
COLUMNS=60 alliancectl commitments "${A[@]}" >"$T/commitments.60" 2>&1
check "COLUMNS=60: still aligned" aligned "$T/commitments.60" VALUE
check "...what cut to 8 columns" has "$T/commitments.60" "launch …"
check "...the lines only as wide as names, ids and times need" \
	test "$(widest "$T/commitments.60")" -eq $((fixed + 8))
check "...names whole" has "$T/commitments.60" "$LONG,initech"
# The trust table has no free text: nothing to cut.
COLUMNS=60 alliancectl trust "${A[@]}" >"$T/trust.60" 2>&1
check "trust with COLUMNS=60: the same table" cmp "$T/trust" "$T/trust.60"
# COLUMNS that is not a positive number is not a width: as if unset.
COLUMNS=abc alliancectl commitments "${A[@]}" >"$T/commitments.abc" 2>&1
check "COLUMNS=abc: ignored, nothing cut" cmp "$T/commitments" "$T/commitments.abc"
COLUMNS=0 alliancectl commitments "${A[@]}" >"$T/commitments.0" 2>&1
check "COLUMNS=0: ignored, nothing cut" cmp "$T/commitments" "$T/commitments.0"
# --- the lists without headings: charter show's members, status's members
# and links, trust NAME's evidence and pairs; the second column starts at
# one column in every line of a list, whatever the name's length.
# second FILE PREFIX: the lines of FILE that start with PREFIX, then a
# word, then spaces: the next word starts at the same column in each.
second() {
	python3 - "$1" "$2" <<'PY'
import re, sys
path, prefix = sys.argv[1], sys.argv[2]
at = {}
for l in open(path, encoding='utf-8').read().splitlines():
    if l.startswith(prefix):
        m = re.match(re.escape(prefix) + r'\S+ +', l)
        at[l] = m.end() if m else -1
if len(at) < 2 or len(set(at.values())) != 1:
    sys.exit("second column not aligned (or fewer than 2 lines): %r" % at)
PY
}
alliancectl charter show "$T/charter" >"$T/show" 2>&1
check "charter show: the members' endpoints aligned" second "$T/show" "  "
check "...the long name whole" has "$T/show" "  $LONG  tcp://"
alliancectl status "${A[@]}" >"$T/status" 2>&1
check "status: the members' endpoints aligned" second "$T/status" "  member  "
check "status: the links aligned" second "$T/status" "  link    "
check "...the long name whole" has "$T/status" "  link    $LONG "
alliancectl trust acme "${A[@]}" --as-of +30d >"$T/trust.acme" 2>&1
check "trust NAME: the pairs aligned" second "$T/trust.acme" "  with "
check "...the long name whole" has "$T/trust.acme" "  with $LONG "
alliancectl trust "$LONG" "${A[@]}" --as-of +30d >"$T/trust.long" 2>&1
check "trust NAME: the evidence of the long name, its outcome after its id" \
	has "$T/trust.long" "  $c2 "
alliancectl scorecard acme "${A[@]}" --as-of +30d >"$T/scorecard.acme" 2>&1
check "scorecard NAME: the pairs aligned" second "$T/scorecard.acme" "  with "
check "...the long name whole" has "$T/scorecard.acme" "  with $LONG "
check "scorecard NAME: the value received, from the long name, aligned" \
	grep -qE "^  $c2 +received +[-0-9T:.Z]+ +from +$LONG +20.00$" "$T/scorecard.acme"
finish
