#!/usr/bin/env bash
# alliancectl portfolio: acme in two alliances with different charters
# (Alpha: acme, globex, initech; Beta: acme, globex, hooli). Its portfolio
# holds both, with the commitment counts and what acme owes and is owed
# as commitments --json gives them, each alliance's trust table as trust
# --json gives it in every member's home, and globex (the same key in
# both) once across alliances with both records; --offline prints the
# same document, and so does a frozen daemon (never asked); the text view names every alliance; a home that joined
# nothing gets an empty portfolio and says so.
. "$(dirname "$0")/../lib.sh"
export PYTHONPATH="$ROOT/tests/tools"  # spans.py

init_partners acme globex initech hooli || { not_ok "four homes"; finish; }
new_charter() { # FILE TITLE MEMBERS... [-- OPTIONS...]
	local file=$1 title=$2 args=() n; shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=(--member "$T/$1.card"); shift; done
	[ "${1:-}" = -- ] && shift
	alliancectl charter new "$file" --title "$title" "${args[@]}" "$@" >/dev/null || return 1
	for n in "${args[@]}"; do [ "$n" = --member ] || { n=${n##*/}; alliancectl charter sign \
		"$file" -H "$T/${n%.card}" >/dev/null || return 1; }; done
}
check "charter Alpha (acme, globex, initech)" new_charter "$T/alpha" "Alpha R&D" acme globex initech
check "charter Beta (acme, globex, hooli; a grace of 1h)" \
	new_charter "$T/beta" "Beta Ventures" acme globex hooli -- --grace 1h
for n in acme globex initech hooli; do start_daemon "$n" || { not_ok "start $n"; finish; }; done
for n in acme globex initech; do alliancectl join "$T/alpha" -H "$T/$n" >/dev/null; done
for n in acme globex hooli; do alliancectl join "$T/beta" -H "$T/$n" >/dev/null; done
all_open() { status_true "$1" "len(d['alliances']) == $2 and all(x['authoring'] == 'open' for x in d['alliances'])"; }
check "acme and globex: two alliances, authoring open" eventually 30 eval 'all_open acme 2 && all_open globex 2'
check "initech and hooli: one each" eventually 30 eval 'all_open initech 1 && all_open hooli 1'

AL=(--alliance "Alpha R&D") BE=(--alliance "Beta Ventures")
a1=$(alliancectl commit "prototype" --to globex --due +10d --value 300 -H "$T/acme" "${AL[@]}")
a2=$(alliancectl commit "specs" --to globex,initech --due +5d --value 90 -H "$T/acme" "${AL[@]}")
alliancectl commit "review" --to acme --due +7d --value 120 -H "$T/globex" "${AL[@]}" >/dev/null
a4=$(alliancectl commit "late report" --to acme --due -1d --past --value 40 -H "$T/initech" "${AL[@]}")
b1=$(alliancectl commit "pilot" --to acme,hooli --due +3d --value 200 -H "$T/globex" "${BE[@]}")
b2=$(alliancectl commit "kit" --to hooli --due +4d --value 50 -H "$T/acme" "${BE[@]}")
b3=$(alliancectl commit "docs" --to acme --due -2h --past --value 10 -H "$T/hooli" "${BE[@]}")
check "seven commitments made" eval 'is_id "$a1" acme && is_id "$a2" acme && is_id "$a4" initech &&
	is_id "$b1" globex && is_id "$b2" acme && is_id "$b3" hooli'
check "globex accepts acme's prototype" eventually 20 alliancectl accept "$a1" -H "$T/globex" "${AL[@]}"
check "hooli accepts the kit" eventually 20 alliancectl accept "$b2" -H "$T/hooli" "${BE[@]}"
check "acme delivers it" eventually 20 alliancectl deliver "$b2" --note done -H "$T/acme" "${BE[@]}"
check "hooli confirms it" eventually 20 alliancectl confirm "$b2" --rating 5 -H "$T/hooli" "${BE[@]}"

# Every home holds every message of its alliances (states as acme sees them).
states() { alliancectl commitments --json -H "$T/$1" --alliance "$2" |
	python3 -c 'import json,sys; print(" ".join(sorted(c["state"] for c in json.load(sys.stdin))))'; }
settled() { local h; for h in "${@:3}"; do [ "$(states "$h" "$1")" = "$2" ] || return 1; done; }
check "Alpha settled in its three homes" eventually 20 settled "Alpha R&D" \
	"accepted overdue proposed proposed" acme globex initech
check "Beta settled in its three homes" eventually 20 settled "Beta Ventures" \
	"confirmed missed proposed" acme globex hooli

AS=$(abs_time +1h)
P=(alliancectl portfolio -H "$T/acme" --as-of "$AS")
check "portfolio --json from acme" eval '"${P[@]}" --json >"$T/acme.json"'
ID_A=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["alliances"][0]["id"])' "$T/acme.json")
ID_B=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["alliances"][1]["id"])' "$T/acme.json")
for h in acme globex initech; do
	alliancectl trust --json -H "$T/$h" --alliance "$ID_A" --as-of "$AS" >"$T/trust.A.$h"
