#!/usr/bin/env python3
"""bench/drive.py: the timed parts of bench/scale.sh that a shell cannot do
precisely: repeat a CLI call and take its latency, drive commits at a fixed
rate, and watch a peer's log file for the messages arriving.

  drive.py timeit N BUDGET CMD...        run CMD up to N times (at least 3,
        and no more once BUDGET seconds have passed); prints
        {"runs", "median_ms", "p90_ms"}; exits 1 if CMD ever fails
  drive.py timeach LIST CMD...            run CMD once per line of file LIST,
        each {} in CMD replaced by the line (an id to accept, say); prints
        {"runs", "median_ms", "p90_ms"}; exits 1 if CMD ever fails
  drive.py pipe HOME PEERLOG TAG N TO    HOME's daemon commits N commitments
        to member TO in one --batch (texts "TAG-i-"); the time until PEERLOG
        holds all N; prints {"n", "ack_per_s" (the batch's acknowledgement),
        "peer_per_s" (from the start until the last is in PEERLOG)}
  drive.py latency HOME TO PEERLOG TAG RATE N BUDGET
        start one `alliancectl commit` every 1/RATE s (at most 32 in flight:
        a daemon that cannot keep up slows the sender, and the achieved rate
        says so), sending for at most BUDGET s; prints {"sent", "arrived",
        "rate", "p50_ms", "p99_ms", "max_ms"}: from the start of each commit
        to its record appearing in PEERLOG

A record "appears" when its whole frame is in the file (the peer appends,
then its group commit's fdatasync follows within milliseconds); the peer's
log file is read from where it ended when the measure started, framing as
docs/log-format.md says (16-byte header; per record 4-byte length, 4-byte
CRC, payload), and each payload searched for the tag, which is plain text
inside the signed protobuf.
"""
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import threading
import time

CTL = "alliancectl"


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = min(len(xs) - 1, max(0, int(round(p / 100 * (len(xs) - 1)))))
    return xs[k]


class Watcher(threading.Thread):
    """Follows a log file from its current end; records when each frame whose
    payload holds TAG-<i>- was complete in the file."""

    def __init__(self, path, tag):
        super().__init__(daemon=True)
        self.path, self.pat = path, re.compile(re.escape(tag.encode()) + rb"-(\d+)-")
        self.arrived = {}
        self.stop = False
        self.off = os.path.getsize(path)

    def run(self):
        buf = b""
        with open(self.path, "rb") as f:
            f.seek(self.off)
            while not self.stop:
                chunk = f.read()
                if not chunk:
                    time.sleep(0.002)
                    continue
                t = time.monotonic()
                buf += chunk
                while len(buf) >= 8:
                    (n,) = struct.unpack_from("<I", buf)
                    if len(buf) < 8 + n:
                        break
                    m = self.pat.search(buf[8 : 8 + n])
                    if m:
                        self.arrived.setdefault(int(m.group(1)), t)
                    buf = buf[8 + n :]


def run_timed(cmd):
    t = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode:
        sys.exit(f"drive: {' '.join(cmd)} failed: {r.stderr.decode().strip()}")
    return (time.monotonic() - t) * 1000


def summary(ts):
    return {"runs": len(ts), "median_ms": statistics.median(ts), "p90_ms": pct(ts, 90)}


def timeit(n, budget, cmd):
    ts, start = [], time.monotonic()
    while len(ts) < n and (len(ts) < 3 or time.monotonic() - start < budget):
        ts.append(run_timed(cmd))
    return summary(ts)


def timeach(listfile, cmd):
    with open(listfile) as f:
        items = [line.strip() for line in f if line.strip()]
    if not items:
        sys.exit(f"drive: {listfile} is empty")
    return summary([run_timed([a.replace("{}", x) for a in cmd]) for x in items])


def pipe(home, peerlog, tag, n, to):
    w = Watcher(peerlog, tag)
    w.start()
    lines = "".join(
        json.dumps({"what": f"{tag}-{i}-", "to": [to], "due": "+30d", "value": i}) + "\n"
        for i in range(n)
    )
    t0 = time.monotonic()
    r = subprocess.run([CTL, "-H", home, "commit", "--batch", "-"], input=lines.encode(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t_ack = time.monotonic()
    if r.returncode:
        sys.exit(f"drive: commit --batch failed: {r.stderr.decode().strip()}")
    deadline = t_ack + 600
    while len(w.arrived) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    w.stop = True
    if len(w.arrived) < n:
        sys.exit(f"drive: the peer holds {len(w.arrived)} of {n} after 600 s")
    t_end = max(w.arrived.values())
    return {"n": n, "ack_per_s": n / (t_ack - t0), "peer_per_s": n / (t_end - t0)}


def latency(home, to, peerlog, tag, rate, n, budget):
    w = Watcher(peerlog, tag)
    w.start()
    sent, procs = {}, []
    t0 = time.monotonic()
    for i in range(n):
        due = t0 + i / rate
        while True:
            now = time.monotonic()
            procs = [p for p in procs if p.poll() is None]
            if now >= due and len(procs) < 32:
                break
            time.sleep(0.001)
        if now - t0 > budget:
            break
        sent[i] = time.monotonic()
        procs.append(subprocess.Popen(
            [CTL, "-H", home, "commit", f"{tag}-{i}-", "--to", to, "--due", "+1d"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    t_sent = time.monotonic()
    for p in procs:
        p.wait()
    deadline = time.monotonic() + 120
    while len(w.arrived) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.01)
    w.stop = True
    lat = [(w.arrived[i] - sent[i]) * 1000 for i in sent if i in w.arrived]
    return {"sent": len(sent), "arrived": len(lat), "rate": len(sent) / (t_sent - t0),
            "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": max(lat) if lat else None}


def main(a):
    if a[:1] == ["timeit"] and len(a) > 3:
        out = timeit(int(a[1]), float(a[2]), a[3:])
    elif a[:1] == ["timeach"] and len(a) > 2:
        out = timeach(a[1], a[2:])
    elif a[:1] == ["pipe"] and len(a) == 6:
        out = pipe(a[1], a[2], a[3], int(a[4]), a[5])
    elif a[:1] == ["latency"] and len(a) == 8:
        out = latency(a[1], a[2], a[3], a[4], float(a[5]), int(a[6]), float(a[7]))
    else:
        sys.exit(__doc__)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
