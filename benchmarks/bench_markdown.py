#!/usr/bin/env python3
"""Markdown parser benchmark: why Qalam renders Markdown with markdown-it-py.

Two measurements, written between markers in docs/benchmarks.md (section "Markdown parsers"):

speed     - the bodies (front matter stripped) of the generated corpus
            (../shared/bench/gen_corpus.py, ``raw/*.md``) rendered by every parser, in one
            process. One untimed warm-up pass (the first ``--warmup`` documents), then
            ``--rounds`` rounds; in each round every parser renders all documents, the
            parsers taking turns in a rotating order, so the per-round ratio to
            python-markdown is measured under the same machine load.
fidelity  - small probe snippets, one per Grav markdown feature (Parsedown/ParsedownExtra and
            the markdown-notices plugin), rendered by every parser and tested; how many of
            the real Grav fixture pages (../shared/fixtures/grav-sites/**/*.md) use each
            feature; and whether every parser renders every fixture body without an exception.

Run it with the bench venv, which holds all the parsers and Qalam (editable):
  python3 -m venv ../bench-venv
  ../bench-venv/bin/pip install markdown markdown-it-py mdit-py-plugins 'mistune>=3' cmarkgfm pyromark
  ../bench-venv/bin/pip install -e .
  ../bench-venv/bin/python benchmarks/bench_markdown.py [--rounds 3] [--limit N] [--corpus DIR] [--no-write]
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
BENCH_DATA = Path(os.environ.get("BENCH_DATA", REPO.parent / "bench-data"))
FIXTURES = SHARED / "fixtures" / "grav-sites"
BASELINE = "python-markdown"
QALAM = "Qalam"
QALAM_EXTRA = "Qalam, extra"


@dataclass
class Parser:
    name: str
    config: str  # how it is set up, shown in the tables
    packages: tuple[str, ...]
    render: Callable[[str], str]


def make_parsers() -> list[Parser]:
    """Every parser set up as close to Grav as its options allow (tables, strikethrough,
    footnotes, definition lists, heading attributes, raw HTML where available)."""
    import cmarkgfm
    import markdown
    import mistune
    import pyromark
    from cmarkgfm.cmark import Options as CmarkOpt
    from markdown_it import MarkdownIt

    from qalam.content.markdown import MarkdownOptions, render_markdown

    extra = MarkdownOptions(extra=True)
    pymd = markdown.Markdown(output_format="html", extensions=["extra"])
    mdit = MarkdownIt("commonmark", {"html": True}).enable("table")
    mist = mistune.create_markdown(
        escape=False, plugins=["speedup", "table", "strikethrough", "footnotes", "def_list"]
    )
    cmark_opts = CmarkOpt.CMARK_OPT_UNSAFE | CmarkOpt.CMARK_OPT_FOOTNOTES
    cmark_ext = ["table", "autolink", "strikethrough", "tasklist"]
    po = pyromark.Options
    pyro = pyromark.Markdown(
        options=po.ENABLE_TABLES | po.ENABLE_FOOTNOTES | po.ENABLE_STRIKETHROUGH
        | po.ENABLE_HEADING_ATTRIBUTES | po.ENABLE_DEFINITION_LIST
    )
    return [
        Parser(QALAM, "`render_markdown(text)`: Parsedown rules", ("markdown-it-py", "mdit-py-plugins"),
               render_markdown),
        Parser(QALAM_EXTRA, "`render_markdown(text, MarkdownOptions(extra=True))`: ParsedownExtra rules",
               ("markdown-it-py", "mdit-py-plugins"), lambda s: render_markdown(s, extra)),
        Parser("markdown-it-py", "bare: `MarkdownIt('commonmark', {'html': True}).enable('table')`",
               ("markdown-it-py",), mdit.render),
        Parser(BASELINE, "`Markdown(extensions=['extra'])`, `reset()` per document", ("markdown",),
               lambda s: pymd.reset().convert(s)),
        Parser("mistune", "`create_markdown(escape=False)` + speedup, table, strikethrough, footnotes, def_list",
               ("mistune",), mist),
        Parser("cmarkgfm", "GFM extensions (table, autolink, strikethrough, tasklist; no tagfilter), "
               "`UNSAFE | FOOTNOTES`", ("cmarkgfm",),
               lambda s: cmarkgfm.markdown_to_html_with_extensions(s, options=cmark_opts, extensions=cmark_ext)),
        Parser("pyromark", "tables, footnotes, strikethrough, heading attributes, definition lists",
               ("pyromark",), pyro.html),
    ]


# --------------------------------------------------------------------------------------
# Inputs


def page_body(path: Path) -> str:
    from qalam.content.frontmatter import split_front_matter

    text = path.read_bytes().decode("utf-8", errors="replace")
    return split_front_matter(text)[1]


def load_corpus(corpus: Path, limit: int | None) -> list[str]:
    files = sorted((corpus / "raw").glob("*.md"))
    if limit:
        files = files[:limit]
    return [page_body(p) for p in files]


def fixture_bodies() -> list[tuple[str, str]]:
    return [(str(p.relative_to(FIXTURES)), page_body(p)) for p in sorted(FIXTURES.rglob("*.md"))]


# --------------------------------------------------------------------------------------
# Speed


def time_parsers(parsers: list[Parser], docs: list[str], rounds: int, warmup: int) -> dict[str, list[float]]:
    for p in parsers:
        for d in docs[:warmup]:
            p.render(d)
    times: dict[str, list[float]] = {p.name: [] for p in parsers}
    for r in range(rounds):
        k = r % len(parsers)
        for p in parsers[k:] + parsers[:k]:
            render = p.render
            gc.collect()
            t0 = time.perf_counter()
            for d in docs:
                render(d)
            dt = time.perf_counter() - t0
            times[p.name].append(dt)
            print(f"round {r + 1}/{rounds}  {p.name:16s} {dt:7.2f} s  {dt * 1000 / len(docs):.3f} ms/doc",
                  file=sys.stderr, flush=True)
    return times


_COUNTS = {
    "links": (r"(?<!!)\]\(", r"<a href"),
    "images": (r"!\[", r"<img"),
    "strong": (r"\*\*[^*\n]+\*\*", r"<strong>"),
    "list items": (r"(?m)^(?:- |\d+\. )", r"<li>"),
    "h2": (r"(?m)^## ", r"<h2"),
}


def structure_check(parser: Parser, docs: list[str]) -> str:
    """Counts of a few elements in the output against the counts in the source."""
    bad = []
    for what, (src_re, out_re) in _COUNTS.items():
        want = sum(len(re.findall(src_re, d)) for d in docs)
        got = sum(len(re.findall(out_re, parser.render(d))) for d in docs)
        if want != got:
            bad.append(f"{what} {got}/{want}")
    return "ok" if not bad else ", ".join(bad)


# --------------------------------------------------------------------------------------
# Fidelity


def _has(*needles: str) -> Callable[[str], bool]:
    return lambda h: all(n in h for n in needles)


def _re(pattern: str) -> Callable[[str], bool]:
    return lambda h: re.search(pattern, h, re.S) is not None


@dataclass
class Feature:
    name: str
    probe: str
    works: Callable[[str], bool]  # the feature is rendered
    grav: Callable[[str], bool]  # ... with the markup Grav (Parsedown/Extra) writes
    used: str  # regex: does a fixture body use it (a heuristic)
    grav_markup: str  # what Grav writes, for the notes


FEATURES = [
    Feature(
        "tables", "| a | b |\n|---|:-:|\n| 1 | 2 |\n",
        _re(r"<table>.*<th>a</th>.*<td>1</td>"),
        _has('style="text-align: center;"'),
        r"(?m)^ {0,3}\|?[ \t]*:?-{3,}:?[ \t]*\|",
        '`style="text-align: center;"` on aligned cells',
    ),
    Feature(
        "fenced code with language class", "```php\necho 1;\n```\n",
        _re(r'<pre><code class="language-php">echo 1;'),
        _re(r'<pre><code class="language-php">echo 1;</code></pre>'),
        r"(?m)^ {0,3}(?:`{3,}|~{3,})[ \t]*[\w+#.-]",
        '`<pre><code class="language-php">` without a newline before `</code>`',
    ),
    Feature(
        "`~~del~~`", "a ~~b~~ c\n",
        _has("<del>b</del>"), _has("<del>b</del>"),
        r"~~[^~\s][^~\n]*~~",
        "`<del>`",
    ),
    Feature(
        "footnotes (Extra)", "Text[^1].\n\n[^1]: The note.\n",
        lambda h: "[^1]" not in h and re.search(r"<sup[^>]*>.*?href=\"#[^\"]*1", h) is not None
        and "The note." in h,
        _re(r'<sup id="fnref1:1"><a href="#fn:1" class="footnote-ref">1</a></sup>.*'
            r'<div class="footnotes">.*<li id="fn:1">'),
        r"(?m)^\[\^[^\]\n]+\]:",
        '`<sup id="fnref1:1"><a href="#fn:1" class="footnote-ref">`, `<div class="footnotes">`',
    ),
    Feature(
        "definition lists (Extra)", "Term\n: Definition\n",
        _re(r"<dl>\s*<dt>Term</dt>\s*<dd>Definition</dd>\s*</dl>"),
        _re(r"<dl>\s*<dt>Term</dt>\s*<dd>Definition</dd>\s*</dl>"),
        r"(?m)^[^\s:][^\n]*\n:[ \t]",
        "`<dl><dt><dd>`",
    ),
    Feature(
        "`{#id .class}` on headings (Extra)", "## Title {#anchor .cls}\n",
        lambda h: "{#" not in h and re.search(r"<h2(?=[^>]*id=\"anchor\")(?=[^>]*class=\"cls\")", h) is not None,
        _has('<h2 id="anchor" class="cls">Title</h2>'),
        r"(?m)^#{1,6}[^\n]*\{[ ]*[#.][-\w]+[^}\n]*\}[ ]*$",
        '`<h2 id="anchor" class="cls">`',
    ),
    Feature(
        "`{#id .class}` on links (Extra)", "[a](/x){#lid .btn}\n",
        lambda h: "{#" not in h and re.search(r"<a(?=[^>]*id=\"lid\")(?=[^>]*class=\"btn\")", h) is not None,
        _has('<a href="/x" id="lid" class="btn">a</a>'),
        r"\)\{[ ]*[#.][-\w]+",
        '`<a href="/x" id="lid" class="btn">`',
    ),
    Feature(
        '`markdown="1"` in HTML (Extra)', '<div class="box" markdown="1">\n**bold**\n</div>\n',
        _re(r"<div[^>]*>\s*(?:<p>)?<strong>bold</strong>"),
        _re(r'<div class="box">\s*<p><strong>bold</strong></p>\s*</div>'),
        r"markdown=[\"']?1",
        "the attribute removed, the content parsed as blocks",
    ),
    Feature(
        "raw HTML passthrough",
        '<div class="x"><span>raw</span></div>\n\nText <span class="y">inline</span>.\n\n'
        '<iframe src="/v"></iframe>\n',
        _has('<div class="x"><span>raw</span></div>', '<span class="y">inline</span>', '<iframe src="/v"></iframe>'),
        _has('<div class="x"><span>raw</span></div>', '<span class="y">inline</span>', '<iframe src="/v"></iframe>'),
        r"<(?:[a-zA-Z][\w-]*)(?:\s[^<>\n]*)?/?>",
        "blocks and inline tags as written",
    ),
    Feature(
        "markdown-notices (`! note`)", "! Note text\n",
        _has('<div class="notices yellow">'),
        _re(r'<div class="notices yellow">\s*<p>Note text</p>\s*</div>'),
        r"(?m)^!{1,4} \S",
        '`<div class="notices yellow"><p>…</p></div>` (Grav\'s markdown-notices plugin)',
    ),
]


def probe(parser: Parser, feature: Feature) -> str:
    try:
        out = parser.render(feature.probe)
    except Exception as exc:  # noqa: BLE001 - a crash is a result here
        return f"error ({type(exc).__name__})"
    if not feature.works(out):
        return "no"
    return "yes" if feature.grav(out) else "yes, other markup"


def render_fixtures(parser: Parser, bodies: list[tuple[str, str]]) -> tuple[int, list[str]]:
    failures = []
    for path, body in bodies:
        try:
            parser.render(body)
        except Exception as exc:  # noqa: BLE001 - counted, that is the test
            failures.append(f"`{path}`: {type(exc).__name__}")
            print(f"{parser.name}: {path}: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
    return len(bodies) - len(failures), failures


# --------------------------------------------------------------------------------------
# Report


def versions(parsers: list[Parser]) -> str:
    pkgs = ["qalam"] + sorted({pkg for p in parsers for pkg in p.packages})
    return ", ".join(f"{pkg} {metadata.version(pkg)}" for pkg in pkgs)


def speed_table(parsers, times, docs, check_docs, nbytes):
    base = times[BASELINE]
    rows = [
        "| parser | set-up | ms per document, median (min–max) | time vs python-markdown, median (min–max) "
        "| speed-up | output check (first %d docs) |" % len(check_docs),
        "|---|---|---|---|---|---|",
    ]
    ratios = {}
    for p in parsers:
        ts = times[p.name]
        ms = [t * 1000 / len(docs) for t in ts]
        rs = [t / b for t, b in zip(ts, base)]
        ratios[p.name] = statistics.median(rs)
        rows.append(
            f"| {p.name} | {p.config} | {statistics.median(ms):.3f} ({min(ms):.3f}–{max(ms):.3f}) "
            f"| {statistics.median(rs):.2f} ({min(rs):.2f}–{max(rs):.2f}) | {1 / statistics.median(rs):.1f}× "
            f"| {structure_check(p, check_docs)} |"
        )
    return rows, ratios


def fidelity_table(parsers, results, usage, n_bodies, fixture_ok):
    rows = [
        "| feature (probe) | fixture bodies using it | " + " | ".join(p.name for p in parsers) + " |",
        "|---|---|" + "---|" * len(parsers),
    ]
    for f in FEATURES:
        rows.append(f"| {f.name} | {usage[f.name]} / {n_bodies} | "
                    + " | ".join(results[p.name][f.name] for p in parsers) + " |")
    rows.append(f"| renders every fixture body without an exception | {n_bodies} | "
                + " | ".join(f"{fixture_ok[p.name][0]} / {n_bodies}" for p in parsers) + " |")
    return rows


def _missing(results: dict[str, str]) -> list[str]:
    return [name for name, r in results.items() if not r.startswith("yes")]


def _speed_word(ratio: float) -> str:
    return f"{1 / ratio:.1f}× faster than" if ratio < 1 else f"{ratio:.1f}× slower than"


def choice_paragraph(parsers, ratios, results, usage, n_bodies) -> str:
    supported = {p.name: sum(r.startswith("yes") for r in results[p.name].values()) for p in parsers}
    total = len(FEATURES)

    def missing_list(name):
        miss = _missing(results[name])
        if not miss:
            return "nothing"
        return "; ".join(f"{m} (used by {usage[m]} fixture bodies)" for m in miss)

    q, qx, bare = ratios[QALAM], ratios[QALAM_EXTRA], ratios["markdown-it-py"]
    return "\n".join([
        "**Choice.** Qalam renders Markdown with markdown-it-py plus mdit-py-plugins (footnotes), with its "
        "own block rules and a token post-pass for what Parsedown/ParsedownExtra and markdown-notices do "
        f"differently. Fidelity decides it: with `extra` it passes {supported[QALAM_EXTRA]} of the {total} "
        f"Grav feature probes with Grav's markup (python-markdown +extra: {supported[BASELINE]}, "
        f"mistune: {supported['mistune']}, cmarkgfm: {supported['cmarkgfm']}, "
        f"pyromark: {supported['pyromark']}, bare markdown-it-py: {supported['markdown-it-py']}), and "
        "markdown-it-py's token stream is where Qalam rewrites links and images the Grav way (page-relative "
        "routes, `?classes=…&target=…` query attributes, media actions) before rendering, and where the "
        "Parsedown quirks are written as ordinary block/inline rules; python-markdown offers this only through "
        "its own tree-processor API, and the two compiled parsers not at all from Python.",
        "",
        f"Speed: on the corpus Qalam's renderer is {_speed_word(q)} python-markdown +extra "
        f"({_speed_word(qx)} it with `extra` on), measured in the same rounds; bare markdown-it-py is "
        f"{_speed_word(bare)}, so the Grav rules cost {q / bare:.2f}× bare markdown-it-py "
        f"({qx / bare:.2f}× with `extra`). mistune is {_speed_word(ratios['mistune'])} python-markdown.",
        "",
        f"The faster options are compiled: cmarkgfm is {_speed_word(ratios['cmarkgfm'])} python-markdown and "
        f"pyromark {_speed_word(ratios['pyromark'])} it ({qx / ratios['pyromark']:.0f}× faster than Qalam with "
        f"`extra`). Switching would cost features Grav pages use — cmarkgfm lacks {missing_list('cmarkgfm')}; "
        f"pyromark lacks {missing_list('pyromark')} — and neither lets Python add block syntax, so notices, "
        "`markdown=\"1\"` and Parsedown's heading and HTML-block rules could only be emulated by pre-/post-"
        "processing text around the parser. Rendering is done once per page and cached, so the difference "
        "matters for a cold build of a large site, not for serving. Issue 6 may revisit this choice (for "
        "example a compiled parser for pages that use none of the missing features).",
    ])


def write_section(path: Path, name: str, body: str, heading: str) -> None:
    """Replace the text between the section's markers (as benchmarks/bench_index.py does);
    a missing section is appended under ``heading``."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{body}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + heading + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


