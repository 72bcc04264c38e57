"""Markdown rendering: Grav's Parsedown 1.7.4 / ParsedownExtra 0.8.1 behaviour.

Expected HTML is written by hand from Parsedown's rules (blank lines between
blocks become single newlines, no trailing newline, ``<br />``/``<img ... />``).
"""

from __future__ import annotations

import pathlib
import time

import pytest

from qalam.content.markdown import (
    MarkdownOptions,
    ResolvedUrl,
    _build,
    render_markdown,
)

EXTRA = MarkdownOptions(extra=True)
FIXTURES = pathlib.Path("/work/shared/fixtures/grav-sites")
SEED = pathlib.Path("/work/shared/fixtures/seeds/004_7f0847bd8f085a12.txt")
KAZAKH = "ә ғ қ ң ө ұ ү һ і Ә Ғ Қ Ң Ө Ұ Ү Һ І"


def md(text: str, options: MarkdownOptions = MarkdownOptions(), **kw) -> str:
    return render_markdown(text, options, **kw)


def body_of(path: pathlib.Path) -> str:
    """Naive front-matter split: the text after the second '---' line."""
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines(keepends=True)
    marks = [i for i, line in enumerate(lines) if line.strip() == "---"]
    if len(marks) >= 2 and marks[0] == 0:
        return "".join(lines[marks[1] + 1 :])
    return text


# --------------------------------------------------------------------------- basics


def test_paragraphs_and_no_trailing_newline():
    assert md("one\ntwo\n\nthree\n") == "<p>one\ntwo</p>\n<p>three</p>"
    assert md("") == ""


def test_headings_have_no_ids_and_need_no_space():
    assert md("# Title\n\n## Sub ##") == "<h1>Title</h1>\n<h2>Sub</h2>"
    # Parsedown 1.7.4 blockHeader: no space required after the hashes.
    assert md("##NoSpace") == "<h2>NoSpace</h2>"
    # ... but a lone '#' is not a heading, and 7 hashes are too many.
    assert md("#") == "<p>#</p>"
    assert md("####### seven") == "<p>####### seven</p>"


def test_heading_interrupts_paragraph():
    assert md("text\n# Head") == "<p>text</p>\n<h1>Head</h1>"


def test_summary_divider_paragraph_and_setext():
    # '===' after a blank line is its own paragraph (the summary marker) ...
    assert md("para\n\n===\n\nmore") == "<p>para</p>\n<p>===</p>\n<p>more</p>"
    # ... directly under text it makes a setext <h1>, in both Parsedown and here.
    assert md("para\n===") == "<h1>para</h1>"
    assert md("para\n---") == "<h2>para</h2>"
    # Parsedown's underline must be only '=': with trailing spaces it is text.
    assert md("para\n===   ") == "<p>para\n===</p>"


def test_gfm_table_with_alignment():
    text = "| a | b | c |\n|:--|--:|:-:|\n| 1 | 2 | 3 |"
    assert md(text) == (
        "<table>\n<thead>\n<tr>\n"
        '<th style="text-align: left;">a</th>\n'
        '<th style="text-align: right;">b</th>\n'
        '<th style="text-align: center;">c</th>\n'
        "</tr>\n</thead>\n<tbody>\n<tr>\n"
        '<td style="text-align: left;">1</td>\n'
        '<td style="text-align: right;">2</td>\n'
        '<td style="text-align: center;">3</td>\n'
        "</tr>\n</tbody>\n</table>"
    )


def test_table_rows_end_at_line_without_pipe():
    text = "| a |\n|---|\n| 1 |\nplain"
    assert md(text) == (
        "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n"
        "<tbody>\n<tr>\n<td>1</td>\n</tr>\n</tbody>\n</table>\n<p>plain</p>"
    )


def test_fenced_and_indented_code():
    assert md("```php\necho 1 < 2;\n```") == (
        '<pre><code class="language-php">echo 1 &lt; 2;</code></pre>'
    )
    assert md("```\nplain\n```") == "<pre><code>plain</code></pre>"
    assert md("    code\n    block") == "<pre><code>code\nblock</code></pre>"
    assert md("use `a<b`") == "<p>use <code>a&lt;b</code></p>"


def test_strikethrough_is_del():
    assert md("~~gone~~") == "<p><del>gone</del></p>"


def test_emphasis_lists_quotes_breaks():
    assert md("*em* **strong**") == "<p><em>em</em> <strong>strong</strong></p>"
    assert md("* a\n* b") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    assert md("1. x\n2. y") == "<ol>\n<li>x</li>\n<li>y</li>\n</ol>"
    assert md("> quote") == "<blockquote>\n<p>quote</p>\n</blockquote>"
    assert md("a  \nb") == "<p>a<br />\nb</p>"
    assert md("---") == "<hr />"


