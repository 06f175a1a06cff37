"""spans.py: a span as alliancectl words it (lib/when.c's when_span), for
the tests that compare what a page or a text view shows (PYTHONPATH=tests/tools)."""


def duration(h):
    """A span of h hours, as when_span words it."""
    ms = round(h * 3600000)
    sign, u = ("-" if ms < 0 else ""), abs(ms)
    if u < 1000: return "%s%d ms" % (sign, u)
    for unit, nxt, one, many in ((1000, 60, "s", "s"), (60000, 60, "min", "min"),
                                 (3600000, 48, "h", "h"), (86400000, 0, "day", "days")):
        tenths, whole = (u + unit // 20) // (unit // 10), (u + unit // 2) // unit
        if tenths < 100:
            name = one if tenths == 10 else many
            return "%s%d%s %s" % (sign, tenths // 10, ".%d" % (tenths % 10) if tenths % 10 else "", name)
        if not nxt or whole < nxt: return "%s%d %s" % (sign, whole, many)
