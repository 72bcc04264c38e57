"""The fast Markdown path (content/markdown_fast.py) renders exactly as the reference.

Wherever the fast path is chosen the HTML must be identical to the Parsedown-following
reference renderer: on every page body of the real Grav fixture sites, on hand-written
samples of each construct, and on generated documents (Hypothesis). Constructs only the
reference knows must send a page to the reference.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qalam.content import markdown_fast
from qalam.content.markdown import MarkdownOptions, ResolvedUrl, render_markdown

from ..conftest import FIXTURE_SITES as FIXTURES

OPTIONS = (MarkdownOptions(), MarkdownOptions(extra=True), MarkdownOptions(auto_url_links=True))


def resolver(url: str, kind: str) -> ResolvedUrl | None:
    """Like the site's resolver: rewrites local addresses, adds attributes to some."""
    if url.startswith("http"):
        return ResolvedUrl(url, {"target": "_blank", "rel": "noopener"}) if kind == "link" else None
    if kind == "image":
        return ResolvedUrl("/media" + url, {"class": "lead", "alt": "from the resolver"})
    return ResolvedUrl("/kk" + url if url.startswith("/") else url)


def both(text: str, options: MarkdownOptions) -> tuple[str, str]:
    reference = render_markdown(text, options, resolve_url=resolver, fast=False)
    fast = markdown_fast.render(text, resolver)
    return reference, fast


def body(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end > 0:
            return text[end + 4:].lstrip("\n")
    return text


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="the Grav fixture sites (../shared) are not here")
def test_every_fixture_body_that_takes_the_fast_path_renders_identically():
    bodies = [body(p) for p in sorted(FIXTURES.glob("*/user/**/*.md"))]
    assert len(bodies) > 1000
    for options in OPTIONS:
        fast = [b for b in bodies if markdown_fast.eligible(b, options)]
        # Most fixture bodies are plain text with links; the rest use Grav-only syntax.
        assert len(bodies) // 3 < len(fast) < len(bodies), (len(fast), len(bodies))
        for text in fast:
            reference, got = both(text, options)
            assert got == reference, text[:300]


SAME = [
    "Жай мәтін, «тырнақша» және \"қос тырнақша\", 'жалғыз' — сызықша.",
    "# Тақырып\n\n## Екінші деңгей\n\n###### алтыншы",
    "**қалың** мен *көлбеу*, ***екеуі***, __асты__, _көлбеу_, сөз_ішіндегі_сызық, 2*3*4",
    "**Ресей, Федерациясының** дәрігерлері, **бір,**екі, *a*b*c*",
    "- бір\n- екі\n  - ішкі\n  - тағы\n- үш\n\n1. бірінші\n2. екінші\n\n3) басқа",
    "- бос\n\n- аралық\n\n- тізім\n",
    "* жұлдыз\n+ плюс\n- сызық",
    "Жол соңында екі бос орын  \nкелесі жол",
    "Бірінші абзац\n\n===\n\nЕкінші абзац",
    "Абзац\n\n---\n\nсызықтан кейін\n\n***\n\n___",
    "[сілтеме](/kk/news/x) және [сыртқы](https://example.kz/a/b) және [якорь](#top)",
    "![сурет](/images/a.jpg) ![](/images/b.jpg) ![сыртқы](https://example.kz/c.png)",
    "[**қалың** сілтеме](/a) [ісік **және](/b) сөз**",
    "Ұзын мәтін http://example.kz/жоқ және www.example.kz",
    "> ",
    "1. Тізім\n\n   жалғасы\n2. келесі",
]


@pytest.mark.parametrize("text", SAME)
def test_samples_take_the_fast_path_and_render_identically(text):
    options = MarkdownOptions()
    if text == "> ":
        assert not markdown_fast.eligible(text, options)
        return
    assert markdown_fast.eligible(text, options), text
    reference, got = both(text, options)
    assert got == reference


REFERENCE_ONLY = [
    "<b>HTML</b>", "a & b", "&amp;", "a\\*b", "`код`", "```\nкод\n```", "    indented code",
    "| a | b |\n|---|---|\n| 1 | 2 |", "~~жойылған~~", "{{ page.title }}", "{% if x %}", "# Тақырып #",
    "#Бос орынсыз", "! Ескерту", "!! Маңызды", "Тақырып\n===", "Тақырып\n---", "[a]: /x", "[a][b]",
    "[a](/x?classes=big)", '[a](/x "title")', "[a](/жол)", "[a](/x y)", "![a *b*](/x.jpg)",
    "Термин\n: анықтама", "*[HTML]: Hyper Text", "Мәтін[^1]\n\n[^1]: ескерту", "## Тақырып {#id}",
    "tab\there", "-", "<https://example.kz>", "a > b",
]


@pytest.mark.parametrize("text", REFERENCE_ONLY)
def test_constructs_only_the_reference_knows_go_to_the_reference(text):
    assert not markdown_fast.eligible(text, MarkdownOptions(extra=True)), text


def test_options_the_fast_path_does_not_have():
    assert not markdown_fast.eligible("мәтін", MarkdownOptions(auto_line_breaks=True))
    assert not markdown_fast.eligible("мәтін", MarkdownOptions(escape_markup=True))
    assert not markdown_fast.eligible("see https://example.kz", MarkdownOptions(auto_url_links=True))


def test_render_markdown_uses_the_fast_path_and_can_be_told_not_to(monkeypatch):
    calls = []
    monkeypatch.setattr(markdown_fast, "render", lambda text, resolve=None: calls.append(text) or "fast")
    assert render_markdown("мәтін") == "fast"
    assert render_markdown("мәтін", fast=False) == "<p>мәтін</p>"
    assert render_markdown("<b>x</b>") == "<p><b>x</b></p>"
    monkeypatch.setattr(markdown_fast, "ENABLED", False)
    assert render_markdown("мәтін") == "<p>мәтін</p>"
    assert calls == ["мәтін"]


PIECES = st.sampled_from([
    "сөз", "word", " ", " ", "\n", "\n\n", "**", "*", "_", "__", "# ", "## ", "- ", "* ", "+ ", "1. ",
    "2) ", "  ", "   ", "    ", "[", "]", "(", ")", "](/a/b)", "](https://example.kz/x)", "![", "!",
    "===", "---", "***", ":", ",", ".", "«", "»", '"', "'", "#", "=", "-", "x", "ә", "1", "\t", ">",
    "10. ", "\n  - ", "\n   ", "\n    ", " #", "+", "Ә", "![сурет](/x.jpg)", "[a](/b)", "—", "1.", "?",
    "__init__", "*/", "\n- - ", "\n> ", "  \n", "!!", "[]", "()",
])


@settings(max_examples=1500, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join), st.sampled_from(OPTIONS))
def test_generated_documents_render_identically_wherever_the_fast_path_is_chosen(text, options):
    if markdown_fast.eligible(text, options):
        reference, got = both(text, options)
        assert got == reference