def test_text_escaping_like_parsedown():
    # Quotes stay as typed; entities written by the author are kept; bare & escaped.
    assert md('"q" &copy; &nbsp; & 1 < 2') == '<p>"q" &copy; &nbsp; &amp; 1 &lt; 2</p>'


def test_links_images_autolinks():
    assert md('[t](http://x.com "T")') == '<p><a href="http://x.com" title="T">t</a></p>'
    assert md('![alt text](pic.jpg "T")') == '<p><img src="pic.jpg" alt="alt text" title="T" /></p>'
    assert md("<http://x.com>") == '<p><a href="http://x.com">http://x.com</a></p>'


def test_image_alt_is_the_label_as_written():
    # Parsedown uses the raw label for alt; entities are decoded, then re-escaped.
    assert md("![a *b* &amp; c](p.jpg)") == '<p><img src="p.jpg" alt="a *b* &amp; c" /></p>'


def test_reference_definitions_last_one_wins():
    text = "[a] and [b]\n\n[a]: /first\n[a]: /second\n[b]: /b"
    assert md(text) == '<p><a href="/second">a</a> and <a href="/b">b</a></p>'


def test_reference_definition_interrupts_paragraph():
    assert md("text\n[r]: /x\n\n[r]") == '<p>text</p>\n<p><a href="/x">r</a></p>'


def test_kazakh_text_and_urls_intact():
    out = md(f"# {KAZAKH}\n\n{KAZAKH} [сілтеме](/kk/жаңалықтар/бет) **{KAZAKH}**")
    assert out == (
        f"<h1>{KAZAKH}</h1>\n<p>{KAZAKH} "
        '<a href="/kk/жаңалықтар/бет">сілтеме</a> '
        f"<strong>{KAZAKH}</strong></p>"
    )


# ------------------------------------------------------------------------ raw HTML


def test_inline_and_block_html_pass_through():
    assert md("a <b class=\"x\">bold</b> c") == '<p>a <b class="x">bold</b> c</p>'
    assert md("<div class=\"box\">\n**not md**\n</div>") == (
        '<div class="box">\n**not md**\n</div>'
    )


def test_html_block_keeps_blank_and_indented_lines():
    # CommonMark would end the block at the blank line and make the indented
    # line a code block; Parsedown keeps everything up to the closing tag.
    text = '<div class="row">\n\n    <p>indented</p>\n\n</div>\n\nafter'
    assert md(text) == '<div class="row">\n\n    <p>indented</p>\n\n</div>\n<p>after</p>'


def test_html_block_interrupts_paragraph_and_nests():
    assert md("para\n<div>x</div>\nmore") == "<p>para</p>\n<div>x</div>\n<p>more</p>"
    text = "<div>\n<div>\ninner\n</div>\nstill outer\n</div>\n\n*md*"
    assert md(text) == "<div>\n<div>\ninner\n</div>\nstill outer\n</div>\n<p><em>md</em></p>"


def test_text_level_tags_do_not_start_blocks():
    assert md("<span>x</span>\n\n<a href=\"/\">y</a>") == (
        '<p><span>x</span></p>\n<p><a href="/">y</a></p>'
    )


def test_unclosed_html_block_runs_to_the_end():
    assert md("<div>\n\n*a*\n\n*b*") == "<div>\n\n*a*\n\n*b*"


def test_html_comment_block():
    assert md("<!-- note\nmore -->\n\ntext") == "<!-- note\nmore -->\n<p>text</p>"


def test_escape_markup():
    opts = MarkdownOptions(escape_markup=True)
    assert md("<b>x</b>\n\n<div>y</div>", opts) == (
        "<p>&lt;b&gt;x&lt;/b&gt;</p>\n<p>&lt;div&gt;y&lt;/div&gt;</p>"
    )


def test_twig_lines_pass_through_without_paragraph():
    text = "{% if page.header.x %}\nHello {{ page.title }}\n{% endif %}"
    assert md(text) == "{% if page.header.x %}\n<p>Hello {{ page.title }}</p>\n{% endif %}"


# ------------------------------------------------------------------------- notices


@pytest.mark.parametrize(
    "marks,color", [("!", "yellow"), ("!!", "red"), ("!!!", "blue"), ("!!!!", "green")]
)
def test_notices_levels(marks, color):
    assert md(f"{marks} Ескерту **маңызды**") == (
        f'<div class="notices {color}">\n<p>Ескерту <strong>маңызды</strong></p>\n</div>'
    )


