#!/usr/bin/env python3
"""Full static build: `qalam build` against Hugo and Pelican on the same generated corpus.

The corpus (`../shared/bench/gen_corpus.py N`) holds the same articles as a Grav site
(`grav/user`, Qalam's input), a Hugo site and a Pelican site. Each round runs every tool
once, in rotating order, as a fresh full build into an emptied output folder (Qalam also
from an empty state folder, so its page index is built too), under GNU time for peak
memory; then Qalam's incremental rebuild after one article's text changes. Reports medians,
min–max and per-round ratios against Hugo measured in the same round.

Setup (once per machine; see ../shared/bench/README.md):
    apt-get install -y hugo time
    python3 -m venv ../bench-venv && ../bench-venv/bin/pip install pelican markdown

Usage: benchmarks/bench_build.py [--n 10000] [--rounds 3] [--quick] [--no-write]
                                 [--no-warmup] [--pelican-rounds N] [--jobs N]
  --quick: 1 000 articles, 2 rounds (a few minutes).
  50k in reasonable time: --n 50000 --rounds 2 --no-warmup --pelican-rounds 1

After the rounds, `qalam build --watch` runs on the built output and the same kind of edit is
made several times: the rebuild time it reports and the time until the article is on disk.

Note that the outputs are not the same size: Hugo and Pelican build the bench kit's "core"
site (articles, the paginated index, one feed); `qalam build` writes the whole site
(every language page, listings, tag pages found by crawling, three feed formats, sitemaps,
renditions, the Latin edition of Kazakh pages). Both figures are reported.
"""

from __future__ import annotations

import argparse
import os
import re
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
BENCH_VENV = Path(os.environ.get("BENCH_VENV", REPO.parent / "bench-venv"))


def timed(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one command under GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name, *cmd], cwd=cwd, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", tf.read())
    return wall, (int(m.group(1)) / 1024 if m else float("nan"))