done
for h in acme globex hooli; do
	alliancectl trust --json -H "$T/$h" --alliance "$ID_B" --as-of "$AS" >"$T/trust.B.$h"
done
alliancectl commitments --json -H "$T/acme" --alliance "$ID_A" --as-of "$AS" >"$T/com.A"
alliancectl commitments --json -H "$T/acme" --alliance "$ID_B" --as-of "$AS" >"$T/com.B"
check "Alpha's trust: the same table in its three homes" eval \
	'cmp "$T/trust.A.acme" "$T/trust.A.globex" && cmp "$T/trust.A.acme" "$T/trust.A.initech"'
check "Beta's trust: the same in its three homes" eval \
	'cmp "$T/trust.B.acme" "$T/trust.B.globex" && cmp "$T/trust.B.acme" "$T/trust.B.hooli"'

# The document against what trust --json and commitments --json print.
py() { python3 - "$T" "$@" <<'EOF'
import json, sys
T, what = sys.argv[1], sys.argv[2]
doc = json.load(open(T + "/acme.json"))
A, B = doc["alliances"]
def load(n): return json.load(open(T + "/" + n))
def strip(row, extra): return {k: v for k, v in row.items() if k not in extra}
OPEN = ("proposed", "accepted", "overdue")
def expect(com, me):
    owes = sum(c["value"] for c in com if c["promisor"] == me and c["state"] in OPEN)
    owed = sum(c["value"] / len(c["to"]) for c in com if c["state"] in OPEN
               for t in c["to"] if t == me)
    n = lambda s: sum(c["state"] == s for c in com)
    return {"total": len(com), "open": n("proposed") + n("accepted") + n("overdue"),
            "proposed": n("proposed"), "accepted": n("accepted"), "overdue": n("overdue"),
            "missed": n("missed")}, owes, owed
def check(cond, why):
    if not cond:
        print(why); sys.exit(1)
if what == "alliances":
    check([A["title"], B["title"]] == ["Alpha R&D", "Beta Ventures"], "titles: %s" % [A["title"], B["title"]])
    check(doc["home"]["name"] == "acme" and A["me"] == "acme" and B["me"] == "acme", "me: %s" % doc["home"])
    check([m["name"] for m in A["members"]] == ["acme", "globex", "initech"], A["members"])
    check([m["name"] for m in B["members"] if m["me"]] == ["acme"], B["members"])
elif what == "counts":
    for a, f in ((A, "com.A"), (B, "com.B")):
        counts, owes, owed = expect(load(f), "acme")
        check(a["commitments"] == counts, "%s: %s, expected %s" % (a["title"], a["commitments"], counts))
        check(abs(a["owes"] - owes) < 1e-4 and abs(a["owed"] - owed) < 1e-4,
              "%s: owes %s owed %s, expected %s %s" % (a["title"], a["owes"], a["owed"], owes, owed))
    # The history: Alpha has an overdue commitment, Beta a missed one.
    check(A["commitments"]["overdue"] == 1 and B["commitments"]["missed"] == 1, "overdue/missed")
    check(A["owes"] == 390 and B["owes"] == 0 and abs(A["owed"] - 160) < 1e-9 and B["owed"] == 100,
          "owes/owed: %s %s %s %s" % (A["owes"], A["owed"], B["owes"], B["owed"]))
elif what == "trust":
    for a, f in ((A, "trust.A.acme"), (B, "trust.B.acme")):
        rows = [strip(r, ("key", "me")) for r in a["trust"]]
        check(rows == load(f), "%s: trust rows differ from trust --json:\n%s\n%s" % (a["title"], rows, load(f)))
        keys = {m["name"]: m["key"] for m in a["members"]}
        check(all(r["key"] == keys[r["partner"]] for r in a["trust"]), "keys of the trust rows")
elif what == "partners":
    ps = doc["partners"]
    check([p["names"] for p in ps] == [["globex"], ["hooli"], ["initech"]], "partners: %s" % [p["names"] for p in ps])
    g = ps[0]
    check([r["title"] for r in g["alliances"]] == ["Alpha R&D", "Beta Ventures"], g["alliances"])
    check(g["key"] == [m["key"] for m in A["members"] if m["name"] == "globex"][0] ==
          [m["key"] for m in B["members"] if m["name"] == "globex"][0], "globex's key")
    extra = ("alliance", "title", "open", "overdue", "owes_us", "owed_by_us")
    for r, f in zip(g["alliances"], ("trust.A.acme", "trust.B.acme")):
        want = [x for x in load(f) if x["partner"] == "globex"][0]
        check(strip(r, extra) == want, "globex in %s: %s, trust --json: %s" % (r["title"], r, want))
    ga, gb = g["alliances"]
    check((ga["open"], ga["owes_us"], ga["owed_by_us"]) == (1, 120, 345), "globex in Alpha: %s" % ga)
    check((gb["open"], gb["owes_us"], gb["owed_by_us"]) == (1, 100, 0), "globex in Beta: %s" % gb)
    t = g["totals"]
    for k in ("fulfilled", "late", "missed", "disputed", "open", "overdue"):
        check(t[k] == ga[k] + gb[k], "total %s: %s" % (k, t))
    for k in ("given", "received", "owes_us", "owed_by_us"):
        check(abs(t[k] - ga[k] - gb[k]) < 1e-4, "total %s: %s" % (k, t))
    check(t["alliances"] == 2, t)
    i = ps[2]["alliances"][0]
    check((i["open"], i["overdue"], i["owes_us"], i["owed_by_us"]) == (1, 1, 40, 45), "initech: %s" % i)
EOF
}
check "both alliances, by title, acme this firm in each" py alliances
check "counts, owes and owed: what commitments --json gives" py counts
check "each alliance's trust: trust --json's rows" py trust
check "globex once across alliances, both records, totals" py partners