def test_notices_continuation_and_end():
    text = "! first line\n! second line\n\n!! other\nnot a notice"
    assert md(text) == (
        '<div class="notices yellow">\n<p>first line\nsecond line</p>\n</div>\n'
        '<div class="notices red">\n<p>other</p>\n</div>\n<p>not a notice</p>'
    )


def test_notice_needs_space_and_images_are_not_notices():
    assert md("!notice") == "<p>!notice</p>"
    assert md("![x](y.png)") == '<p><img src="y.png" alt="x" /></p>'
    assert md("!!!!! five") == "<p>!!!!! five</p>"


# ---------------------------------------------------------------- options on/off


def test_auto_line_breaks():
    assert md("a\nb") == "<p>a\nb</p>"
    assert md("a\nb", MarkdownOptions(auto_line_breaks=True)) == "<p>a<br />\nb</p>"


def test_auto_url_links():
    text = "see http://example.com/a_b. and (https://x.org/p?q=1) end"
    assert md(text) == f"<p>{text}</p>"
    assert md(text, MarkdownOptions(auto_url_links=True)) == (
        '<p>see <a href="http://example.com/a_b">http://example.com/a_b</a>. and '
        '(<a href="https://x.org/p?q=1">https://x.org/p?q=1</a>) end</p>'
    )


def test_bare_urls_not_linked_inside_links():
    opts = MarkdownOptions(auto_url_links=True)
    assert md("[http://a.b](http://c.d)", opts) == '<p><a href="http://c.d">http://a.b</a></p>'


FOOTNOTE_DOC = "Text[^1] and again[^1], other[^n].\n\n[^1]: First note\n[^n]: Second"


def test_footnotes_only_with_extra():
    # Without extra, '[^n]: Second' is an ordinary link reference definition
    # (Parsedown and CommonMark agree); '[^1]: First note' is not (no quotes).
    assert md(FOOTNOTE_DOC) == (
        '<p>Text[^1] and again[^1], other<a href="Second">^n</a>.</p>\n'
        "<p>[^1]: First note</p>"
    )
    assert md(FOOTNOTE_DOC, EXTRA) == (
        '<p>Text<sup id="fnref1:1"><a href="#fn:1" class="footnote-ref">1</a></sup>'
        ' and again<sup id="fnref2:1"><a href="#fn:1" class="footnote-ref">1</a></sup>,'
        ' other<sup id="fnref1:n"><a href="#fn:n" class="footnote-ref">2</a></sup>.</p>\n'
        '<div class="footnotes">\n<hr />\n<ol>\n'
        '<li id="fn:1">\n<p>First note&#160;'
        '<a href="#fnref1:1" rev="footnote" class="footnote-backref">&#8617;</a> '
        '<a href="#fnref2:1" rev="footnote" class="footnote-backref">&#8617;</a></p>\n</li>\n'
        '<li id="fn:n">\n<p>Second&#160;'
        '<a href="#fnref1:n" rev="footnote" class="footnote-backref">&#8617;</a></p>\n</li>\n'
        "</ol>\n</div>"
    )


def test_unreferenced_footnotes_are_dropped():
    assert md("plain\n\n[^x]: unused", EXTRA) == "<p>plain</p>"


def test_definition_lists():
    text = "Term 1\nTerm 2\n: Def a\n: Def b\n\nTerm 3\n: Def 3"
    assert md(text) == "<p>Term 1\nTerm 2\n: Def a\n: Def b</p>\n<p>Term 3\n: Def 3</p>"
    assert md(text, EXTRA) == (
        "<dl>\n<dt>Term 1</dt>\n<dt>Term 2</dt>\n<dd>Def a</dd>\n<dd>Def b</dd>\n"
        "<dt>Term 3</dt>\n<dd>Def 3</dd>\n</dl>"
    )


def test_definition_with_blocks():
    out = md("Term\n\n: Def para\n\n    more", EXTRA)
    assert out == "<dl>\n<dt>Term</dt>\n<dd>\n<p>Def para</p>\n<p>more</p>\n</dd>\n</dl>"


def test_abbreviations():
    text = "HTML and ҚР here, not HTMLX.\n\n*[HTML]: Hyper Text\n*[ҚР]: Қазақстан Республикасы"
    assert md(text) == (
        "<p>HTML and ҚР here, not HTMLX.</p>\n<p>*[HTML]: Hyper Text\n*[ҚР]: Қазақстан Республикасы</p>"
    )
    assert md(text, EXTRA) == (
        '<p><abbr title="Hyper Text">HTML</abbr> and '
        '<abbr title="Қазақстан Республикасы">ҚР</abbr> here, not HTMLX.</p>'
    )


