#!/usr/bin/env python3
"""View counter under load: wrk on 127.0.0.1 against one article's beacon, then an exact count check.

What it does (all on loopback, every process it starts is stopped by PID):
  1. copies examples/demo-site to a temporary folder and starts `qalam serve` on a free port
     (default flush interval, qalam.counter.flush_seconds = 5, so flushes happen under load);
  2. `wrk -t2 -c64 -d10s` GET of the article page (through Django: no page cache exists yet);
  3. `wrk -t2 -c64 -d10s -s beacon.lua`: POST /_qalam/view with the article's path and a browser
     User-Agent. One second before the end every connection switches to a beacon for a path that
     is not a page (answered 404, not counted), so that no *counted* request is still in flight
     when wrk stops: wrk drops in-flight requests at its deadline, which the server may still
     have counted. The Lua script counts, per thread, counted beacons sent and 204s received;
  4. stops the server with SIGTERM (clean shutdown: the last buffer is written) and checks that
     the stored total equals the 204s wrk received — exactly;
  5. the same beacon load against Django alone (the beacon view without the ASGI fast path that
     `qalam serve` puts in front), same exactness check, for comparison;
  6. in-process: the cost of `hit()` and of one flush.
Writes a section into docs/benchmarks.md (markers bench:counter).

Needs wrk (Debian: `apt-get install -y wrk`).
Usage: benchmarks/bench_counter.py [--duration 10] [--connections 64] [--threads 2] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "demo-site"
ARTICLE = "/kk/news/2022-07-20-experts-visit"
KEY = "kk:02.news/01.2022-07-20-experts-visit"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

LUA = r"""
-- POST the view beacon for one article; in the last second, a beacon for a non-page (404, not counted).
local headers = {["User-Agent"] = "%(ua)s", ["Content-Type"] = "text/plain;charset=UTF-8"}
local counted_req = wrk.format("POST", "/_qalam/view", headers, "%(path)s")
local tail_req = wrk.format("POST", "/_qalam/view", headers, "/kk/__bench-not-a-page")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  switch_at = os.time() + tonumber(args[1])
  sent, ok, tail, other = 0, 0, 0, 0
end

function request()
  if os.time() < switch_at then
    sent = sent + 1
    return counted_req
  end
  return tail_req
end

function response(status, headers, body)
  if status == 204 then ok = ok + 1 elseif status == 404 then tail = tail + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local s, o, t, x = 0, 0, 0, 0
  for _, th in ipairs(threads) do
    s = s + th:get("sent"); o = o + th:get("ok"); t = t + th:get("tail"); x = x + th:get("other")
  end
  io.write(string.format('COUNTS {"sent": %%d, "ok": %%d, "tail": %%d, "other": %%d, "requests": %%d, ' ..
    '"non2xx": %%d, "errors": %%d}\n', s, o, t, x, summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""

# Django alone: the beacon view without BeaconASGI in front, the writer started the same way.
DJANGO_ONLY = r"""
import sys, uvicorn
from qalam.content.site import Site
from qalam.news import counter
from qalam.web.app import get_asgi_application
site = Site(sys.argv[1])
app = get_asgi_application(site)
counter.start(site)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", lifespan="off")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise SystemExit(f"{url} not ready after {timeout:.0f} s")


def start(cmd: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=REPO)


def stop(proc: subprocess.Popen) -> int:
    """SIGTERM (a clean shutdown: uvicorn drains, the counter writes its buffer), then wait."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise SystemExit("server did not stop within 60 s of SIGTERM") from None


def wrk(args, url: str, script: Path | None = None, script_args: list[str] | None = None) -> dict:
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
           "-H", f"User-Agent: {BROWSER}"]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    print(out, file=sys.stderr)
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
           "requests": int(re.search(r"(\d+) requests in", out).group(1))}
    for q in ("50", "99"):
        m = re.search(rf"\s{q}%\s+([\d.]+)(us|ms|s)\b", out)
        res[f"p{q}_ms"] = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1000.0}[m.group(2)]
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"^COUNTS (\{.*\})$", out, re.M)
    if m:
        res["counts"] = json.loads(m.group(1))
    return res


