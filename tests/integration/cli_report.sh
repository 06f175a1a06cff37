#!/usr/bin/env bash
# alliancectl report -o FILE.html: three daemons, a history with a delivery
# on time, one late and one missed, and a partner's hostile text in the
# charter's title and in a commitment. The page is the same bytes from any
# home, with or without a daemon (never asked: one ledger of the log answers
# every query) for one --as-of; every number on it is what the
# CLI's --json prints for that --as-of; it has no script and fetches
# nothing; and headless Chromium renders it: the screenshot shows the
# charts, the printed text holds the title (as text), every partner, the
# scorecard's numbers and the warnings. Bad -o changes nothing.
. "$(dirname "$0")/../lib.sh"
export PYTHONPATH="$ROOT/tests/tools"  # spans.py
MKLOG="$ROOT/$BUILD/tests/mklog"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)

# The partner's text: markup and a right-to-left override.
TITLE=$'R&D <script>alert(1)</script> \xe2\x80\xaeevil'
WHAT=$'spec <script>alert(1)</script> \xe2\x80\xaegpj.exe'

init_partners acme globex initech || { not_ok "setup"; finish; }
"$MKLOG" charter "$T/charter" --title "$TITLE" --objective "a prototype by spring" --grace 2 --created -2h \
	"$T/acme.card" "$T/globex.card" "$T/initech.card" >/dev/null || { not_ok "a hostile charter"; finish; }
for n in acme globex initech; do alliancectl charter sign "$T/charter" -H "$T/$n" >/dev/null; done
for n in acme globex initech; do start_daemon "$n" || { not_ok "$n starts"; finish; }; done
for n in acme globex initech; do alliancectl join "$T/charter" -H "$T/$n" >/dev/null; done
for n in acme globex initech; do eventually 20 authoring_open "$n" || { not_ok "$n authoring"; finish; }; done
A=(-H "$T/acme") G=(-H "$T/globex") I=(-H "$T/initech")

# The history: acme on time, globex late, initech missed, one hostile text.
c1=$(alliancectl commit "a prototype" --to globex --due +60s --value 500 "${A[@]}")
c2=$(alliancectl commit "interface spec" --to acme --due +2s --value 200 "${G[@]}")
c3=$(alliancectl commit "test rig" --to acme,globex --due +1s --value 300 "${I[@]}")
check "three commitments" is_id "$c3" initech
check "initech stops" stop_daemon initech
"$MKLOG" author "$T/initech" --charter "$T/charter" --what "$WHAT" >/dev/null || not_ok "mklog author"
check "initech restarts" start_daemon initech
check "everyone holds everything" eventually 20 holds 2 initech acme globex
alliancectl deliver "$c1" --note done "${A[@]}" >/dev/null
check "globex holds the delivery" eventually 20 holds 2 acme globex
alliancectl confirm "$c1" --rating 5 "${G[@]}" >/dev/null
state_is() { [ "$(alliancectl commitments "${A[@]}" --json | python3 -c "import json,sys
print([c['state'] for c in json.load(sys.stdin) if c['id']=='$1'][0])")" = "$2" ]; }
check "globex's spec is overdue" eventually 20 state_is "$c2" overdue
alliancectl deliver "$c2" --note late "${G[@]}" >/dev/null
check "acme holds the late delivery" eventually 20 holds 3 globex acme
alliancectl confirm "$c2" --rating 4 --timeliness 1 "${A[@]}" >/dev/null
check "initech's rig is missed" eventually 20 state_is "$c3" missed
check "every home holds the confirmations" eventually 20 holds 3 acme globex initech
check "...and the late delivery" eventually 20 holds 3 globex initech
ASOF=$(abs_time +2s)

# --- the page, from the daemon and from the log: the same bytes
check "report from acme's daemon" alliancectl report -o "$T/daemon.html" "${A[@]}" --as-of "$ASOF"
check "report --offline (the log)" alliancectl report -o "$T/log.html" "${A[@]}" --as-of "$ASOF" --offline
check "report from globex's home, read offline" alliancectl report -o "$T/globex.html" \
	"$T/globex" --as-of "$ASOF" --offline