def test_abbreviations_not_in_code():
    assert md("`HTML` HTML\n\n*[HTML]: H", EXTRA) == (
        '<p><code>HTML</code> <abbr title="H">HTML</abbr></p>'
    )


def test_attribute_lists():
    text = "## Head {#top .big .red}\n\nSetext {.s}\n===\n\n[a](/b){.btn #go} ![i](x.png){.left}"
    assert md(text) == (
        "<h2>Head {#top .big .red}</h2>\n<h1>Setext {.s}</h1>\n"
        '<p><a href="/b">a</a>{.btn #go} <img src="x.png" alt="i" />{.left}</p>'
    )
    assert md(text, EXTRA) == (
        '<h2 id="top" class="big red">Head</h2>\n<h1 class="s">Setext</h1>\n'
        '<p><a href="/b" id="go" class="btn">a</a> <img src="x.png" alt="i" class="left" /></p>'
    )


def test_markdown_inside_html():
    assert md('<div markdown="1">**x**</div>') == '<div markdown="1">**x**</div>'
    assert md('<div markdown="1">**x**</div>', EXTRA) == (
        "<div>\n<p><strong>x</strong></p>\n</div>"
    )
    text = '<section class="s" markdown="1">\n# Title\n\n*em*\n</section>\n\nafter'
    assert md(text, EXTRA) == (
        '<section class="s">\n<h1>Title</h1>\n<p><em>em</em></p>\n</section>\n<p>after</p>'
    )


def test_markdown_inside_nested_html():
    text = '<div class="outer">\n<div markdown="1">\n**in**\n</div>\n</div>'
    assert md(text, EXTRA) == (
        '<div class="outer">\n<div>\n<p><strong>in</strong></p>\n</div>\n</div>'
    )


# ----------------------------------------------------------- link query attributes


def test_link_query_attributes():
    assert md("[t](/page?target=_blank&classes=a,b)") == (
        '<p><a href="/page" target="_blank" class="a b">t</a></p>'
    )
    assert md("[t](https://x.org/?rel=nofollow&id=top&q=1#frag)") == (
        '<p><a href="https://x.org/?q=1#frag" rel="nofollow" id="top">t</a></p>'
    )


def test_link_noprocess():
    # A bare noprocess keeps every key in the URL; a list keeps the listed keys.
    assert md("[t](/p?target=_blank&noprocess)") == '<p><a href="/p?target=_blank">t</a></p>'
    assert md("[t](/p?target=_blank&rel=x&noprocess=target)") == (
        '<p><a href="/p?target=_blank" rel="x">t</a></p>'
    )


def test_valid_link_attributes_option():
    opts = MarkdownOptions(valid_link_attributes=["target"])
    assert md("[t](/p?target=_blank&rel=x)", opts) == (
        '<p><a href="/p?rel=x" target="_blank">t</a></p>'
    )


def test_unknown_query_keys_stay_as_written():
    assert md("[t](/p?a=1&b=%20x&flag)") == '<p><a href="/p?a=1&amp;b=%20x&amp;flag">t</a></p>'


def test_image_media_actions_stripped():
    text = "![Сурет](photo.jpg?cropResize=300,200&quality=80&lightbox&foo=bar#x)"
    assert md(text) == '<p><img src="photo.jpg?foo=bar#x" alt="Сурет" /></p>'
    all_actions = (
        "resize=1,1&forceResize=1,1&cropResize=1,1&crop=0,0,1,1&cropZoom=1,1&zoomCrop=1,1"
        "&quality=1&format=webp&negate&brightness=1&contrast=1&grayscale&emboss&smooth=1"
        "&sharp&edge&colorize=1,1,1&sepia&gaussianBlur=1&rotate=90&flip=1,0&fixOrientation"
        "&lightbox=1,1&cache&sizes=50vw&derivatives=[300,600]&width=10&height=10"
    )
    assert md(f"![a](p.png?{all_actions})") == '<p><img src="p.png" alt="a" /></p>'


def test_image_attribute_actions():
    text = "![a](p.png?loading=lazy&decoding=async&fetchpriority=high&classes=x,y&id=i&style=width:50%25)"
    assert md(text) == (
        '<p><img src="p.png" alt="a" class="x y" id="i" loading="lazy" decoding="async"'
        ' fetchpriority="high" style="width:50%" /></p>'
    )
    assert md("![a](p.png?loading=auto&fetchpriority=auto&decoding)") == (
        '<p><img src="p.png" alt="a" /></p>'
    )


