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
            the real Grav fixture pages (../shared/fixtures/grav-sites/*/user/**/*.md) use each
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
import html.parser
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
               "options UNSAFE, FOOTNOTES", ("cmarkgfm",),
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
    """(path, body) of every page under the fixture sites (``<site>/user/**/*.md``)."""
    return [(str(p.relative_to(FIXTURES)), page_body(p)) for p in sorted(FIXTURES.glob("*/user/**/*.md"))]


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


_COUNTED = {"links": "<a ", "images": "<img", "strong": "<strong>", "list items": "<li>", "h2": "<h2"}


def element_counts(parser: Parser, docs: list[str]) -> dict[str, int]:
    """How many links, images, ... the parser writes for ``docs`` (a sanity check that
    every parser did the same work)."""
    outs = [parser.render(d) for d in docs]
    return {what: sum(o.count(tag) for o in outs) for what, tag in _COUNTED.items()}


def structure_check(counts: dict[str, int], base: dict[str, int]) -> str:
    bad = [f"{what} {counts[what]} vs {base[what]}" for what in _COUNTED if counts[what] != base[what]]
    return "same" if not bad else ", ".join(bad)


# --------------------------------------------------------------------------------------
# Fidelity


class _Shape(html.parser.HTMLParser):
    """HTML as a list of tags (attributes sorted, spaces in ``style`` dropped, ``<hr />`` =
    ``<hr>``) and text runs (whitespace collapsed): markup that renders alike compares equal."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        norm = []
        for key, value in attrs:
            value = value or ""
            if key == "style":
                value = re.sub(r"\s+", "", value).rstrip(";")
            norm.append((key, value))
        self.items.append(("<", tag, tuple(sorted(norm))))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self.items.append(("/", tag))

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text:
            self.items.append(("text", text))


def shape(markup: str) -> list[tuple]:
    parser = _Shape()
    parser.feed(markup)
    parser.close()
    return parser.items


def _re(pattern: str) -> Callable[[str], bool]:
    return lambda h: re.search(pattern, h, re.S) is not None


@dataclass
class Feature:
    name: str
    extra: bool  # ParsedownExtra only (Grav's system.pages.markdown.extra)
    probe: str
    grav: str  # what Grav 1.7 (Parsedown 1.7.4 / ParsedownExtra 0.8.1) writes for the probe
    works: Callable[[str], bool]  # the feature is rendered, whatever the markup
    used: str  # regex: does a fixture body use the feature (a heuristic)

    @property
    def label(self) -> str:
        return self.name + (" [Extra]" if self.extra else "")


def _attrs_on(tag: str, **attrs: str) -> Callable[[str], bool]:
    looks = "".join(f'(?=[^>]*\\b{k}="{v}")' for k, v in attrs.items())
    return lambda h: "{#" not in h and re.search(f"<{tag}\\b{looks}", h) is not None


FEATURES = [
    Feature(
        "tables", False, "| a | b |\n|---|:-:|\n| 1 | 2 |\n",
        "<table>\n<thead>\n<tr>\n<th>a</th>\n<th style=\"text-align: center;\">b</th>\n</tr>\n</thead>\n"
        "<tbody>\n<tr>\n<td>1</td>\n<td style=\"text-align: center;\">2</td>\n</tr>\n</tbody>\n</table>",
        _re(r"<table>.*<th>a</th>.*<td>1</td>"),
        r"(?m)^ {0,3}\|?[ \t]*:?-{3,}:?[ \t]*\|",
    ),
    Feature(
        "fenced code with language class", False, "```php\necho 1;\n```\n",
        '<pre><code class="language-php">echo 1;</code></pre>',
        _re(r'<code class="language-php">echo 1;'),
        r"(?m)^ {0,3}(?:`{3,}|~{3,})[ \t]*[\w+#.-]",
    ),
    Feature(
        "`~~del~~`", False, "a ~~b~~ c\n",
        "<p>a <del>b</del> c</p>",
        _re(r"<(del|s)>b</\1>"),
        r"~~[^~\s][^~\n]*~~",
    ),
    Feature(
        "footnotes", True, "Text[^1].\n\n[^1]: The note.\n",
        '<p>Text<sup id="fnref1:1"><a href="#fn:1" class="footnote-ref">1</a></sup>.</p>\n'
        '<div class="footnotes">\n<hr />\n<ol>\n<li id="fn:1">\n<p>The note.&#160;'
        '<a href="#fnref1:1" rev="footnote" class="footnote-backref">&#8617;</a></p>\n</li>\n</ol>\n</div>',
        lambda h: "[^1]" not in h and _re(r'<sup[^>]*>.*?href="#[^"]*1"')(h) and "The note." in h,
        r"(?m)^\[\^[^\]\n]+\]:",
    ),
    Feature(
        "definition lists", True, "Term\n: Definition\n",
        "<dl>\n<dt>Term</dt>\n<dd>Definition</dd>\n</dl>",
        _re(r"<dt>Term</dt>\s*<dd>Definition</dd>"),
        r"(?m)^[^\s:][^\n]*\n:[ \t]",
    ),
    Feature(
        "`{#id .class}` on headings", True, "## Title {#anchor .cls}\n",
        '<h2 id="anchor" class="cls">Title</h2>',
        _attrs_on("h2", id="anchor", **{"class": "cls"}),
        r"(?m)^#{1,6}[^\n]*\{[ ]*[#.][-\w]+[^}\n]*\}[ ]*$",
    ),
    Feature(
        "`{#id .class}` on links", True, "[a](/x){#lid .btn}\n",
        '<p><a href="/x" id="lid" class="btn">a</a></p>',
        _attrs_on("a", id="lid", **{"class": "btn"}),
        r"\)\{[ ]*[#.][-\w]+",
    ),
    Feature(
        '`markdown="1"` in HTML blocks', True, '<div class="box" markdown="1">\n**bold**\n</div>\n',
        '<div class="box">\n<p><strong>bold</strong></p>\n</div>',
        _re(r"<div[^>]*>\s*(?:<p>)?<strong>bold</strong>"),
        r"markdown=[\"']?1",
    ),
    Feature(
        "raw HTML passthrough (blocks, inline, iframe)", False,
        '<div class="x"><span>raw</span></div>\n\nText <span class="y">inline</span>.\n\n'
        '<iframe src="/v"></iframe>\n',
        '<div class="x"><span>raw</span></div>\n<p>Text <span class="y">inline</span>.</p>\n'
        '<iframe src="/v"></iframe>',
        lambda h: all(s in h for s in ('<div class="x"><span>raw</span></div>', '<span class="y">inline</span>',
                                       '<iframe src="/v"></iframe>')),
        r"<[a-zA-Z][\w-]*(?:\s[^<>\n]*)?/?>",
    ),
    Feature(
        "markdown-notices `! note` lines", False, "! Note text\n",
        '<div class="notices yellow">\n<p>Note text</p>\n</div>',
        _re(r'<div class="notices yellow">'),
        r"(?m)^!{1,4} \S",
    ),
]


def feature_usage(feature: Feature, bodies: list[tuple[str, str]]) -> tuple[int, int]:
    """(fixture bodies, fixture sites) that use the feature."""
    hits = [path for path, body in bodies if re.search(feature.used, body)]
    return len(hits), len({Path(path).parts[0] for path in hits})


def probe(parser: Parser, feature: Feature) -> str:
    try:
        out = parser.render(feature.probe)
    except Exception as exc:  # noqa: BLE001 - a crash is a result here
        return f"error ({type(exc).__name__})"
    if shape(out) == shape(feature.grav):
        return "yes"
    return "yes, other markup" if feature.works(out) else "no"


def render_fixtures(parser: Parser, bodies: list[tuple[str, str]]) -> tuple[int, list[str]]:
    failures = []
    for path, body in bodies:
        try:
            parser.render(body)
        except Exception as exc:  # noqa: BLE001 - counted, that is the test
            failures.append(f"`{path}` ({type(exc).__name__})")
            print(f"{parser.name}: {path}: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
    return len(bodies) - len(failures), failures


# --------------------------------------------------------------------------------------
# Report


def versions(parsers: list[Parser]) -> str:
    pkgs = ["qalam"] + sorted({pkg for p in parsers for pkg in p.packages})
    return ", ".join(f"{pkg} {metadata.version(pkg)}" for pkg in pkgs)


def speed_table(parsers: list[Parser], times: dict[str, list[float]], n_docs: int,
                counts: dict[str, dict[str, int]], n_checked: int) -> tuple[list[str], dict[str, float]]:
    base = times[BASELINE]
    rows = [
        "| parser | set-up | ms per document, median (min–max) | time vs python-markdown, median (min–max) "
        f"| speed-up vs python-markdown | links, images, strong, li, h2 vs python-markdown (first {n_checked} docs) |",
        "|---|---|---|---|---|---|",
    ]
    ratios = {}
    for p in parsers:
        ms = [t * 1000 / n_docs for t in times[p.name]]
        rs = [t / b for t, b in zip(times[p.name], base)]
        ratios[p.name] = statistics.median(rs)
        rows.append(
            f"| {p.name} | {p.config} | {statistics.median(ms):.3f} ({min(ms):.3f}–{max(ms):.3f}) "
            f"| {ratios[p.name]:.3f} ({min(rs):.3f}–{max(rs):.3f}) | {1 / ratios[p.name]:.1f}× "
            f"| {structure_check(counts[p.name], counts[BASELINE])} |"
        )
    return rows, ratios


def fidelity_table(parsers: list[Parser], results: dict[str, dict[str, str]], usage: dict[str, tuple[int, int]],
                   n_bodies: int, n_sites: int, fixture_ok: dict[str, tuple[int, list[str]]]) -> list[str]:
    rows = [
        "| feature | fixture bodies (sites) using it | " + " | ".join(p.name for p in parsers) + " |",
        "|---|---|" + "---|" * len(parsers),
    ]
    for f in FEATURES:
        cells = " | ".join(results[p.name][f.name] for p in parsers)
        rows.append(f"| {f.label} | {usage[f.name][0]} ({usage[f.name][1]}) | {cells} |")
    rows.append(f"| renders every fixture body without an exception | {n_bodies} ({n_sites}) | "
                + " | ".join(f"{fixture_ok[p.name][0]} / {n_bodies}" for p in parsers) + " |")
    return rows


def _than(ratio: float, what: str = "python-markdown") -> str:
    return f"{1 / ratio:.1f}× faster than {what}" if ratio < 1 else f"{ratio:.1f}× slower than {what}"


def _n(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def choice_paragraph(results: dict[str, dict[str, str]], ratios: dict[str, float],
                     usage: dict[str, tuple[int, int]]) -> str:
    def count(name: str, exact: bool) -> int:
        return sum((r == "yes") if exact else r.startswith("yes") for r in results[name].values())

    def lacks(name: str) -> str:
        miss = [f for f in FEATURES if not results[name][f.name].startswith("yes")]
        return "; ".join(f"{f.name} ({_n(usage[f.name][0], 'body', 'bodies')} on {_n(usage[f.name][1], 'site')})"
                         for f in miss) or "nothing"

    total = len(FEATURES)
    q, qx, bare = ratios[QALAM], ratios[QALAM_EXTRA], ratios["markdown-it-py"]
    others = ", ".join(f"{n} {count(n, False)}/{count(n, True)}"
                       for n in (BASELINE, "mistune", "cmarkgfm", "pyromark", "markdown-it-py"))
    if q <= bare:
        rules_cost = (
            f"Qalam even takes only {q / bare:.2f}× (with `extra`, {qx / bare:.2f}×) the time of bare "
            "markdown-it-py: its own regex-based `text` inline rule replaces markdown-it-py's per-character "
            "loop (the hottest function in a profile of the bare parser on this Cyrillic corpus), which more "
            "than pays for the Grav rules."
        )
    else:
        rules_cost = (f"The Grav rules cost {q / bare:.2f}× (with `extra`, {qx / bare:.2f}×) the time of bare "
                      "markdown-it-py.")
    return "\n".join([
        "**Choice.** Qalam renders Markdown with markdown-it-py (plus mdit-py-plugins for footnotes), with its "
        "own block and inline rules and a pass over the token stream for what Parsedown, ParsedownExtra and "
        "markdown-notices do differently. Fidelity decides it. With `extra`, Qalam renders "
        f"{count(QALAM_EXTRA, False)} of the {total} Grav features probed here, "
        f"{count(QALAM_EXTRA, True)} of them with Grav's markup. The other "
        f"parsers score (features rendered/with Grav's markup): {others}. The token stream is also where Qalam "
        "rewrites links and images the Grav way before rendering (page-relative routes, `?classes=…&target=…` "
        "query attributes, media actions), and where Parsedown's quirks become ordinary parser rules. "
        "python-markdown is extensible too (block and tree processors), but its Extra is not ParsedownExtra "
        "(no `~~del~~`, other footnote markup)"
        + (" and it is the slowest parser here." if max(ratios.values()) <= 1 else "."),
        "",
        f"Speed does not count against markdown-it-py. On the corpus Qalam's renderer is {_than(q)} +extra, and "
        f"{_than(qx, 'it')} with its own `extra` on, measured in the same rounds. Bare markdown-it-py is "
        f"{_than(bare)}. {rules_cost} mistune is {_than(ratios['mistune'])}, but renders fewer of the Grav "
        "features.",
        "",
        f"The faster options are compiled. cmarkgfm is {_than(ratios['cmarkgfm'])} and pyromark is "
        f"{_than(ratios['pyromark'])}, about {qx / ratios['pyromark']:.0f}× faster than Qalam with `extra`. "
        f"Switching would lose features that Grav pages use. cmarkgfm lacks {lacks('cmarkgfm')}. "
        f"pyromark lacks {lacks('pyromark')}. Neither lets Python add block syntax, so notices, `markdown=\"1\"` "
        "and Parsedown's heading and HTML-block rules could only be emulated by rewriting the text before or "
        "after the parser. A page is rendered once and then cached, so the difference matters for a cold build "
        "of a large site, not for serving. So pyromark renders the pages that use none of the missing features, "
        "and this renderer the rest (\"The fast Markdown path\" below).",
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
pages use each parser renders. The section is written by `benchmarks/bench_markdown.py`. Run it with the
bench venv, which has every parser. The set-up commands are in the script's docstring."""


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
        subprocess.run([sys.executable, str(SHARED / "bench" / "gen_corpus.py"), m.group(1) if m else "10000",
                        "--out", str(args.corpus)], check=True)
    docs = load_corpus(args.corpus, args.limit)
    if not docs:
        raise SystemExit(f"no documents under {args.corpus}/raw")
    nbytes = sum(len(d.encode("utf-8")) for d in docs)
    parsers = make_parsers()
    bodies = fixture_bodies()
    n_sites = len({Path(path).parts[0] for path, _ in bodies})

    # Fidelity first: quick, and a parser that crashes shows up before the long part.
    results = {p.name: {f.name: probe(p, f) for f in FEATURES} for p in parsers}
    usage = {f.name: feature_usage(f, bodies) for f in FEATURES}
    fixture_ok = {p.name: render_fixtures(p, bodies) for p in parsers}
    checked = docs[: args.check_docs]
    counts = {p.name: element_counts(p, checked) for p in parsers}

    t0 = time.perf_counter()
    times = time_parsers(parsers, docs, args.rounds, args.warmup)
    elapsed = time.perf_counter() - t0
    speed_rows, ratios = speed_table(parsers, times, len(docs), counts, len(checked))

    failures = [f"{p.name}: " + ", ".join(fixture_ok[p.name][1]) for p in parsers if fixture_ok[p.name][1]]
    corpus_name = args.corpus.name + (f", first {len(docs)} documents" if args.limit else "")
    body = "\n".join([
        f"Corpus: `{corpus_name}` (`gen_corpus.py`), {len(docs)} page bodies with the front matter "
        f"stripped, {nbytes / 1e6:.1f} MB. Everything runs in one process: a warm-up pass on "
        f"{min(args.warmup, len(docs))} documents, then {args.rounds} rounds. In each round every parser "
        "renders every document, and the parsers take turns in a rotating order. Figures are the median "
        "(min–max) over rounds; ratios are taken per round against python-markdown. "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores (shared), {elapsed / 60:.1f} min of timed "
        "rendering.",
        "",
        f"Versions: {versions(parsers)}.",
        "",
        f"Command (from the repository root): `{command}`",
        "",
        "### Speed",
        "",
        *speed_rows,
        "",
        "The last column counts links, images, `<strong>`, `<li>` and `<h2>` in each parser's HTML. `same` "
        "means the parser built the same document structure as python-markdown.",
        "",
        "### Fidelity to Grav",
        "",
        "Each feature is probed with a small snippet written for this script, rendered by every parser. The "
        "output is compared with what Grav 1.7 writes (Parsedown 1.7.4, ParsedownExtra 0.8.1, the "
        "markdown-notices plugin), ignoring whitespace, attribute order and spacing inside `style`. `yes` means "
        "the same markup as Grav. `yes, other markup` means the feature works but the HTML differs (other "
        "classes or ids, `align=` instead of `style=`, and so on). `no` means the syntax is left "
        "as text. [Extra] features are on in Grav only with `system.pages.markdown.extra: true`, so Qalam "
        "without `extra` leaves them off on purpose. \"Fixture bodies using it\" is a regex count over the "
        f"{len(bodies)} page bodies of the {n_sites} real Grav sites in `shared/fixtures/grav-sites/*/user/**/*.md`.",
        "",
        *fidelity_table(parsers, results, usage, len(bodies), n_sites, fixture_ok),
        *(["", f"Fixture bodies that raised: {'; '.join(failures)}."] if failures else []),
        "",
        choice_paragraph(results, ratios, usage),
    ])
    print(body)
    if not args.no_write:
        write_section(REPO / "docs" / "benchmarks.md", "markdown", body, HEADING)


if __name__ == "__main__":
    main()