check "--offline: the same document as the daemon's" \
	same_as --rows "${P[@]}" --json -- "${P[@]}" --json --offline
check "the daemon's text view is the log's too" same_as "${P[@]}" -- "${P[@]}" --offline
# Each alliance's three answers come from one ledger of its log, the
# daemon not asked: frozen, the same document at once.
"${P[@]}" --json >"$T/folio.json"
kill -STOP "$PID_acme"
check "a frozen daemon: the same document, the daemon not asked" \
	eval 'ALLIANCE_TIMEOUT=2 "${P[@]}" --json | cmp - "$T/folio.json"'
kill -CONT "$PID_acme"
out=$("${P[@]}")
contains "text: Alpha's block" "$out" "ALLIANCE Alpha R&D"
contains "text: Beta's block" "$out" "ALLIANCE Beta Ventures"
contains "text: what acme owes and is owed in Alpha" "$out" "acme owes 390.00 and is owed 160.00"
contains "text: the partners table" "$out" "PARTNERS ACROSS ALLIANCES"
check "text: globex has a line per alliance" test "$(grep -c '^globex ' <<<"$out")" = 2
check "...and totals; initech and hooli, in one each, none" \
	test "$(grep -c '^ *total ' <<<"$out")" = 1
contains "text: Alpha's counts, none missed" "$out" \
	"  commitments: 4 open (2 proposed, 1 accepted, 1 overdue), 4 in all"