def test_external_image_urls_keep_their_query():
    text = "![a](https://cdn.example.com/p.jpg?width=800&quality=80)"
    assert md(text) == '<p><img src="https://cdn.example.com/p.jpg?width=800&amp;quality=80" alt="a" /></p>'


def test_resolver_called_with_kind_and_cleaned_url():
    calls: list[tuple[str, str]] = []

    def resolve(url: str, kind: str) -> ResolvedUrl | None:
        calls.append((url, kind))
        if kind == "image":
            return ResolvedUrl("/user/pages/01.news/" + url, {"width": "640", "class": "media"})
        if url == "../other":
            return ResolvedUrl("/kk/other")
        return None

    text = (
        "[a](../other?target=_blank) [b](http://x.org/p?rel=me&q=1) "
        "![Сурет](фото.jpg?resize=10,10&classes=wide) <http://auto.org> "
        '<a href="raw.html">raw</a> <img src="raw.png">'
    )
    out = md(text, resolve_url=resolve)
    assert calls == [
        ("../other", "link"),
        ("http://x.org/p?q=1", "link"),
        ("фото.jpg", "image"),
    ]
    assert out == (
        '<p><a href="/kk/other" target="_blank">a</a> '
        '<a href="http://x.org/p?q=1" rel="me">b</a> '
        '<img src="/user/pages/01.news/фото.jpg" alt="Сурет" class="wide media" width="640" /> '
        '<a href="http://auto.org">http://auto.org</a> '
        '<a href="raw.html">raw</a> <img src="raw.png"></p>'
    )


def test_resolver_attrs_fill_only_missing_values():
    def resolve(url: str, kind: str) -> ResolvedUrl:
        return ResolvedUrl(url, {"alt": "from meta", "title": "meta title", "id": "m"})

    out = md('![](a.jpg?id=mine "Own title")', resolve_url=resolve)
    assert out == '<p><img src="a.jpg" alt="from meta" title="Own title" id="mine" /></p>'
    out = md("![written](a.jpg)", resolve_url=resolve)
    assert out == '<p><img src="a.jpg" alt="written" title="meta title" id="m" /></p>'


# --------------------------------------------------------------- determinism, cache


def test_instances_are_cached_per_options():
    assert _build(MarkdownOptions()) is _build(MarkdownOptions())
    assert _build(MarkdownOptions(extra=True)) is not _build(MarkdownOptions())
    # Lists from YAML are accepted and normalised to a hashable tuple.
    assert MarkdownOptions(valid_link_attributes=["rel"]).valid_link_attributes == ("rel",)


def test_output_is_deterministic():
    text = FOOTNOTE_DOC + "\n\n*[HTML]: x\n\nHTML ! no\n\n! yes"
    first = md(text, EXTRA)
    assert all(md(text, EXTRA) == first for _ in range(5))


def test_seed_article_timing():
    body = SEED.read_text(encoding="utf-8").split("---\n", 2)[2]
    html = md(body)
    assert html.startswith("<p>Ағынды цитометрия")
    assert "<p>===</p>" in html
    runs = 200
    start = time.perf_counter()
    for _ in range(runs):
        md(body)
    ms = (time.perf_counter() - start) / runs * 1000
    print(f"\nseed article ({len(body.encode())} bytes): {ms:.3f} ms/document")


# ------------------------------------------------------------------ fixture sites


def _fixture_bodies() -> list[tuple[str, str]]:
    if not FIXTURES.is_dir():
        return []
    return [
        (str(p.relative_to(FIXTURES)), body_of(p))
        for p in sorted(FIXTURES.rglob("*.md"))
        if "/pages/" in p.as_posix()
    ]


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="Grav fixture sites not available")
@pytest.mark.parametrize("options", [MarkdownOptions(), EXTRA], ids=["plain", "extra"])
def test_every_fixture_page_renders(options):
    bodies = _fixture_bodies()
    assert len(bodies) > 1000
    start = time.perf_counter()
    total = 0
    for name, body in bodies:
        html = render_markdown(body, options)
        assert isinstance(html, str), name
        total += len(body.encode())
    elapsed = time.perf_counter() - start
    print(
        f"\n{len(bodies)} fixture pages ({total / 1e6:.1f} MB, extra={options.extra}):"
        f" {elapsed * 1000:.0f} ms total, {elapsed / len(bodies) * 1000:.3f} ms/page"
    )
