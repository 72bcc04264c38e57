#!/usr/bin/env python3
"""Serving: a cached article page from `qalam serve` against nginx serving the same bytes.

Starts `qalam serve` on a copy of the demo site and nginx (own config, 127.0.0.1 only) with
the article's exact HTML as a static file, then runs wrk against each, interleaved, several
rounds; reports req/s, latency and errors, and the ratio to nginx per round. Also measures
the first (uncached) render of articles of the generated corpus in-process (p50/p95), and
the cold start of `qalam serve` on that corpus with an existing index (time to first page).
Every server is stopped by PID at the end; traffic stays on loopback.

Setup: apt-get install -y nginx wrk
Usage: benchmarks/bench_serve.py [--rounds 3] [--duration 10] [--workers 2] [--quick] [--no-write]

`--workers` is the number of `qalam serve` processes (default 2, the number of nginx workers
it is compared with).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
BENCH_DATA = Path(os.environ.get("BENCH_DATA", REPO.parent / "bench-data"))
ARTICLE = "/kk/news/2026-11-22-mobile-clinic"

NGINX_CONF = """worker_processes 2;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types;
  access_log off; sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 65; keepalive_requests 100000; open_file_cache max=10000 inactive=60s;
  client_body_temp_path {prefix}/tmp/body; proxy_temp_path {prefix}/tmp/proxy;
  fastcgi_temp_path {prefix}/tmp/fastcgi; uwsgi_temp_path {prefix}/tmp/uwsgi; scgi_temp_path {prefix}/tmp/scgi;
  server {{ listen 127.0.0.1:{port}; root {root}; index index.html; }}
  # The production setup of docs/serving.md: the static export first, Qalam for the rest.
  upstream qalam_up {{ server 127.0.0.1:{qport}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{pport};
    root {public};
    error_page 418 = @qalam;
    if ($http_cookie ~* "sessionid|csrftoken") {{ return 418; }}
    if ($args) {{ return 418; }}
    location / {{ try_files $uri $uri/index.html @qalam; }}
    location ^~ /api/ {{ return 418; }}
    location ^~ /editor/ {{ return 418; }}
    location = /_qalam/view {{ return 418; }}
    location @qalam {{
      proxy_pass http://qalam_up; proxy_http_version 1.1;
      proxy_set_header Connection ""; proxy_set_header Host $host;
    }}
  }}
}}
"""
#: An article left out of the export, as one published after the last build: through nginx's
#: try_files it is answered by Qalam (from its page cache).
FALLBACK = "/kk/news/2022-08-15-doctors-seminar"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"{url} did not answer in {timeout}s")


def wrk(url: str, duration: int) -> dict:
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{duration}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    unit = {"us": 0.001, "ms": 1, "s": 1000}[p50.group(2)]
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    return {"rps": rps, "p50_ms": float(p50.group(1)) * unit, "errors": errors}


def first_renders(corpus_user: Path, count: int) -> dict[str, tuple[float, float]]:
    """p50/p95 ms of rendering distinct articles once each (render cache cold, related articles
    from a built search index), in-process: through
    the render pipeline as `qalam serve` renders a page-cache miss (serve/direct.py, with the
    server's headers), and through Django (the full view stack), alternating articles."""
    code = f"""
import asyncio, statistics, sys, time, logging
logging.disable(logging.WARNING)
from qalam.content.site import Site
from qalam.web.app import get_asgi_application, set_site
from qalam.serve.direct import PipelineASGI
from qalam.render.reply import Request
from django.test import Client
site = Site({str(corpus_user)!r})  # the default state folder, reused by the cold start below
from qalam.search.service import for_site
for_site(site).sync(refresh=False)  # related articles come from the search index, as on a served site
set_site(site); c = Client(SERVER_NAME="localhost"); c.get('/news/00001')
direct = PipelineASGI(site, get_asgi_application(site))
times = {{"pipeline": [], "django": []}}
for i in range(2, {count} + 2):
    path = '/news/%05d' % i
    t = time.perf_counter()
    if i % 2:
        r = direct.render(Request(path, host="localhost")); status = r.status; kind = "pipeline"
    else:
        status = c.get(path).status_code; kind = "django"
    times[kind].append((time.perf_counter() - t) * 1000)
    assert status == 200
for kind, ts in times.items():
    ts.sort(); print(kind, statistics.median(ts), ts[int(len(ts) * .95) - 1])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {line.split()[0]: (float(line.split()[1]), float(line.split()[2])) for line in out.splitlines()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--n", type=int, default=10000, help="corpus for first-render and cold-start figures")
    ap.add_argument("--workers", type=int, default=2,
                    help="qalam serve --workers (default 2: as many processes as nginx runs)")
    ap.add_argument("--cold-starts", type=int, default=5, help="server starts measured for the cold start")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.duration, args.n = 2, 5, 1000
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"missing {tool}: apt-get install -y nginx wrk")
    work = Path(tempfile.mkdtemp(prefix="qalam-bench-serve-"))
    work.chmod(0o755)  # nginx workers run as an unprivileged user
    procs: list[subprocess.Popen] = []
    try:
        site = work / "demo"
        shutil.copytree(REPO / "examples" / "demo-site", site, ignore=shutil.ignore_patterns(".qalam"))
        qport, nport = free_port(), free_port()
        env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
        procs.append(subprocess.Popen([sys.executable, "-m", "qalam.cli.main", "serve", str(site), "--port", str(qport),
                                       "--workers", str(args.workers), "--no-watch"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        qurl = f"http://127.0.0.1:{qport}{ARTICLE}"
        wait_http(qurl)
        body = urllib.request.urlopen(qurl).read()
        root = work / "static"
        (root / ARTICLE.lstrip("/")).mkdir(parents=True)
        (root / ARTICLE.lstrip("/") / "index.html").write_bytes(body)
        # The static export of the same site, for nginx's try_files (docs/serving.md).
        public, pport = work / "public", free_port()
        subprocess.run([sys.executable, "-m", "qalam.cli.main", "build", str(site), "-o", str(public),
                        "--base-url", f"http://127.0.0.1:{pport}"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(public / FALLBACK.lstrip("/"))
        prefix = work / "nginx"
        (prefix / "tmp").mkdir(parents=True)
        (prefix / "nginx.conf").write_text(NGINX_CONF.format(prefix=prefix, root=root, port=nport, qport=qport,
                                                             pport=pport, public=public))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        procs.append(subprocess.Popen([nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        nurl = f"http://127.0.0.1:{nport}{ARTICLE}/"
        wait_http(nurl)
        purl, furl = f"http://127.0.0.1:{pport}{ARTICLE}", f"http://127.0.0.1:{pport}{FALLBACK}"
        wait_http(purl)
        wait_http(furl)
        front_body = urllib.request.urlopen(purl).read()
        runs: dict[str, list[dict]] = {"nginx": [], "qalam": [], "front": [], "fallback": []}
        wrk(qurl, 2)  # warm-up
        wrk(furl, 2)
        targets = (("nginx", nurl), ("qalam", qurl), ("front", purl), ("fallback", furl))
        for rnd in range(args.rounds):
            for name, url in targets[:: 1 if rnd % 2 == 0 else -1]:
                runs[name].append(wrk(url, args.duration))
                print(f"round {rnd} {name}: {runs[name][-1]}", file=sys.stderr)
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)

    corpus = BENCH_DATA / f"corpus-{args.n}"
    if not (corpus / "grav" / "user").is_dir():
        subprocess.run([sys.executable, str(SHARED / "bench" / "gen_corpus.py"), str(args.n), "--out", str(corpus)],
                       check=True, stdout=subprocess.DEVNULL)
    tmp = Path(tempfile.mkdtemp(prefix="qalam-bench-render-"))
    try:
        shutil.copytree(corpus / "grav" / "user", tmp / "user")
        firsts = first_renders(tmp / "user", 600)
        p50, p95 = firsts["pipeline"]
        # Cold start with an existing index (built by first_renders above), several times: one
        # start varies by a second on a shared machine. Each starts a new server on the same site.
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache")}
        colds = []
        for _ in range(args.cold_starts):
            # The page must be rendered: no copy of it from the previous start's page cache.
            shutil.rmtree(tmp / "user" / ".qalam" / "pagecache", ignore_errors=True)
            port = free_port()
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "qalam.cli.main", "serve", str(tmp / "user"), "--port",
                                     str(port), "--workers", str(args.workers), "--no-watch"],
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_http(f"http://127.0.0.1:{port}/news/00001")
                colds.append(time.perf_counter() - t0)
            finally:
                proc.terminate()
                try:  # a worker still loading the 50k site answers SIGTERM only when it has loaded
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            print(f"cold start: {colds[-1]:.2f} s", file=sys.stderr)
        cold = statistics.median(colds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ratios = [q["rps"] / n["rps"] for q, n in zip(runs["qalam"], runs["nginx"])]
    ratio = statistics.median(ratios)
    front_ratio = statistics.median(f["rps"] / n["rps"] for f, n in zip(runs["front"], runs["nginx"]))
    fallback_ratio = statistics.median(f["rps"] / n["rps"] for f, n in zip(runs["fallback"], runs["nginx"]))
    med = {k: statistics.median(r["rps"] for r in v) for k, v in runs.items()}
    lat = {k: statistics.median(r["p50_ms"] for r in v) for k, v in runs.items()}
    errs = {k: sum(r["errors"] for r in v) for k, v in runs.items()}
    lines = [
        f"wrk -t2 -c64 -d{args.duration}s on 127.0.0.1, {args.rounds} rounds interleaved; the demo article "
        f"({len(body)} bytes) from `qalam serve --workers {args.workers}` (page cache) and the same bytes from nginx (2 workers, sendfile). "
        f"Client and servers share the machine's {os.cpu_count()} cores.",
        "",
        "| server | req/s, median | p50 latency | errors (socket + non-2xx) | ratio to nginx (per round, median) |",
        "|---|---|---|---|---|",
        f"| nginx, static file | {med['nginx']:,.0f} | {lat['nginx']:.2f} ms | {errs['nginx']} | 1.00 |",
        f"| qalam serve, cached article | {med['qalam']:,.0f} | {lat['qalam']:.2f} ms | {errs['qalam']} | {ratio:.2f} |",
        f"| nginx in front (docs/serving.md): the article from the static export (`try_files`) | {med['front']:,.0f} "
        f"| {lat['front']:.2f} ms | {errs['front']} | {front_ratio:.2f} |",
        f"| nginx in front: an article not in the export, answered by `qalam serve` (page cache) through "
        f"nginx | {med['fallback']:,.0f} | {lat['fallback']:.2f} ms | {errs['fallback']} | {fallback_ratio:.2f} |",
        "",
        f"The export's copy of the article ({len(front_body)} bytes) has the export's absolute URLs; the bytes are "
        "otherwise those `qalam serve` answers.",
        "",
        f"First (uncached) render of an article, {args.n}-article corpus, 300 distinct articles each way, in process: "
        f"through the render pipeline as `qalam serve` renders a page-cache miss (serve/direct.py) p50 {p50:.2f} ms, "
        f"p95 {p95:.2f} ms; through Django's whole view stack p50 {firsts['django'][0]:.2f} ms, p95 {firsts['django'][1]:.2f} ms.",
        f"Cold start of `qalam serve` on the {args.n}-article corpus with an existing index, to the first article "
        f"answered: {cold:.2f} s, median of {len(colds)} starts ({min(colds):.2f}–{max(colds):.2f}); the first "
        f"start after the index was built: {colds[0]:.2f} s.",
        "",
        f"Targets: cached page ≥ 40 % of nginx — **{'met' if ratio >= 0.4 else 'not met'}** ({ratio:.0%}) from "
        f"`qalam serve` alone, **{'met' if front_ratio >= 0.4 else 'not met'}** ({front_ratio:.0%}) with nginx serving "
        "the export in front; "
        f"zero errors under load — **{'met' if errs['qalam'] == 0 else 'not met'}**; first render p50 ≤ 2 ms (pipeline issue; "
        f"10 ms before) — **{'met' if p50 <= 2 else 'not met'}** ({p50:.2f} ms); cold start ≤ 2 s on 50k — "
        f"**{'met' if cold <= 2 else 'not met'}** ({cold:.2f} s on {args.n}).",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_serve.py --rounds {args.rounds} --duration {args.duration} "
        f"--n {args.n} --workers {args.workers}`",
    ]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_index import write_section

        write_section(REPO / "docs" / "benchmarks.md", "serve", table)


if __name__ == "__main__":
    main()
