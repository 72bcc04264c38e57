"""Plain text and HTML into Markdown that shows exactly what the source showed."""

from __future__ import annotations

import html as html_mod
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from qalam.content.markdown import MarkdownOptions, render_markdown
from qalam.importers.furniture import Furniture
from qalam.importers.markup import escape_markdown, html_to_markdown, sanitize_html, text_signature


def shown(markdown: str, extra: bool = True) -> str:
    """The text a reader sees."""
    rendered = render_markdown(markdown, MarkdownOptions(extra=extra))
    return html_mod.unescape(re.sub(r"<[^>]+>", "", rendered))


ALPHABET = st.sampled_from(list("абвгқәіңұүө ABCxyz0123456789 #*_[]()<>&!|~`\\-=+.:;'\"«»—/{}^%$@"))


@settings(max_examples=400, deadline=None)
@given(st.text(ALPHABET, min_size=1, max_size=40))
def test_escaped_text_shows_as_written(line):
    text = line.strip()
    if not text:
        return
    for extra in (True, False):
        assert shown(escape_markdown(text), extra) == text, escape_markdown(text)


def test_escape_examples():
    assert escape_markdown("1. Бірінші") == "1\\. Бірінші"
    assert escape_markdown("# Тақырып емес") == "\\# Тақырып емес"
    assert escape_markdown("===") == "&#61;=="
    assert escape_markdown("a <b> & &amp;") == "a &lt;b> & &amp;amp;"


def test_sanitize_removes_what_an_article_must_not_carry():
    dirty = ('<p onclick="x()" style="color:red">Мәтін <a href="javascript:alert(1)">сілтеме</a>'
             '<a href="https://ok.kz" onmouseover="y()">жақсы</a></p><script>alert(1)</script>'
             '<img src="data:image/png;base64,xx" onerror="z()"><iframe src="https://evil"></iframe><svg><script/></svg>')
    clean = sanitize_html(dirty)
    for bad in ("onclick", "style", "javascript:", "onmouseover", "<script", "data:", "onerror", "<iframe", "<svg"):
        assert bad not in clean
    assert '<a href="https://ok.kz">жақсы</a>' in clean and "сілтеме" in clean


def test_html_to_markdown_converts_what_it_can_and_keeps_the_rest():
    html = ("<h2>Тақырып</h2><p>Бір <strong>қалың</strong> мен <em>көлбеу</em>, <a href='https://x.kz/a'>сілтеме</a>.</p>"
            "<ol start='3'><li>үш</li><li>төрт</li></ol><blockquote><p>Дәйексөз</p></blockquote>"
            "<pre>код *емес*</pre><hr><p>H<sub>2</sub>O</p><table><tr><th>А</th><th>Б</th></tr><tr><td>1</td><td>2</td></tr></table>")
    conv = html_to_markdown(sanitize_html(html))
    assert conv.parts == [
        "## Тақырып",
        "Бір **қалың** мен *көлбеу*, [сілтеме](https://x.kz/a).",
        "3. үш\n4. төрт",
        "> Дәйексөз",
        "```\nкод *емес*\n```",
        "---",
        "<p>H<sub>2</sub>O</p>",
        "| А | Б |\n|---|---|\n| 1 | 2 |",
    ]
    assert conv.html_blocks == 1
    # What a reader sees is the same.
    assert text_signature(render_markdown(conv.markdown, MarkdownOptions(extra=True))) == text_signature(html)


def test_furniture_matching():
    f = Furniture.defaults()
    for line in ("Бөлісу:", "  бөлісу ", "ПОДЕЛИТЬСЯ:", "PHOTO", "Өзгелердің жаңалығы", "Другие новости:"):
        assert f.match(line) is not None, line
    assert f.match("Өзгелердің жаңалығы").end and not f.match("PHOTO").end
    for line in ("Бөлісу туралы шешім қабылданды.", "Фото: Бауыржан", "", "X"):
        assert f.match(line) is None, line


def test_angle_bracket_before_a_digit_stays_text():
    # Found by hypothesis: "<0>" was kept as a raw HTML block.
    assert shown(escape_markdown("<0>")) == "<0>"
    assert shown(escape_markdown("a <b> c")) == "a <b> c"


def test_leading_exclamation_is_not_a_notice():
    # Found by hypothesis: "! 0" became a markdown-notices block.
    assert shown(escape_markdown("! 0")) == "! 0"
    assert shown(escape_markdown("!! Маңызды")) == "!! Маңызды"