contains "...Beta's: only the counts that are not zero" "$out" \
	"  commitments: 1 open (1 proposed), 1 missed, 3 in all"

# From globex's home: acme is the partner it shares both alliances with.
check "portfolio from globex" eval 'alliancectl portfolio -H "$T/globex" --as-of "$AS" --json >"$T/globex.json"'
check "...acme once, in both" test "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print([(p["names"], len(p["alliances"])) for p in d["partners"]])' "$T/globex.json")" = \
	"[(['acme'], 2), (['hooli'], 1), (['initech'], 1)]"

# Bad input changes nothing and says what to fix.
fails "a bad --as-of is refused" "${P[@]}" --as-of tomorrow
contains "...naming it" "$(alliancectl portfolio -H "$T/acme" --as-of tomorrow 2>&1)" "--as-of"
fails "a stray argument is refused" alliancectl portfolio -H "$T/acme" extra

# report --portfolio: the same document as a page; every number on it is
# the document's (the data-* hooks name where each came from).
R=(alliancectl report --portfolio -H "$T/acme" --as-of "$AS")
check "report --portfolio from acme's daemon" "${R[@]}" -o "$T/folio.html"
check "...--offline: the same page" eval '"${R[@]}" -o "$T/folio-log.html" --offline && cmp "$T/folio.html" "$T/folio-log.html"'
"${P[@]}" >"$T/acme.txt" || not_ok "portfolio's text view"
cat >"$T/page.py" <<'PY'
# page.py PAGE DOC TEXT: every number with a data-key on the page is the
# document's: its data-value the JSON's digits, the number shown rounded
# as portfolio's text view (TEXT) rounds that kind; at least 100 of them,
# and each alliance's and partner's; the trust shown is the text view's.
import json, sys
from html.parser import HTMLParser
doc = json.load(open(sys.argv[2]))
al = {a["id"]: a for a in doc["alliances"]}
firms = {p["key"]: p for p in doc["partners"]}
def glance(k):
    if k == "alliances": return len(al)
    if k == "partners": return len(firms)
    if k == "warnings": return sum(len(r["warnings"]) for a in al.values() for r in a["trust"])
    return sum(a["commitments"][k] for a in al.values())
def want(at):
    a, p, k = at.get("data-alliance"), at.get("data-partner"), at["data-key"]
    if k == "as_of": return doc["as_of"]
    if k.startswith("glance."): return glance(k[7:])
    if p in firms:  # the partners table: a record, or the totals
        f = firms[p]
        if a is None: return f["totals"][k.split(".", 1)[1]]
        return [r for r in f["alliances"] if r["alliance"] == a][0][k]
    x = al[a]
    if p is not None: return [r for r in x["trust"] if r["partner"] == p][0][k]
    if k == "members": return len(x["members"])
    if k == "warnings": return sum(len(r["warnings"]) for r in x["trust"])
    if k.startswith("commitments."): return x["commitments"][k.split(".", 1)[1]]
    return x[k]
from spans import duration  # tests/tools/spans.py: when_span's words
VALUES = ("owes", "owed", "given", "received", "owes_us", "owed_by_us")
def show(key, v):  # the text view's: trust %.4f, values and ratios %.2f, counts whole
    if v is None: return "\u2013"
    k = key.split(".")[-1]
    if k in ("trust", "uncertainty"): return "%.4f" % v
    if k == "age_days": return duration(v * 24)
    if k in VALUES or k == "reciprocity": return "%.2f" % v
    return "%d" % v
# The text view's trust rows: (alliance title, partner) -> "trust uncert".
text, title = {}, None
for line in open(sys.argv[3], encoding="utf-8"):
    if line.startswith("ALLIANCE "): title = line[9:].split("  (id")[0]
    elif title and line.startswith("  ") and len(line.split()) == 8 and line.split()[0] != "PARTNER":
        w = line.split(); text[(title, w[0], "trust")], text[(title, w[0], "uncertainty")] = w[1], w[2]