def stored(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT n FROM counter_totals WHERE key = ?", (KEY,)).fetchone()
    return row[0] if row else 0


def beacon_run(args, site: Path, cmd: list[str], port: int, script: Path, log: Path, page_too: bool = False) -> dict:
    """Start a server on a fresh state, (GET the page,) load the beacon, stop cleanly, compare."""
    shutil.rmtree(site / ".qalam", ignore_errors=True)
    proc = start(cmd, log)
    base = f"http://127.0.0.1:{port}"
    out: dict = {}
    try:
        wait_ready(base + ARTICLE)
        if page_too:
            out["page"] = wrk(args, base + ARTICLE)
        out["beacon"] = wrk(args, base + "/_qalam/view", script, [str(max(1, args.duration - 1))])
        before = stored(site / ".qalam" / "state.sqlite3")
    finally:
        code = stop(proc)
    out["exit_code"] = code
    out["stored_before_stop"] = before
    out["stored"] = stored(site / ".qalam" / "state.sqlite3")
    return out


def micro() -> dict:
    """In-process: hit() cost and one flush of 1000 pages x 100 views."""
    from qalam.content.site import Site
    from qalam.news.counter import ViewCounter

    work = Path(tempfile.mkdtemp(prefix="qalam-bench-counter-micro-"))
    try:
        site = Site(DEMO, state_dir=work)
        vc = ViewCounter(site)
        vc._thread = object()  # keep the writer out of it: flushes are timed by hand
        n = 1_000_000
        t0 = time.perf_counter()
        for _ in range(n):
            vc.hit(KEY)
        hit_ns = (time.perf_counter() - t0) / n * 1e9
        vc.flush()
        for i in range(1000):
            vc.hit(f"kk:bench/{i:04d}", 100)
        t1 = time.perf_counter()
        vc.flush()
        flush_ms = (time.perf_counter() - t1) * 1000
        t2 = time.perf_counter()
        for _ in range(1000):
            vc.count(KEY)
        count_us = (time.perf_counter() - t2) / 1000 * 1e6
        site.close()
        return {"hit_ns": hit_ns, "flush_1000_ms": flush_ms, "count_us": count_us}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu), then run this again")

    work = Path(tempfile.mkdtemp(prefix="qalam-bench-counter-"))
    try:
        site = work / "demo"
        shutil.copytree(DEMO, site, ignore=shutil.ignore_patterns(".qalam"))
        script = work / "beacon.lua"
        script.write_text(LUA % {"ua": BROWSER, "path": ARTICLE}, encoding="utf-8")
        qalam = str(Path(sys.executable).with_name("qalam"))

        port = free_port()
        fast = beacon_run(args, site, [qalam, "serve", str(site), "--port", str(port), "--no-watch"], port, script,
                          work / "serve.log", page_too=True)
        port = free_port()
        django = beacon_run(args, site, [sys.executable, "-c", DJANGO_ONLY, str(site), str(port)], port, script,
                            work / "django.log")
        small = micro()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    results = {"fast": fast, "django": django, "micro": small}
    print(json.dumps(results, indent=2), file=sys.stderr)

    def check(run: dict) -> str:
        c = run["beacon"]["counts"]
        # wrk calls request() once more than it sends, to check the script (thread 0, before the run).
        exact = run["stored"] == c["ok"] and c["sent"] - 1 == c["ok"] and c["other"] == 0
        return ("**exact**" if exact else "**MISMATCH**") + f" ({run['stored']} stored = {c['ok']} answered 204)"

    def row(label: str, r: dict) -> str:
        return f"| {label} | {r['rps']:,.0f} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['requests']:,} |"

    fb, db_ = fast["beacon"], django["beacon"]
    body = "\n".join([
        f"`wrk -t{args.threads} -c{args.connections} -d{args.duration}s` on 127.0.0.1, client and server on the same "
        f"{os.cpu_count()} cores; demo site, article `{ARTICLE}`; Python {sys.version.split()[0]}; "
        "one run each (wrk's own figures).",
        "",
        "| load | req/s | p50 | p99 | requests |",
        "|---|---|---|---|---|",
        row("article page GET, `qalam serve` (Django renders it: no page cache yet)", fast["page"]),
        row("view beacon POST, `qalam serve` (ASGI fast path, before Django)", fb),
        row("view beacon POST, Django view only (no fast path), for comparison", db_),
        "",
        "Counts after a clean shutdown (SIGTERM), against what wrk saw:",
        "",
        "| server | beacons answered 204 (counted) | tail 404s (not counted) | stored at shutdown | check |",
        "|---|---|---|---|---|",
        f"| `qalam serve` | {fb['counts']['ok']:,} | {fb['counts']['tail']:,} | {fast['stored']:,} "
        f"(before the stop: {fast['stored_before_stop']:,}) | {check(fast)} |",
        f"| Django only | {db_['counts']['ok']:,} | {db_['counts']['tail']:,} | {django['stored']:,} "
        f"(before the stop: {django['stored_before_stop']:,}) | {check(django)} |",
        "",
        "wrk's \"Non-2xx\" responses are the tail only: in its last second every connection sends a beacon for a "
        "path that is not a page (404, not counted), so no counted beacon is in flight when wrk stops (wrk "
        "abandons in-flight requests at its deadline, which the server may still have counted). \"before the "
        "stop\" is what the periodic flushes (every 5 s) had written when SIGTERM was sent; the shutdown flush "
        "writes the rest (tests/web/test_counter.py checks that part with an hour-long interval).",
        "",
        f"In-process: `hit()` {small['hit_ns']:.0f} ns; `count()` {small['count_us']:.1f} µs; one flush of "
        f"1000 pages × 100 views {small['flush_1000_ms']:.1f} ms (one transaction).",
        "",
        "Command: `.venv/bin/python benchmarks/bench_counter.py`",
    ])
    print(body)
    if not args.no_write:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_index import write_section

        path = REPO / "docs" / "benchmarks.md"
        text = path.read_text(encoding="utf-8")
        if "<!-- bench:counter:start -->" not in text:
            path.write_text(text.rstrip("\n") + "\n\n## View counter (issue 4)\n\nViews are buffered in memory "
                            "and written by one thread every `qalam.counter.flush_seconds` (docs/counter.md); "
                            "this measures the beacon under load and checks that no view is lost or "
                            "invented.\n", encoding="utf-8")
        write_section(path, "counter", body)


if __name__ == "__main__":
    main()