check "the daemon's page and the log's are the same bytes" cmp "$T/daemon.html" "$T/log.html"
check "...and globex's home gives the same page" cmp "$T/daemon.html" "$T/globex.html"
check "no temporary file is left beside it" test ! -e "$T/daemon.html.tmp"

# Every answer comes from one ledger of the log, as of one time, and the
# daemon is never asked: with acme's daemon frozen the page is written at
# once, the same bytes.
kill -STOP "$PID_acme"
check "a frozen daemon: the same page, the daemon not asked" eval 'ALLIANCE_TIMEOUT=2 \
	alliancectl report -o "$T/frozen.html" "${A[@]}" --as-of "$ASOF" && cmp "$T/daemon.html" "$T/frozen.html"'
kill -CONT "$PID_acme"
# Without --as-of, the page is the one --as-of its own time gives: the
# time it shows is what every number on it means.
page_as_of() { python3 -c 'import re,sys
print(re.search(r"data-key=\"as_of\">([^<]*)<", open(sys.argv[1]).read()).group(1))' "$1"; }
now_page() {
	alliancectl report -o "$T/now.html" "${A[@]}" &&
		alliancectl report -o "$T/again.html" "${A[@]}" --as-of "$(page_as_of "$T/now.html")" &&
		cmp "$T/now.html" "$T/again.html"
}
check "without --as-of: the page of --as-of the time it shows" now_page

# --- nothing that runs or fetches
no_active() {
	python3 - "$1" <<'PY'
import re, sys
h = open(sys.argv[1], encoding='utf-8').read()
bad = [p for p in (r'<script', r'https?:', r'(src|href|xlink:href|action)\s*=', r'url\(',
                   r'@import', r'<(iframe|object|embed|link|img|base|meta\s+http-equiv)\b',
                   r'\bon[a-z]+\s*=', r'(?<![:\w])//(?!\s)') if re.search(p, h, re.I)]
raw = re.search('[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029\x00-\x08\x0b-\x1f\x7f]', h)
if bad or raw or len(h) < 2000:
    print("active or raw content:", bad, raw, len(h)); sys.exit(1)
PY
}
check "the page has no script, no link, nothing to fetch, no raw bidi control" no_active "$T/daemon.html"
contains "the hostile title is escaped text" "$(cat "$T/daemon.html")" \
	'R&amp;D &lt;script&gt;alert(1)&lt;/script&gt; \u202eevil'
contains "...and so is the commitment's text" "$(cat "$T/daemon.html")" \
	'spec &lt;script&gt;alert(1)&lt;/script&gt; \u202egpj.exe'

# --- every number equals the CLI's JSON for the same --as-of
Q=("${A[@]}" --as-of "$ASOF")
alliancectl trust "${Q[@]}" --json >"$T/trust.json" &&
	alliancectl scorecard "${Q[@]}" --json >"$T/scorecard.json" &&
	alliancectl commitments "${Q[@]}" --json >"$T/commitments.json" ||
	not_ok "the CLI's JSON for $ASOF"
for n in acme globex initech; do alliancectl trust "$n" "${Q[@]}" --json >"$T/trust.$n.json"; done
read -r SINCE STEP < <(python3 -c '
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
print(re.search(r"data-key=\"since\">([^<]*)<", h).group(1), re.search(r"data-key=\"step\">([^<]*)<", h).group(1))' "$T/daemon.html")
alliancectl trust --series "$STEP" --since "$SINCE" "${Q[@]}" --json >"$T/series.json" ||
	not_ok "trust --series $STEP --since $SINCE"
alliancectl trust "${Q[@]}" >"$T/trust.txt" && alliancectl scorecard "${Q[@]}" >"$T/scorecard.txt" ||
	not_ok "the CLI's text views for $ASOF"
cat >"$T/numbers.py" <<'PY'
# numbers.py PAGE DIR: every number hook of PAGE against the CLI's JSON in
# DIR: its data-value is the JSON's digits, and the number shown is it
# rounded as the CLI's text views round that kind (show below).
import html.parser, json, sys
page, d = sys.argv[1], sys.argv[2]
J = lambda n: json.load(open(f"{d}/{n}.json"))
trust, card, cs, series = J("trust"), J("scorecard"), J("commitments"), J("series")
explain = {r["partner"]: J("trust." + r["partner"]) for r in trust}
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []; s.cells = []; s.attrs = []
    def handle_starttag(s, tag, a):
        a = dict(a); s.attrs.append(a)
        if tag not in ("br", "line", "rect", "circle", "path", "polygon", "polyline", "meta"):
            s.stack.append([a, ""])
    def handle_endtag(s, tag):
        if tag in ("br", "line", "rect", "circle", "path", "polygon", "polyline", "meta"): return
        a, text = s.stack.pop()
        if s.stack: s.stack[-1][1] += text
        s.cells.append((a, text))
    def handle_data(s, data):
        if s.stack: s.stack[-1][1] += data
p = P(); p.feed(open(page, encoding="utf-8").read())
from spans import duration  # tests/tools/spans.py: when_span's words
def show(key, v):  # trust's table %.4f; scorecard's scores, values %.2f; counts whole
    if v is None: return "\u2013"
    k = key.split(".")[-1]
    if k in ("trust", "uncertainty"): return "%.4f" % v
    if k.endswith("_hours"): return duration(v)
    if k == "age_days": return duration(v * 24)
    if isinstance(v, int) and k not in ("value", "given", "received"): return "%d" % v
    return "%.2f" % v
bad, n = [], 0
def same(what, a, shown, key, v):
    global n; n += 1
    want, exact = show(key, v), "null" if v is None else json.dumps(v)
    if shown.strip() != want: bad.append(f"{what}: page shows {shown.strip()!r}, CLI {want!r}")
    if a.get("data-value") != exact: bad.append(f"{what}: page holds {a.get('data-value')!r}, CLI {exact!r}")
rows = {r["partner"]: r for r in card}
trows = {r["partner"]: r for r in trust}
for a, text in p.cells:
    if "data-partner" in a and a.get("data-key") not in (None, "given", "received", "reciprocity"):
        v = rows[a["data-partner"]]
        for k in a["data-key"].split("."):
            v = v[k]
        same(f'{a["data-partner"]} {a["data-key"]}', a, text, a["data-key"], v)
    elif "data-from" in a:
        pair = [x for x in explain[a["data-from"]]["pairs"] if x["partner"] == a["data-to"]][0]
        same(f'{a["data-from"]} -> {a["data-to"]}', a, text, "given", pair["delivered_to"])
    elif a.get("data-key") == "value":
        same(f'value of {a["data-id"]}', a, text, "value", [c for c in cs if c["id"] == a["data-id"]][0]["value"])
    elif a.get("data-key", "").startswith("state."):
        n += 1
        if text != str(sum(c["state"] == a["data-key"][6:] for c in cs)): bad.append(a["data-key"])
# The reciprocity table's given/received/ratio are trust --json's too.
for a, text in p.cells:
    if a.get("data-key") in ("given", "received", "reciprocity") and "data-partner" in a:
        same(f'trust {a["data-partner"]} {a["data-key"]}', a, text, a["data-key"], trows[a["data-partner"]][a["data-key"]])
# At a glance: the counts, from the same answers.
state = lambda *s: sum(c["state"] in s for c in cs)
glance = {"members": len(trust), "commitments": len(cs), "open": state("proposed", "accepted", "overdue"),
          "overdue": state("overdue"), "missed": state("missed"),
          "fulfilled": sum(r["fulfilled"] for r in trust), "warnings": sum(len(r["warnings"]) for r in trust)}
shown = {a["data-key"][7:]: t for a, t in p.cells if a.get("data-key", "").startswith("glance.")}
if shown != {k: str(v) for k, v in glance.items()}: bad.append(f"at a glance {shown}, CLI {glance}")
warned = [a["data-warned"] for a in p.attrs if "data-warned" in a]
if warned != [r["partner"] for r in trust if r["warnings"]]: bad.append(f"warned {warned}")
n += len(glance)
glance_trust = [a for a in p.attrs if a.get("data-key") == "trust"]
if len(glance_trust) != 2 * len(trust): bad.append(f"{len(glance_trust)} trust cells, not 2 per partner")
# Each chart has the series' points; each commitment one mark.
for a in p.attrs:
    if "data-points" in a:
        n += 1
        if a["data-points"] != str(sum(r["partner"] == a["data-partner"] for r in series)): bad.append(f'points of {a["data-partner"]}')
marks = {a["data-id"] for a in p.attrs if "data-outcome" in a}
if marks != {c["id"] for c in cs}: bad.append(f"timeline marks {sorted(marks)}, commitments {[c['id'] for c in cs]}")
for r in card:
    for k in ("trust", "uncertainty"):
        if r[k] != trows[r["partner"]][k]: bad.append(f"scorecard {k} is not trust's")
# What the page shows is what the CLI's text views print: trust's table
# (PARTNER TRUST UNCERT ...) and scorecard's (... RELIAB QUALITY RESPONS RECIP).
text = {}
for f, cols in (("trust.txt", ("trust", "uncertainty")), ("scorecard.txt",
        ("trust", "uncertainty", "reliability.score", "quality.score", "responsiveness.score", "reciprocity.ratio"))):
    for line in open(f"{d}/{f}"):
        w = line.split()
        if w and w[0] in rows and len(w) > len(cols):
            for k, v in zip(cols, w[1:]): text.setdefault((w[0], k), set()).add("\u2013" if v == "-" else v)
for a, t in p.cells:
    key = (a.get("data-partner"), a.get("data-key"))
    if key in text:
        n += 1
        if text[key] != {t.strip()}: bad.append(f"{key}: page {t.strip()!r}, text view {text[key]}")
if len({k for k in text}) < 6 * len(card): bad.append(f"text views parsed: {sorted(text)}")
if bad or n < 40 or not len(series) or not marks:
    print(f"{n} numbers compared; wrong:", *bad[:20], sep="\n  "); sys.exit(1)
print(f"{n} numbers equal")
PY
check "every number on the page is the CLI's JSON for the same --as-of" python3 "$T/numbers.py" "$T/daemon.html" "$T"
sed 's/data-key="trust" data-value="\([0-9.]*\)"/data-key="trust" data-value="0.123"/' "$T/daemon.html" >"$T/wrong.html"
check "...a page with one wrong number fails that check" eval '! python3 "$T/numbers.py" "$T/wrong.html" "$T"'
sed 's/\(data-key="trust" data-value="[0-9.]*">[0-9.]*\)</\10</' "$T/daemon.html" >"$T/wrong.html"
check "...and so does one shown with a digit too many" eval '! python3 "$T/numbers.py" "$T/wrong.html" "$T"'
sed 's/data-key="glance.missed">[0-9]*</data-key="glance.missed">7</' "$T/daemon.html" >"$T/wrong.html"
check "...and a wrong count at a glance" eval '! python3 "$T/numbers.py" "$T/wrong.html" "$T"'
check "the trust charts have 60 to 100 points each" python3 -c '
import json, sys
s = json.load(open(sys.argv[1])); n = len(s) // 3
sys.exit(not (60 <= n <= 100) or print(n, "points"))' "$T/series.json"

# --- a real browser renders it
if [ -z "$CHROMIUM" ]; then
	not_ok "chromium is installed (make test installs it: tools/install-deps chromium)"
	finish
fi
browse() { timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$T/chromium" --hide-scrollbars "$@" "file://$T/daemon.html" 2>>"$T/chromium.log"; }
check "chromium takes a screenshot" browse --screenshot="$T/page.png" --window-size=1200,1600
check "chromium prints it to PDF" browse --print-to-pdf="$T/page.pdf" --no-pdf-header-footer
browse --dump-dom >"$T/dom.html"
cat >"$T/png.py" <<'PY'
# png.py FILE: the screenshot is not blank and shows the charts: the band's
# fill (#bcd4ec) and the trust line's (#1f4e8c) colours, in quantity.
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat = 8, b""
while pos < len(b):
    n, kind = struct.unpack(">I4s", b[pos:pos + 8]); data = b[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR": w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", data)
    elif kind == b"IDAT": idat += data
assert depth == 8 and ctype in (2, 6) and not inter, (depth, ctype, inter)
bpp = 4 if ctype == 6 else 3
raw, stride, prev, px = zlib.decompress(idat), w * bpp, bytearray(w * bpp), {}
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0; up = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + up) & 255
        elif f == 3: line[i] = (line[i] + (a + up) // 2) & 255
        elif f == 4:
            p = a + up - c; pa, pb, pc = abs(p - a), abs(p - up), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else up if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        k = bytes(line[x:x + 3]); px[k] = px.get(k, 0) + 1
    prev = line
near = lambda rgb, tol=4: sum(v for k, v in px.items() if all(abs(k[i] - rgb[i]) <= tol for i in range(3)))
white, band, line = px.get(b"\xff\xff\xff", 0), near((0xbc, 0xd4, 0xec)), near((0x1f, 0x4e, 0x8c))
print(f"{w}x{h}: {len(px)} colours, white {white}, band {band}, line {line}")
sys.exit(0 if len(px) > 50 and white < w * h * 0.97 and band > 5000 and line > 300 else 1)
PY
check "the screenshot is not blank and shows the bands and the trust lines" python3 "$T/png.py" "$T/page.png"
pdftotext "$T/page.pdf" "$T/page.raw" 2>/dev/null || not_ok "pdftotext (make test installs poppler-utils)"
# Text wrapped in a cell is cut at a space or inside a word: compare
# without white space.
tr -d '[:space:]' <"$T/page.raw" >"$T/page.txt"
printed() { grep -qF -- "${1//[[:space:]]/}" "$T/page.txt" || { echo "'$1' not in the printed page"; return 1; }; }
check "the printed page shows the hostile title as text" printed '<script>alert(1)</script> \u202eevil'
check "...and the commitment's text, escaped" printed '<script>alert(1)</script> \u202egpj.exe'
for n in acme globex initech; do check "...and partner $n" printed "$n"; done
for s in "At a glance" "Trust over time" "Scorecard" "Commitments" "Reciprocity" "Open warnings" "uncertainty band"; do
	check "...and '$s'" printed "$s"
done
while read -r num; do
	check "...and the scorecard number $num" printed "$num"
done < <(python3 -c 'import json,sys
for r in json.load(open(sys.argv[1])):
    print("%.4f" % r["trust"]); print("%.4f" % r["uncertainty"])' "$T/scorecard.json" | sort -u)
while read -r w; do
	check "...and the warning '$w'" printed "$w"
done < <(python3 -c 'import json,sys
for r in json.load(open(sys.argv[1])):
    for w in r["warnings"]: print(w)' "$T/trust.json")
check "there is a warning to show (initech's)" python3 -c 'import json,sys
sys.exit(not [w for r in json.load(open(sys.argv[1])) if r["partner"] == "initech" for w in r["warnings"]])' "$T/trust.json"
check "the rendered DOM has no script element and the title as text" python3 -c '
import sys
d = open(sys.argv[1], encoding="utf-8").read()
sys.exit("<script" in d or "&lt;script&gt;alert(1)" not in d)' "$T/dom.html"

# --- bad input: a clear error, nothing written
before=$(cat "$T/daemon.html")
fails "no -o" alliancectl report "${A[@]}" --as-of "$ASOF"
contains "...says -o is required" "$(alliancectl report "${A[@]}" 2>&1)" "-o FILE.html is required"
fails "-o in a directory that does not exist" alliancectl report -o "$T/nosuch/r.html" "${A[@]}"
contains "...names it and the fix" "$(alliancectl report -o "$T/nosuch/r.html" "${A[@]}" 2>&1)" \
	"no directory '$T/nosuch' to write it in; create it first"
check "...and creates nothing" test ! -e "$T/nosuch"
fails "--since after --as-of" alliancectl report -o "$T/daemon.html" "${A[@]}" --as-of "$ASOF" --since +1d
check "...and leaves the page as it was" test "$(cat "$T/daemon.html")" = "$before"
contains "an --as-of before the charter: names its creation, the default --since" \
	"$(alliancectl report -o "$T/x.html" "${A[@]}" --as-of 2020-01-01T00:00:00Z 2>&1)" \
	"the charter's creation (the default --since) $(alliancectl charter show "$T/charter" --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["created"])') is not before the evaluation time 2020-01-01T00:00:00Z: give a later --as-of"
check "...writes nothing" test ! -e "$T/x.html"
fails "a bad --as-of" alliancectl report -o "$T/x.html" "${A[@]}" --as-of tomorrow
check "...writes nothing" test ! -e "$T/x.html"
for n in acme globex initech; do stop_daemon "$n"; done
finish
