#!/usr/bin/env python3
"""Page index benchmark on the generated corpus (../shared/bench/gen_corpus.py).

Measures, in fresh processes, several rounds each:
  cold   - build the page index from nothing (Site() with an empty state folder),
           then serve the first article page through the Django stack;
  warm   - start on an existing index (nothing to parse), then serve the first article;
  change - edit one article's title on disk, Site.refresh(), serve it again and see the new title.
Writes a table between markers in docs/benchmarks.md (section "Page index").

Usage: benchmarks/bench_index.py [--n 10000] [--rounds 3] [--corpus DIR] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
BENCH_DATA = Path(os.environ.get("BENCH_DATA", REPO.parent / "bench-data"))

CHILD = r"""
import json, os, resource, sys, time
t0 = time.perf_counter()
from qalam.content.site import Site
from qalam.web.app import set_site
from django.test import Client
site_dir, state_dir, mode = sys.argv[1], sys.argv[2], sys.argv[3]
t_import = time.perf_counter() - t0
t1 = time.perf_counter()
site = Site(site_dir, state_dir=state_dir)
t_site = time.perf_counter() - t1
set_site(site)
client = Client()
t2 = time.perf_counter()
r = client.get("/news/00001")
assert r.status_code == 200, r.status_code
t_first = time.perf_counter() - t2
out = {"import": t_import, "site": t_site, "first_page": t_first, "parsed": site.last_sync.parsed}
if mode == "change":
    path = site.pages_dir / "01.news" / "00002" / "item.md"
    text = path.read_text(encoding="utf-8")
    new = text.replace("title: '", "title: 'ӨЗГЕРДІ ", 1)
    t3 = time.perf_counter()
    path.write_text(new, encoding="utf-8")
    report = site.refresh()
    r = client.get("/news/00002")
    t_change = time.perf_counter() - t3
    assert "ӨЗГЕРДІ" in r.content.decode(), "change not picked up"
    path.write_text(text, encoding="utf-8")
    out.update(change=t_change, change_parsed=report.parsed)
out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run_child(site_dir: Path, state_dir: Path, mode: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(site_dir), str(state_dir), mode],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def med(values):
    return statistics.median(values), min(values), max(values)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--corpus", type=Path, default=None)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    corpus = args.corpus or BENCH_DATA / f"corpus-{args.n}"
    if not (corpus / "grav" / "user" / "pages").is_dir():
        subprocess.run([sys.executable, str(SHARED / "bench" / "gen_corpus.py"), str(args.n), "--out", str(corpus)],
                       check=True)
    work = Path(tempfile.mkdtemp(prefix="qalam-bench-index-"))
    site_dir = work / "user"
    shutil.copytree(corpus / "grav" / "user", site_dir)
    rows = {"cold": [], "warm": [], "change": []}
    try:
        for _ in range(args.rounds):
            state = work / "state"
            shutil.rmtree(state, ignore_errors=True)
            rows["cold"].append(run_child(site_dir, state, "cold"))
            rows["warm"].append(run_child(site_dir, state, "warm"))
            rows["change"].append(run_child(site_dir, state, "change"))
            print(json.dumps({k: v[-1] for k, v in rows.items()}), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def fmt(key, sub):
        m, lo, hi = med([r[sub] for r in rows[key]])
        return f"{m:.2f} s ({lo:.2f}–{hi:.2f})"

    def fmt_ms(key, sub):
        m, lo, hi = med([r[sub] * 1000 for r in rows[key]])
        return f"{m:.0f} ms ({lo:.0f}–{hi:.0f})"

    table = "\n".join([
        f"Corpus: `gen_corpus.py {args.n}` ({args.n} articles, `grav/user`), {args.rounds} rounds, "
        f"fresh process each, median (min–max). Python {sys.version.split()[0]}, {os.cpu_count()} cores.",
        "",
        "| what | time | peak RSS |",
        "|---|---|---|",
        f"| build the page index from nothing (parse {rows['cold'][0]['parsed']} files) | {fmt('cold', 'site')} | "
        f"{statistics.median(r['maxrss_mb'] for r in rows['cold']):.0f} MB |",
        f"| then serve the first article (builds the language tree, renders) | {fmt_ms('cold', 'first_page')} | |",
        f"| start on an existing index (nothing to parse) | {fmt('warm', 'site')} | "
        f"{statistics.median(r['maxrss_mb'] for r in rows['warm']):.0f} MB |",
        f"| then serve the first article | {fmt_ms('warm', 'first_page')} | |",
        f"| pick up one changed file (write, refresh, serve the new title) | {fmt_ms('change', 'change')} | |",
        f"| Python imports (Django, Qalam) before any of the above | {fmt_ms('warm', 'import')} | |",
        "",
        "Command: `.venv/bin/python benchmarks/bench_index.py --n "
        f"{args.n} --rounds {args.rounds}`",
    ])
    print(table)
    if not args.no_write:
        write_section(REPO / "docs" / "benchmarks.md", "index", table)


def write_section(path: Path, name: str, body: str) -> None:
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{body}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
