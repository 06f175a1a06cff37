#!/usr/bin/env python3
"""bench/report.py MEASURES RAW OUT.json: the table make bench prints and the
JSON it writes, from bench/scale.sh's "PHASE KEY VALUE" lines and bench/bench's
raw limits ("name rate" lines: sign, verify, zmq_curve, fsync; one thread).

Each row: what, the small log's figure, the figure at scale, a ratio, the
issue's goal and whether it is met ("at 1M" when the goal is stated for 1M
messages and the run was smaller but not already over it). With phases named
growth-MESSAGES-MEMBERS (BENCH_GROWTH=1) it prints the growth table instead.
"""
import json
import os
import sys
import time

MB = 1024


def load(path):
    phases = {}
    with open(path) as f:
        for line in f:
            p, k, v = line.split()
            phases.setdefault(p, {})[k] = float(v) if v not in ("None", "null") else None
    return phases


def raw_limits(path):
    raw = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                k, v = line.split()
                raw[k] = float(v)
    return {
        "sign_per_s_per_core": raw.get("sign"),
        "verify_per_s_per_core": raw.get("verify"),
        "cores": os.cpu_count(),
        "zmq_curve_msgs_per_s": raw.get("zmq_curve"),
        "fsync_per_s": raw.get("fsync"),
    }


def row(what, unit, small, scale, ratio, ratio_of, goal, met):
    return {"what": what, "unit": unit, "small": small, "scale": scale, "ratio": ratio,
            "ratio_of": ratio_of, "goal": goal, "met": met}


def at_1m(value, limit, messages):
    if value is None:
        return None
    if value > limit:
        return "no"
    return "yes" if messages >= 1_000_000 else "at 1M"


def rows_for(s, b, raw):
    def get(p, k):
        return p.get(k)

    def ratio(a, c):
        return c / a if a and c is not None else None

    verify, cores = raw["verify_per_s_per_core"], raw["cores"]
    out = []
    for what, key, goal in (("accept (one act)", "accept_median_ms", 2),
                            ("trust", "trust_median_ms", 3),
                            ("status", "status_median_ms", 2)):
        r = ratio(get(s, key), get(b, key))
        out.append(row(f"{what}, median latency", "ms", get(s, key), get(b, key), r,
                       "scale / small", f"<= {goal}x", None if r is None else
                       ("yes" if r <= goal else "no")))
    # The scorecard cites every commitment it counts: its answer grows with
    # them (4 MB of JSON at 100k messages), so it has no ratio goal.
    sv, bv = get(s, "scorecard_median_ms"), get(b, "scorecard_median_ms")
    out.append(row("scorecard (cites every id), median latency", "ms", sv, bv,
                   ratio(sv, bv), "scale / small", "-", None))
    # The series in one pass (issue 12): against one replay to its last
    # instant, not one replay per point.
    for p in (s, b):
        p["series_replays"] = ratio(get(p, "asof_s"), get(p, "series_s"))
    pts = get(b, "series_points") or 0
    r = get(b, "series_replays")
    out.append(row(f"trust --series, {pts:.0f} points, in --as-of replays", "replays",
                   get(s, "series_replays"), r, None, "series / one --as-of", "<= 3 (one pass)",
                   None if r is None else ("yes" if r <= 3 else "no")))
    for key, label in (("asof_s", "trust --as-of a day ago (one replay)"),
                       ("report_s", "report -o FILE.html --as-of a day ago")):
        out.append(row(label, "s", get(s, key), get(b, key), ratio(get(s, key), get(b, key)),
                       "scale / small", "-", None))
    n = b.get("messages", 0)
    for key, label in (("rss_kb", "daemon RSS at the end (VmRSS)"),
                       ("hwm_kb", "daemon peak RSS (VmHWM)")):
        sv, bv = get(s, key), get(b, key)
        out.append(row(label, "MB", sv and sv / MB, bv and bv / MB, ratio(sv, bv),
                       "scale / small", "<= 64 MB at 1M", at_1m(bv and bv / MB, 64, n)))
    out.append(row("restart until status answers", "s", get(s, "restart_s"),
                   get(b, "restart_s"), ratio(get(s, "restart_s"), get(b, "restart_s")),
                   "scale / small", "<= 1 s at 1M", at_1m(get(b, "restart_s"), 1, n)))

    def rate(p, num, secs):
        return p[num] / p[secs] if p.get(num) and p.get(secs) else None

    sa, ba = rate(s, "audit_records", "audit_s"), rate(b, "audit_records", "audit_s")
    lim = cores * verify if verify else None
    r = ba / lim if ba and lim else None
    out.append(row("audit", "records/s", sa, ba, r, "scale / (cores x raw verify)",
                   ">= 0.9x", None if r is None else ("yes" if r >= 0.9 else "no")))
    sp, bp = get(s, "pipe_peer_per_s"), get(b, "pipe_peer_per_s")
    r = bp / verify if bp and verify else None
    out.append(row("durable commitments to a peer (3 daemons)", "msgs/s", sp, bp, r,
                   "scale / one core's raw verify", ">= 0.8x (stretch 1.2x)",
                   None if r is None else ("yes" if r >= 0.8 else "no")))
    sp, bp = get(s, "pair_peer_per_s"), get(b, "pair_peer_per_s")
    r = bp / verify if bp and verify else None
    out.append(row("the same, author and peer alone (2 daemons)", "msgs/s", sp, bp, r,
                   "scale / one core's raw verify", ">= 0.8x (stretch 1.2x)",
                   None if r is None else ("yes" if r >= 0.8 else "no")))
    sk, bk = get(s, "pipe_ack_per_s"), get(b, "pipe_ack_per_s")
    sign = raw["sign_per_s_per_core"]
    out.append(row("commit --batch acknowledged (signed, fsynced)", "msgs/s", sk, bk,
                   bk / sign if bk and sign else None, "scale / one core's raw sign", "-", None))
    for q in ("p50", "p99"):
        key = f"latency_{q}_ms"
        rate_s = get(b, "latency_rate")
        out.append(row(f"commit -> peer's log, {q} (at {rate_s or 0:.0f}/s)", "ms", get(s, key),
                       get(b, key), ratio(get(s, key), get(b, key)), "scale / small", "-", None))
    sc, bc = get(s, "follow_cpu_ms"), get(b, "follow_cpu_ms")
    secs = b.get("follow_seconds")
    met = None
    if bc is not None and secs:
        quiet = bc <= secs * 10 and b["follow_read_bytes"] <= b["follow_appended_bytes"] + 65536
        met = "yes" if quiet else "no"
    out.append(row(f"log --follow, CPU over {secs or 0:.0f} s idle", "ms", sc, bc,
                   ratio(sc, bc), "scale / small", "reads only what was appended", met))
    return out


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