HEADING = """## Markdown parsers (why markdown-it-py)

Which Python Markdown parser Qalam builds on: speed on the generated corpus, and how much of what Grav
pages use each one renders. Written by `benchmarks/bench_markdown.py` (run it with the bench venv, which
has every parser; its docstring has the set-up commands)."""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=BENCH_DATA / "corpus-10000")
    ap.add_argument("--limit", type=int, default=None, help="use the first N documents only (quick mode)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=300, help="documents in the untimed warm-up pass")
    ap.add_argument("--check-docs", type=int, default=1000, help="documents in the output check")
    ap.add_argument("--no-write", action="store_true", help="print the tables, leave docs/benchmarks.md alone")
    args = ap.parse_args()
    command = " ".join([os.path.relpath(sys.executable, REPO), "benchmarks/bench_markdown.py",
                        *map(shlex.quote, sys.argv[1:])])

    if not (args.corpus / "raw").is_dir():
        m = re.search(r"corpus-(\d+)$", str(args.corpus))
        n = m.group(1) if m else "10000"
        subprocess.run([sys.executable, str(SHARED / "bench" / "gen_corpus.py"), n, "--out", str(args.corpus)],
                       check=True)
    docs = load_corpus(args.corpus, args.limit)
    if not docs:
        raise SystemExit(f"no documents under {args.corpus}/raw")
    nbytes = sum(len(d.encode("utf-8")) for d in docs)
    parsers = make_parsers()
    bodies = fixture_bodies()

    # Fidelity first: quick, and a parser that crashes shows up before the long part.
    results = {p.name: {f.name: probe(p, f) for f in FEATURES} for p in parsers}
    usage = {f.name: sum(1 for _, b in bodies if re.search(f.used, b)) for f in FEATURES}
    fixture_ok = {p.name: render_fixtures(p, bodies) for p in parsers}

    t0 = time.perf_counter()
    times = time_parsers(parsers, docs, args.rounds, args.warmup)
    elapsed = time.perf_counter() - t0
    speed_rows, ratios = speed_table(parsers, times, docs, docs[: args.check_docs], nbytes)

    failures = [f"{p.name}: " + ", ".join(fixture_ok[p.name][1]) for p in parsers if fixture_ok[p.name][1]]
    notes = [f"- {f.name}: Grav writes {f.grav_markup}." for f in FEATURES]
    corpus_name = args.corpus.name + (f", first {len(docs)}" if args.limit else "")
    body = "\n".join([
        f"Corpus: `{corpus_name}` from `gen_corpus.py` — {len(docs)} page bodies "
        f"(front matter stripped), {nbytes / 1e6:.1f} MB. One process; warm-up pass on {min(args.warmup, len(docs))} "
        f"documents, then {args.rounds} rounds in which every parser renders every document, parsers in "
        f"rotating order; median (min–max) over rounds, ratios taken per round against python-markdown. "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores (shared), {elapsed / 60:.1f} min of "
        "timed rendering.",
        "",
        f"Versions: {versions(parsers)}.",
        "",
        f"Command: `{command}`",
        "",
        "### Speed",
        "",
        *speed_rows,
        "",
        "The output check counts links, images, `<strong>`, list items and `<h2>` in the HTML against the "
        "Markdown source; `ok` means every parser produced the same document structure on the corpus.",
        "",
        "### Fidelity to Grav",
        "",
        "Each feature is a small probe snippet written for this script, rendered by every parser; `yes` = "
        "rendered with the markup Grav writes, `yes, other markup` = the feature works but the HTML differs "
        "(what Grav writes is listed below the table), `no` = left as text or escaped. \"Fixture bodies using "
        f"it\" counts, with a regex heuristic, the {len(bodies)} page bodies under "
        "`shared/fixtures/grav-sites/**/*.md` (real Grav sites).",
        "",
        *fidelity_table(parsers, results, usage, len(bodies), fixture_ok),
        "",
        *notes,
        "- Qalam without `extra` follows Grav's default (`system.pages.markdown.extra: false`): the Extra "
        "features are off there on purpose.",
        *([f"- Fixture bodies that raised: {'; '.join(failures)}."] if failures else []),
        "",
        choice_paragraph(parsers, ratios, results, usage, len(bodies)),
    ])
    print(body)
    if not args.no_write:
        write_section(REPO / "docs" / "benchmarks.md", "markdown", body, HEADING)


if __name__ == "__main__":
    main()
