#!/usr/bin/env python3
"""Run every benchmark, one after the other, and let each write its section of docs/benchmarks.md.

    .venv/bin/python benchmarks/run_all.py            # full runs (about half an hour)
    .venv/bin/python benchmarks/run_all.py --quick    # small corpora, fewer rounds (a few minutes)
    .venv/bin/python benchmarks/run_all.py --quick --no-write --only index,search

Setup once per machine: `apt-get install -y hugo nginx wrk time`, and the bench venv beside the
repository for the parser and Pelican anchors:
`python3 -m venv ../bench-venv && ../bench-venv/bin/pip install pelican markdown markdown-it-py
mdit-py-plugins 'mistune>=3' cmarkgfm pyromark && ../bench-venv/bin/pip install -e .`
Benchmarks are never part of the test suite: they need quiet machines and minutes, not seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BENCH_VENV = Path(os.environ.get("BENCH_VENV", REPO.parent / "bench-venv"))

# name -> (script, full arguments, quick arguments, python to use)
SUITE = {
    "index": ("bench_index.py", ["--n", "10000", "--rounds", "3"], ["--n", "1000", "--rounds", "2"], None),
    "markdown": ("bench_markdown.py", ["--rounds", "3"], ["--rounds", "1", "--limit", "1000"], "bench-venv"),
    "markdown-fast": ("bench_markdown_fast.py", ["--rounds", "3"], ["--rounds", "1", "--limit", "500", "--n", "1000"], None),
    "stemmer": ("bench_stemmer.py", [], [], None),
    "search": ("bench_search.py", ["--n", "10000", "--repeat", "5"], ["--n", "1000", "--repeat", "2"], None),
    "import": ("bench_import.py", ["--n", "10000", "--rounds", "3"], ["--n", "1000", "--rounds", "1"], None),
    "counter": ("bench_counter.py", ["--duration", "10"], ["--duration", "3"], None),
    "build": ("bench_build.py", ["--n", "10000", "--rounds", "3"], ["--quick"], None),
    "serve": ("bench_serve.py", ["--rounds", "3", "--duration", "10"], ["--quick"], None),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small corpora and few rounds")
    ap.add_argument("--no-write", action="store_true", help="print the tables, leave docs/benchmarks.md alone")
    ap.add_argument("--only", default="", help="comma-separated names: " + ",".join(SUITE))
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n] or list(SUITE)
    unknown = [n for n in names if n not in SUITE]
    if unknown:
        ap.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(SUITE)}")
    failed = []
    for name in names:
        script, full, quick, python = SUITE[name]
        exe = str(BENCH_VENV / "bin" / "python") if python == "bench-venv" else sys.executable
        if not Path(exe).exists():
            print(f"== {name}: skipped, {exe} is missing (see the setup in this script's docstring)", flush=True)
            failed.append(name)
            continue
        cmd = [exe, str(HERE / script), *(quick if args.quick else full), *(["--no-write"] if args.no_write else [])]
        print(f"== {name}: {' '.join(cmd)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run(cmd, cwd=REPO).returncode
        print(f"== {name}: {'ok' if rc == 0 else f'FAILED ({rc})'} in {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        raise SystemExit(f"benchmarks that did not run: {', '.join(failed)}")


if __name__ == "__main__":
    main()