def print_table(rows, title):
    print(title)
    print(f"  {'what':<46} {'unit':<10} {'small log':>10} {'at scale':>10} {'ratio':>7}  "
          f"{'goal':<28} met?")
    for r in rows:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        print(f"  {r['what']:<46} {r['unit']:<10} {fmt(r['small']):>10} {fmt(r['scale']):>10} "
              f"{ratio:>7}  {r['goal']:<28} {r['met'] or '-'}")


def growth_table(phases):
    keys = (("accept_median_ms", "accept ms"), ("accept_alone_median_ms", "alone ms"),
            ("idle_cpu_pct", "idle CPU %"), ("trust_median_ms", "trust ms"),
            ("status_median_ms", "status ms"), ("hwm_kb", "peak RSS MB"),
            ("restart_s", "restart s"), ("audit_rate", "audit rec/s"))
    print("alliance bench, growth: acme's daemon as the log and the alliance grow")
    print(f"  {'messages':>9} {'members':>7} " + " ".join(f"{h:>12}" for _, h in keys))
    out = []
    for name, p in sorted(phases.items(), key=lambda kv: (kv[1].get("members", 0),
                                                          kv[1].get("messages", 0))):
        if not name.startswith("growth-"):
            continue
        p = dict(p)
        if p.get("audit_records") and p.get("audit_s"):
            p["audit_rate"] = p["audit_records"] / p["audit_s"]
        if p.get("hwm_kb"):
            p["hwm_kb"] = p["hwm_kb"] / MB
        out.append({"messages": p.get("messages"), "members": p.get("members"),
                    **{k: p.get(k) for k, _ in keys}})
        print(f"  {p.get('messages', 0):>9,.0f} {p.get('members', 0):>7.0f} " +
              " ".join(f"{fmt(p.get(k)):>12}" for k, _ in keys))
    return out


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    phases = load(argv[0])
    raw = raw_limits(argv[1])
    run = phases.pop("run", {})
    doc = {"generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "load_average_before": run.get("load_before"), "load_average_after": run.get("load_after"),
           "raw": raw, "phases": phases}
    if any(k.startswith("growth-") for k in phases):
        doc["growth"] = growth_table(phases)
    else:
        s, b = phases.get("small", {}), phases.get("scale", {})
        doc["small_messages"], doc["scale_messages"] = s.get("messages"), b.get("messages")
        doc["members"] = b.get("members")
        doc["rows"] = rows_for(s, b, raw)
        print_table(doc["rows"], f"alliance bench: {s.get('messages', 0):,.0f} messages against "
                    f"{b.get('messages', 0):,.0f}, {b.get('members', 0):.0f} daemons on loopback, "
                    f"{raw['cores']} cores, load average {fmt(run.get('load_before'))} before, "
                    f"{fmt(run.get('load_after'))} after")
        print(f"  raw limits (one core): sign {fmt(raw['sign_per_s_per_core'])}/s, verify "
              f"{fmt(raw['verify_per_s_per_core'])}/s, ZeroMQ CURVE "
              f"{fmt(raw['zmq_curve_msgs_per_s'])} msgs/s, fdatasync {fmt(raw['fsync_per_s'])}/s")
    with open(argv[2], "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"  written: {argv[2]}")


if __name__ == "__main__":
    main(sys.argv[1:])
