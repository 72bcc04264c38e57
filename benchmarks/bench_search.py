#!/usr/bin/env python3
"""Search benchmark on the generated corpus: index build time and query latency.

Builds the search index of `gen_corpus.py N` from nothing (render + analyse + FTS5) in
a fresh state folder, then runs a fixed query set (Kazakh in Cyrillic, Latin and
without diacritics; one- and two-word queries) several times, reporting p50/p95
latency of `SearchService.search` (ranking, snippets and highlighting included).
Writes its table into docs/benchmarks.md (section "search").

Usage: benchmarks/bench_search.py [--n 10000] [--repeat 5] [--corpus DIR] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
BENCH_DATA = Path(os.environ.get("BENCH_DATA", REPO.parent / "bench-data"))

QUERIES = [
    "дәрігер", "dariger", "däriger", "дәрігерлердің", "орталығы", "ortalygy", "гематология",
    "Қазақстан", "qazaqstan", "цитометрия", "зертханалық диагностика", "денсаулық сақтау",
    "вице-министр", "коронавирус", "patsientter", "білім беру",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--corpus", type=Path, default=None)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    corpus = args.corpus or BENCH_DATA / f"corpus-{args.n}"
    if not (corpus / "grav" / "user" / "pages").is_dir():
        subprocess.run([sys.executable, str(SHARED / "bench" / "gen_corpus.py"), str(args.n), "--out", str(corpus)],
                       check=True)
    sys.path.insert(0, str(REPO / "src"))
    from qalam.content.site import Site
    from qalam.search.backend import SearchQuery
    from qalam.search.service import SearchService

    state = Path(tempfile.mkdtemp(prefix="qalam-bench-search-"))
    try:
        site = Site(corpus / "grav" / "user", state_dir=state)
        t0 = time.perf_counter()
        service = SearchService(site)
        report = service.sync()
        build = time.perf_counter() - t0
        size_mb = (state / "search.sqlite3").stat().st_size / 1e6
        t1 = time.perf_counter()
        again = service.sync()
        resync = time.perf_counter() - t1
        assert not again.changed
        backend = service.backend
        for q in QUERIES:  # warm-up
            service.search(SearchQuery(q=q))
        # Both rankings in the same rounds, interleaved: champion lists (the default) and
        # FTS5 scoring every match; they must give the same pages in the same order.
        times: dict[bool, list[float]] = {True: [], False: []}
        totals, differ = {}, []
        for _ in range(args.repeat):
            for q in QUERIES:
                answers = {}
                for champions in (True, False):
                    backend.champions = champions
                    t = time.perf_counter()
                    res = service.search(SearchQuery(q=q))
                    times[champions].append((time.perf_counter() - t) * 1000)
                    answers[champions] = [h.url for h in res.hits]
                    totals[q] = res.total
                if answers[True] != answers[False]:
                    differ.append(q)
        backend.champions = True

        def pct(values: list[float], p: float) -> float:
            values = sorted(values)
            return statistics.median(values) if p == 0.5 else values[max(0, int(len(values) * p) - 1)]

        p50, p95 = pct(times[True], 0.5), pct(times[True], 0.95)
        all_p50, all_p95 = pct(times[False], 0.5), pct(times[False], 0.95)
        site.close()
    finally:
        shutil.rmtree(state, ignore_errors=True)

    lines = [
        f"Corpus: `gen_corpus.py {args.n}` ({report.added} pages indexed). Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, SQLite FTS5.",
        "",
        "| what | figure |",
        "|---|---|",
        f"| build the search index from nothing (render, analyse, index {report.added} pages) | {build:.1f} s "
        f"({build / max(1, report.added) * 1000:.2f} ms a page) |",
        f"| index size | {size_mb:.0f} MB |",
        f"| re-sync with nothing changed | {resync * 1000:.0f} ms |",
        f"| query latency p50 ({len(QUERIES)} queries × {args.repeat}, snippets included) | {p50:.1f} ms |",
        f"| query latency p95 | {p95:.1f} ms |",
        f"| the same queries, FTS5 scoring every match (same rounds): p50 / p95 | {all_p50:.1f} / {all_p95:.1f} ms |",
        f"| queries whose first page differs between the two | {len(differ)}{': ' + ', '.join(differ) if differ else ''} |",
        "",
        "Queries and hit counts: " + ", ".join(f"`{q}` {totals[q]}" for q in QUERIES) + ".",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_search.py --n {args.n} --repeat {args.repeat}`",
    ]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_index import write_section

        write_section(REPO / "docs" / "benchmarks.md", "search" if args.n == 10000 else f"search-{args.n}", table)


if __name__ == "__main__":
    main()
