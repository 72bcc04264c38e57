#!/usr/bin/env python3
"""Save -> visible: how long after a save through the content API readers see it (issue 13).

Copies the `gen_corpus.py N` site, adds an editor account and its token, starts `qalam serve`
(the file watcher on, as in production) and then, over HTTP like any newsroom tool:

* edits a published article (`PUT /api/v1/pages/...` with a word no page has) and polls until
  the article page shows the word and until search finds the article by it;
* creates and publishes new articles (`POST /api/v1/pages`, `…/publish`) and polls the same way.

Reports p50/p95 of save -> page and save -> search (the clock starts before the request is
sent), the API call itself, and the first save on a site without a repository (git init and a
commit of every file). The target is p50 <= 1 s on 10,000 articles. No other system is measured
in the same run: Hugo, Pelican and nginx have no live editing to compare with (their figure is a
full rebuild, in the build benchmark). Writes its table into docs/benchmarks.md (bench:editor).

Usage: benchmarks/bench_editor.py [--n 10000] [--edits 20] [--creates 10] [--workers 1] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
BENCH_DATA = Path(os.environ.get("BENCH_DATA", REPO.parent / "bench-data"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_index import write_section  # noqa: E402
from bench_serve import free_port, wait_http  # noqa: E402

PASSWORD = "bench-editor-password-2026"


def call(method: str, url: str, token: str, body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Token {token}", "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as err:
        raise SystemExit(f"{method} {url}: {err.code} {err.read()[:300]!r}") from None


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code}"


def until(predicate, timeout: float = 30.0) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if predicate():
            return time.perf_counter()
        time.sleep(0.005)
    raise SystemExit("not visible within 30 s")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--creates", type=int, default=10)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--corpus", type=Path, default=None)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    corpus = args.corpus or BENCH_DATA / f"corpus-{args.n}"
    if not (corpus / "grav" / "user" / "pages").is_dir():
        subprocess.run([sys.executable, str(SHARED / "bench" / "gen_corpus.py"), str(args.n), "--out", str(corpus)],
                       check=True)
    work = Path(tempfile.mkdtemp(prefix="qalam-bench-editor-"))
    site = work / "user"
    exe = [sys.executable, "-m", "qalam.cli.main"]
    proc = None
    try:
        shutil.copytree(corpus / "grav" / "user", site, ignore=shutil.ignore_patterns(".qalam"))
        subprocess.run([*exe, "user", "add", "bench", "--role", "editor", "--email", "bench@example.kz",
                        "--site", str(site)], input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        token = subprocess.run([*exe, "user", "token", "bench", "--site", str(site)], text=True, check=True,
                               capture_output=True).stdout.strip()
        port = free_port()
        proc = subprocess.Popen([*exe, "serve", str(site), "--port", str(port), "--workers", str(args.workers)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/news", timeout=600)
        status, _h, listing = call("GET", f"{base}/api/v1/pages?per_page=200&status=published", token)
        lang = listing["items"][0]["lang"]
        articles = [i for i in listing["items"] if i["route"].count("/") == 2][: args.edits + 1]

        # The first save on a site without a repository: git init + a commit of every file.
        t0 = time.perf_counter()
        first = articles.pop()
        _s, headers, page = call("GET", f"{base}/api/v1/pages/{lang}{first['route']}", token)
        call("PUT", f"{base}/api/v1/pages/{lang}{first['route']}", token,
             {"header": page["header"], "body": page["body"] + "\n\nfirst"}, {"If-Match": headers["etag"]})
        first_save = time.perf_counter() - t0

        def visible(url_path: str, word: str, route: str) -> tuple[float, float]:
            t_page = until(lambda: word in fetch(base + url_path))
            t_search = until(lambda: route in fetch(f"{base}/search?q={urllib.parse.quote(word)}"))
            return t_page, t_search

        edit_api, edit_page, edit_search = [], [], []
        for i, item in enumerate(articles):
            word = f"qalambench{i}x{os.getpid()}"
            _s, headers, page = call("GET", f"{base}/api/v1/pages/{lang}{item['route']}", token)
            t0 = time.perf_counter()
            call("PUT", f"{base}/api/v1/pages/{lang}{item['route']}", token,
                 {"header": page["header"], "body": page["body"] + f"\n\nЖаңа сөз: {word}."},
                 {"If-Match": headers["etag"]})
            t_api = time.perf_counter()
            t_page, t_search = visible(item["url"], word, item["route"])
            edit_api.append(t_api - t0)
            edit_page.append(t_page - t0)
            edit_search.append(t_search - t0)

        new_api, new_page, new_search = [], [], []
        for i in range(args.creates):
            word = f"qalamjana{i}x{os.getpid()}"
            route = f"/news/bench-new-{os.getpid()}-{i}"
            t0 = time.perf_counter()
            _s, _h, created = call("POST", f"{base}/api/v1/pages", token, {
                "route": route, "lang": lang, "template": "item",
                "header": {"title": f"Жаңа мақала {i}", "date": time.strftime("%d-%m-%Y %H:%M")},
                "body": f"Лид.\n\n===\n\nМәтін {word}."})
            call("POST", f"{base}/api/v1/pages/{lang}{route}/publish", token)
            t_api = time.perf_counter()
            t_page, t_search = visible(created["url"], word, route)
            new_api.append(t_api - t0)
            new_page.append(t_page - t0)
            new_search.append(t_search - t0)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    def row(what: str, values: list[float]) -> str:
        return f"| {what} | {statistics.median(values) * 1000:.0f} ms | {pct(values, 0.95) * 1000:.0f} ms |"

    def verdict(values: list[float]) -> str:
        return "met" if statistics.median(values) <= 1.0 else "not met"
    body = "\n".join([
        f"Corpus: `gen_corpus.py {args.n}` ({args.n} articles), `qalam serve --workers {args.workers}` with the "
        f"file watcher, Python {sys.version.split()[0]}, {os.cpu_count()} cores. {len(edit_page)} edits of "
        f"published articles and {len(new_page)} new articles created and published, each with a word no other "
        "page has; the clock starts before the API request is sent and stops when a reader's request shows it.",
        "",
        "| what | p50 | p95 |",
        "|---|---|---|",
        row("edit: the API call (`PUT`, file write, git commit, index refresh)", edit_api),
        row("edit -> the article page shows it", edit_page),
        row("edit -> search finds it", edit_search),
        row("new article: `POST` + `publish` (two commits)", new_api),
        row("new article -> its page answers", new_page),
        row("new article -> search finds it", new_search),
        "",
        f"First save on a site without a git repository (`git init`, a commit of all {args.n} articles, then "
        f"the save): {first_save:.1f} s, once per site.",
        "",
        f"Target p50 <= 1 s: edit -> page **{verdict(edit_page)}**, edit -> search **{verdict(edit_search)}**, "
        f"new article -> page **{verdict(new_page)}**, new article -> search **{verdict(new_search)}**.",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_editor.py --n {args.n} --edits {args.edits} "
        f"--creates {args.creates} --workers {args.workers}`",
    ])
    print(body)
    if not args.no_write:
        name = "editor" if args.workers == 1 else f"editor-workers{args.workers}"
        write_section(REPO / "docs" / "benchmarks.md", name, body)


if __name__ == "__main__":
    main()