class P(HTMLParser):
    stack, n, bad, scripts, seen, viewed = [], 0, [], 0, set(), 0
    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        at = dict(attrs)
        self.stack.append(at if "data-key" in at and at["data-key"] != "title" else None)
        self.text = ""
    def handle_data(self, d): self.text = getattr(self, "text", "") + d
    def handle_endtag(self, tag):
        at = self.stack.pop() if self.stack else None
        if not at: return
        w, t = want(at), self.text.strip()
        if isinstance(w, str): ok = t == w
        else:
            ok = t == show(at["data-key"], w)
            if at["data-key"].startswith("glance."): ok = ok and "data-value" not in at
            else: ok = ok and at.get("data-value") == ("null" if w is None else json.dumps(w))
        self.n += 1
        self.seen.add(at.get("data-alliance")); self.seen.add(at.get("data-partner"))
        if not ok: self.bad.append((at, t, w))
        a = al.get(at.get("data-alliance"))
        tv = a and text.get((a["title"], at.get("data-partner"), at["data-key"]))
        if tv:
            self.viewed += 1
            if tv != t: self.bad.append(("text view", at, t, tv))
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
print(p.n, "numbers;", p.viewed, "against the text view;", len(p.bad), "differ:", p.bad[:3])
missing = (set(al) | set(firms)) - p.seen
sys.exit(bool(p.bad) or p.n < 100 or p.viewed < 8 or p.scripts or bool(missing) and print("not on the page:", missing))
PY
check "every number on the page is the document's, shown as the text view shows it" \
	python3 "$T/page.py" "$T/folio.html" "$T/acme.json" "$T/acme.txt"
sed 's/data-key="owes" data-value="390.0"/data-key="owes" data-value="391.0"/' "$T/folio.html" >"$T/wrong.html"
check "...a page with one wrong number fails that check" eval '! python3 "$T/page.py" "$T/wrong.html" "$T/acme.json" "$T/acme.txt"'
sed 's/data-key="owes" data-value="390.0">390.00</data-key="owes" data-value="390.0">390.0</' "$T/folio.html" >"$T/wrong.html"
check "...and one shown as JSON writes it" eval '! python3 "$T/page.py" "$T/wrong.html" "$T/acme.json" "$T/acme.txt"'
sed 's/data-key="glance.overdue">1</data-key="glance.overdue">2</' "$T/folio.html" >"$T/wrong.html"
check "...and a wrong count at a glance" eval '! python3 "$T/page.py" "$T/wrong.html" "$T/acme.json" "$T/acme.txt"'
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then
	check "chromium prints the page to PDF" timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--no-first-run --user-data-dir="$T/chromium" --print-to-pdf="$T/folio.pdf" \
		--no-pdf-header-footer "file://$T/folio.html"
	pdftotext "$T/folio.pdf" - 2>/dev/null | tr -s '[:space:]' ' ' >"$T/folio.txt"
	for s in "Portfolio of acme" "At a glance" "Alpha R&D" "Beta Ventures" "Partners across alliances" globex hooli initech 390.00; do
		contains "the printed page shows '$s'" "$(cat "$T/folio.txt")" "$s"
	done
else
	not_ok "chromium is installed (make test installs it: tools/install-deps chromium)"
fi
fails "report --portfolio --alliance is refused" "${R[@]}" -o "$T/x.html" --alliance "Alpha R&D"
contains "...saying what to drop" "$("${R[@]}" -o "$T/x.html" --alliance "Alpha R&D" 2>&1)" "drop --alliance"
check "...and writes nothing" test ! -e "$T/x.html"

# A home that joined nothing: an empty portfolio, said so, exit 0.
allianced init "$T/solo" --name solo --listen "tcp://127.0.0.1:$(free_port)" >/dev/null
check "a home with no alliance: exit 0" alliancectl portfolio -H "$T/solo"
contains "...and the message" "$(alliancectl portfolio -H "$T/solo")" "joined no alliance yet"
check "...an empty document in JSON" test "$(alliancectl portfolio -H "$T/solo" --json |
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["home"]["name"], d["alliances"], d["partners"])')" = \
	"solo [] []"
check "...and its page says so" eval 'alliancectl report --portfolio -H "$T/solo" -o "$T/solo.html" &&
	grep -q "joined no alliance yet" "$T/solo.html"'

for n in acme globex initech hooli; do stop_daemon "$n"; done
finish