def watch_rebuilds(site: Path, out: Path, env: dict, rounds: int) -> list[tuple[float, float]]:
    """Per edit with `qalam build --watch` running: (seconds the rebuild took as the command
    reports it, seconds from the edit until the article's new text is in its output file)."""
    import threading

    proc = subprocess.Popen([sys.executable, "-m", "qalam.cli.main", "build", str(site), "-o", str(out),
                             "--base-url", "https://example.kz", "--watch"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()

    def wait_for(pattern: str, after: int, timeout: float = 600) -> re.Match:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in lines[after:]:
                if m := re.search(pattern, line):
                    return m
            time.sleep(0.01)
        raise SystemExit(f"qalam build --watch: no {pattern!r} in:\n{''.join(lines[-20:])}")

    results = []
    try:
        wait_for(r"^watching ", 0)
        folder = sorted((site / "pages" / "01.news").glob("0*/item.md"))[1]
        page = out / "news" / folder.parent.name / "index.html"
        text = folder.read_text(encoding="utf-8")
        for i in range(rounds):
            seen = len(lines)
            marker = f"ӨЗГЕРІС{i}x{os.getpid()}"
            started = time.perf_counter()
            folder.write_text(text.rstrip("\n") + f"\n\n{marker}\n", encoding="utf-8")
            while marker not in page.read_text(encoding="utf-8"):
                time.sleep(0.005)
            on_disk = time.perf_counter() - started
            rebuilt = float(wait_for(r"rebuilt in ([\d.]+) s", seen).group(1))
            results.append((rebuilt, on_disk))
            time.sleep(1.5)  # let it settle (collect garbage) as an editor's next save would
        folder.write_text(text, encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(30)
    return results


def count_files(path: Path) -> int:
    return sum(len(files) for _d, _s, files in os.walk(path))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--no-warmup", action="store_true", help="Count the first round too (for 50k).")
    ap.add_argument("--pelican-rounds", type=int, default=None,
                    help="Run Pelican in only the first N counted rounds (50k: ~10 min each).")
    args = ap.parse_args()
    if args.quick:
        args.n, args.rounds = 1000, 2
    corpus = BENCH_DATA / f"corpus-{args.n}"
    if not (corpus / "grav" / "user" / "pages").is_dir():
        subprocess.run([sys.executable, str(SHARED / "bench" / "gen_corpus.py"), str(args.n), "--out", str(corpus)],
                       check=True, stdout=subprocess.DEVNULL)
    for need in ("/usr/bin/time", shutil.which("hugo") or "hugo", str(BENCH_VENV / "bin" / "pelican")):
        if not Path(need).exists():
            raise SystemExit(f"missing {need}: see the setup lines in this script's docstring")
    work = Path(tempfile.mkdtemp(prefix="qalam-bench-build-"))
    site = work / "user"
    shutil.copytree(corpus / "grav" / "user", site)
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    tools = {
        "hugo": lambda out: (["hugo", "--quiet", "--source", str(corpus / "hugo"), "--destination", str(out)], None),
        "pelican": lambda out: ([str(BENCH_VENV / "bin" / "pelican"), str(corpus / "pelican" / "content"), "-s",
                                 str(corpus / "pelican" / "pelicanconf.py"), "-o", str(out), "-q"], None),
        "qalam": lambda out: ([sys.executable, "-m", "qalam.cli.main", "build", str(site), "-o", str(out), "--base-url", "https://example.kz",
                               "--jobs", str(args.jobs)], None),
    }
    # Qalam twice: from nothing (no .qalam/: the page index and the search index are built first,
    # as on a fresh clone) and with its derived state kept (a site that was built or served
    # before), each into an empty output folder.
    tools["qalam-kept"] = tools["qalam"]
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in tools}  # incl. "qalam-kept"
    files: dict[str, int] = {}
    incremental: list[float] = []
    order = [name for name in tools if name != "qalam-kept"]
    try:
        first = 1 if args.no_warmup else 0
        for rnd in range(first, args.rounds + 1):  # round 0 warms the page cache and is not counted
            for name in order[rnd % len(order):] + order[: rnd % len(order)]:
                if name == "pelican" and args.pelican_rounds is not None and rnd > args.pelican_rounds:
                    continue
                out = work / f"out-{name}"
                shutil.rmtree(out, ignore_errors=True)
                if name == "qalam":
                    shutil.rmtree(site / ".qalam", ignore_errors=True)
                cmd, cwd = tools[name](out)
                wall, rss = timed(cmd, cwd, env)
                files[name] = count_files(out)
                if rnd:
                    results[name].append((wall, rss))
                print(f"round {rnd} {name}: {wall:.2f} s, {rss:.0f} MB, {files[name]} files", file=sys.stderr)
                if name == "qalam":  # and again at once, its .qalam/ kept
                    kept_out = work / "out-qalam-kept"
                    shutil.rmtree(kept_out, ignore_errors=True)
                    wall, rss = timed(tools["qalam-kept"](kept_out)[0], None, env)
                    files["qalam-kept"] = count_files(kept_out)
                    shutil.rmtree(kept_out, ignore_errors=True)
                    if rnd:
                        results["qalam-kept"].append((wall, rss))
                    print(f"round {rnd} qalam-kept: {wall:.2f} s, {rss:.0f} MB", file=sys.stderr)
            if rnd:
                # Incremental: correct one article's text, build again into the existing output
                # (a new `qalam build`: Python, Django and the page index start again).
                article = next((site / "pages" / "01.news").glob("0*/item.md"))
                text = article.read_text(encoding="utf-8")
                article.write_text(text.rstrip("\n") + f"\n\nТҮЗЕТУ {rnd}\n", encoding="utf-8")
                wall, _rss = timed(tools["qalam"](work / "out-qalam")[0], None, env)
                incremental.append(wall)
                article.write_text(text, encoding="utf-8")
        # The same edits with `qalam build --watch` running: the site stays loaded.
        watch = watch_rebuilds(site, work / "out-qalam", env, rounds=max(3, args.rounds))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def med(name, i=0):
        vals = [r[i] for r in results[name]]
        return statistics.median(vals), min(vals), max(vals)

    hugo_t = [r[0] for r in results["hugo"]]
    ratios = {name: statistics.median(r[0] / h for r, h in zip(results[name], hugo_t)) for name in results}
    warm = "no warm-up round" if args.no_warmup else "after one warm-up"
    pel = (f"; Pelican in {len(results['pelican'])} of them" if len(results["pelican"]) != len(hugo_t) else "")
    lines = [
        f"Corpus: `gen_corpus.py {args.n}`; {args.rounds} counted rounds {warm}{pel}, tools in rotating order; "
        f"`qalam build --jobs {args.jobs}`; {os.cpu_count()} cores. "
        f"Hugo {subprocess.run(['hugo', 'version'], capture_output=True, text=True).stdout.split()[1]}, "
        f"Pelican {subprocess.run([str(BENCH_VENV / 'bin' / 'pelican'), '--version'], capture_output=True, text=True).stdout.strip()}.",
        "",
        "| tool | wall time, median (min–max) | time / Hugo (same round) | peak RSS | files written |",
        "|---|---|---|---|---|",
    ]
    labels = {"qalam": "qalam, from nothing (page and search index built first)",
              "qalam-kept": "qalam, its `.qalam/` state kept (indexes current)"}
    for name in ("hugo", "pelican", "qalam", "qalam-kept"):
        m, lo, hi = med(name)
        rss = statistics.median(r[1] for r in results[name])
        lines.append(f"| {labels.get(name, name)} | {m:.2f} s ({lo:.2f}–{hi:.2f}) | {ratios[name]:.2f} | {rss:.0f} MB | "
                     f"{files[name]} |")
    inc = statistics.median(incremental)
    w_build = [w[0] for w in watch]
    w_disk = [w[1] for w in watch]
    wmed = statistics.median(w_build)
    lines += [
        f"| qalam, one article's text changed: new `qalam build` | {inc:.2f} s ({min(incremental):.2f}–{max(incremental):.2f}) | "
        f"{inc / statistics.median(hugo_t):.2f} | | |",
        f"| qalam, one article's text changed: rebuild by `qalam build --watch` | {wmed:.2f} s "
        f"({min(w_build):.2f}–{max(w_build):.2f}); the article itself on disk after "
        f"{statistics.median(w_disk):.2f} s ({min(w_disk):.2f}–{max(w_disk):.2f}) | {wmed / statistics.median(hugo_t):.2f} | | |",
        "",
        f"Targets: wall time ≤ Hugo's — **{'met' if ratios['qalam-kept'] <= 1 else 'not met'}** with the state kept "
        f"({ratios['qalam-kept']:.1f}× Hugo), **{'met' if ratios['qalam'] <= 1 else 'not met'}** from nothing "
        f"({ratios['qalam']:.1f}×); ≥ 8× faster than Pelican — "
        f"**{'met' if ratios['pelican'] / ratios['qalam-kept'] >= 8 else 'not met'}** "
        f"({ratios['pelican'] / ratios['qalam-kept']:.1f}× faster with the state kept, "
        f"{ratios['pelican'] / ratios['qalam']:.1f}× from nothing); peak memory ≤ 1/4 of Hugo's — "
        f"**{'met' if med('qalam-kept', 1)[0] <= med('hugo', 1)[0] / 4 else 'not met'}** with the state kept "
        f"({med('qalam-kept', 1)[0] / med('hugo', 1)[0]:.2f}), "
        f"**{'met' if med('qalam', 1)[0] <= med('hugo', 1)[0] / 4 else 'not met'}** from nothing "
        f"({med('qalam', 1)[0] / med('hugo', 1)[0]:.2f}); "
        f"rebuild after one change — **{'met' if wmed <= 0.5 else 'not met'}** with `--watch` "
        f"({wmed:.2f} s, target 0.5 s), **{'met' if inc <= 1.5 else 'not met'}** as a new command "
        f"({inc:.2f} s, target 1.5 s).",
        "",
        "Peak RSS is that of the largest process (GNU time); with `--jobs` the forked workers share "
        "the loaded site's memory pages with the parent.",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_build.py {' '.join(sys.argv[1:])}`",
    ]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_index import write_section

        write_section(REPO / "docs" / "benchmarks.md", f"build-{args.n}", table)


if __name__ == "__main__":
    main()
