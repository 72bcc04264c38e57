#!/usr/bin/env python3
"""The fast Markdown path (content/markdown_fast.py): which pages take it, and what it saves.

Counts the page bodies of the six real Grav fixture sites and of the generated corpus that
take the fast path (pyromark) or the reference renderer, per option set; checks that every
body taking the fast path renders to the same HTML both ways; and times both renderers on
the corpus in the same rounds (each body rendered by each, alternating). Writes its table
into docs/benchmarks.md (section "markdown-fast").

Usage: benchmarks/bench_markdown_fast.py [--n 10000] [--limit 3000] [--rounds 3] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
BENCH_DATA = Path(os.environ.get("BENCH_DATA", REPO.parent / "bench-data"))
sys.path.insert(0, str(REPO / "src"))

from qalam.content import markdown_fast  # noqa: E402
from qalam.content.markdown import MarkdownOptions, ResolvedUrl, render_markdown  # noqa: E402


def body(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end > 0:
            return text[end + 4:].lstrip("\n")
    return text


def resolver(url: str, kind: str) -> ResolvedUrl:
    return ResolvedUrl(url, {})


def paths_taken(bodies: list[str], options: MarkdownOptions) -> tuple[int, int]:
    fast = [b for b in bodies if markdown_fast.eligible(b, options)]
    differ = sum(render_markdown(b, options, resolve_url=resolver, fast=False)
                 != render_markdown(b, options, resolve_url=resolver) for b in fast)
    return len(fast), differ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--limit", type=int, default=3000, help="corpus bodies to time")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    corpus = BENCH_DATA / f"corpus-{args.n}"
    if not (corpus / "grav" / "user" / "pages").is_dir():
        subprocess.run([sys.executable, str(SHARED / "bench" / "gen_corpus.py"), str(args.n), "--out", str(corpus)],
                       check=True)
    fixtures = sorted((SHARED / "fixtures" / "grav-sites").glob("*/user/**/*.md"))
    fixture_bodies = [body(p) for p in fixtures]
    sites = len({p.relative_to(SHARED / "fixtures" / "grav-sites").parts[0] for p in fixtures})
    corpus_bodies = [body(p) for p in sorted((corpus / "grav" / "user" / "pages").glob("*/*/item.md"))]
    timed = corpus_bodies[: args.limit]

    rows = []
    for label, bodies in ((f"fixture sites ({sites} sites)", fixture_bodies), (f"corpus-{args.n}", corpus_bodies)):
        for opt_label, options in (("default", MarkdownOptions()), ("extra", MarkdownOptions(extra=True))):
            fast, differ = paths_taken(bodies, options)
            rows.append(f"| {label} | {opt_label} | {len(bodies)} | {fast} ({fast / max(1, len(bodies)):.0%}) "
                        f"| {len(bodies) - fast} | {differ} |")

    options = MarkdownOptions()
    per_round: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.rounds):
        for fast in (True, False):
            t = time.perf_counter()
            for text in timed:
                render_markdown(text, options, resolve_url=resolver, fast=fast)
            per_round[fast].append((time.perf_counter() - t) / len(timed) * 1000)
    fast_ms, ref_ms = statistics.median(per_round[True]), statistics.median(per_round[False])
    t = time.perf_counter()
    for text in timed:
        markdown_fast.eligible(text, options)
    detect_ms = (time.perf_counter() - t) / len(timed) * 1000

    import pyromark

    lines = [
        f"Fixture bodies: every `*.md` under `shared/fixtures/grav-sites/*/user/`; corpus: `gen_corpus.py {args.n}`. "
        f"pyromark {getattr(pyromark, '__version__', '?')}, Python {sys.version.split()[0]}.",
        "",
        "| bodies | Markdown options | bodies | fast path | reference | fast-path bodies whose HTML differs |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Rendering the first {len(timed)} corpus bodies (links resolved), median of {args.rounds} rounds:",
        "",
        "| renderer | ms per page |",
        "|---|---|",
        f"| reference (markdown-it-py with Grav's rules) | {ref_ms:.3f} |",
        f"| `render_markdown` with the fast path (detection included: {detect_ms:.3f} ms) | {fast_ms:.3f} "
        f"({ref_ms / fast_ms:.1f}× faster) |",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_markdown_fast.py --n {args.n} --limit {args.limit} "
        f"--rounds {args.rounds}`",
    ]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_index import write_section

        write_section(REPO / "docs" / "benchmarks.md", "markdown-fast", table)


if __name__ == "__main__":
    main()
