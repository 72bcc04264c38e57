"""qalam.content.twig: Twig-in-content rendered in a Jinja2 sandbox."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from qalam.content.twig import TwigDict, TwigRenderer, TwigSyntaxError, translate

LOGGER = "qalam.content.twig"


@pytest.fixture(scope="module")
def renderer():
    return TwigRenderer()


@pytest.fixture()
def render(renderer):
    def _render(source, context=None, **kwargs):
        return renderer.render(source, context or {}, name=kwargs.pop("name", "pages/p.md"), **kwargs)

    return _render


def is_error(out: str) -> bool:
    return out.startswith('<div class="qalam-twig-error">')


# ---------------------------------------------------------------------------
# basics, context objects
# ---------------------------------------------------------------------------


def test_plain_text_and_kazakh_untouched(render):
    text = "# Қазақ тілі\n\nӘ ә Ғ ғ Қ қ Ң ң Ө ө Ұ ұ Ү ү Һ һ І і — «тырнақша» {not twig} } %\n"
    assert render(text) == text


def test_kazakh_values_and_filters(render):
    ctx = {"kk": "Қазақстан Республикасы"}
    assert render("{{ kk }}|{{ kk|upper }}|{{ kk|lower }}|{{ kk|length }}", ctx) == (
        "Қазақстан Республикасы|ҚАЗАҚСТАН РЕСПУБЛИКАСЫ|қазақстан республикасы|22"
    )
    assert render("{{ 'өнер'|capitalize }} {{ 'ұлы дала'|title }}") == "Өнер Ұлы Дала"


def test_context_objects(render):
    config = TwigDict.wrap({"site": {"title": "Qalam", "author": {"name": "Абай"}}})
    page = TwigDict.wrap({"title": "Бет", "url": "/kk/bet", "header": {"x": 5},
                          "media": {"a b.jpg": {"url": "/media/a%20b.jpg"}}})  # fmt: skip
    ctx = {"config": config, "site": config.site, "page": page, "header": page.header}
    out = render(
        "{{ page.title }}|{{ page.header.x }}|{{ header.x }}|{{ page.url }}|{{ page.media['a b.jpg'].url }}|"
        "{{ site.title }}|{{ config.site.title }}|{{ config.get('site.author.name') }}|"
        "{{ config.get('site.nope', 'dflt') }}",
        ctx,
    )
    assert out == "Бет|5|5|/kk/bet|/media/a%20b.jpg|Qalam|Qalam|Абай|dflt"


def test_dotted_get_on_plain_dict_and_keys_win_over_methods(render):
    ctx = {"config": {"site": {"title": "T"}}, "h": {"items": "ITEMS", "keys": [1]}}
    assert render("{{ config.get('site.title') }} {{ h.items }} {{ h.keys|length }}", ctx) == "T ITEMS 1"


def test_twig_dict_helper():
    d = TwigDict.wrap({"a": {"b": [{"c": 1}]}})
    assert d.a.b[0].c == 1
    assert d.get("a.b.0.c") == 1
    assert d.get("a.x.y", "no") == "no"
    assert d.get("a") == {"b": [{"c": 1}]}
    with pytest.raises(AttributeError):
        d.missing  # noqa: B018


def test_object_methods_are_called_like_twig(render):
    class Page:
        title = "T"

        def url(self):
            return "/u"

        def getSlug(self):  # noqa: N802
            return "slug"

        def isPublished(self):  # noqa: N802
            return True

    out = render("{{ page.title }} {{ page.url }} {{ page.url() }} {{ page.slug }} {{ page.published }}",
                 {"page": Page()})  # fmt: skip
    assert out == "T /u /u slug 1"


def test_undefined_renders_empty(render):
    assert render("[{{ nope }}][{{ nope.a.b }}][{{ page.nope }}][{{ page.nope() }}][{{ nope['x'] }}]",
                  {"page": {}}) == "[][][][][]"  # fmt: skip
    assert render("{% if nope %}y{% else %}n{% endif %}{% for x in nope %}x{% endfor %}") == "n"
    assert render("{{ nope == null ? 'null' : 'set' }}") == "null"


def test_php_printing(render):
    assert render("{{ true }}|{{ false }}|{{ null }}|{{ 2.0 }}|{{ 0.1 + 0.2 }}|{{ [1, 2] }}|{{ 7 / 2 }}") == (
        "1|||2|0.3|Array|3.5"
    )


def test_autoescape_and_raw(render):
    ctx = {"t": "<b>&</b>"}
    assert render("{{ t }}", ctx) == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert render("{{ t|raw }}", ctx) == "<b>&</b>"
    assert render("{{ t|e }}|{{ t|escape('html') }}", ctx) == "&lt;b&gt;&amp;&lt;/b&gt;|&lt;b&gt;&amp;&lt;/b&gt;"
    assert render("{% autoescape false %}{{ t }}{% endautoescape %}", ctx) == "<b>&</b>"
    assert render("{{ m }}", {"m": Markup("<i>ok</i>")}) == "<i>ok</i>"
    assert TwigRenderer(autoescape=False).render("{{ t }}", ctx) == "<b>&</b>"


# ---------------------------------------------------------------------------
# filters
# ---------------------------------------------------------------------------


def test_json_encode(render):
    ctx = {"d": {"name": "Абай", "html": "</script><b>'&", "n": [1, 2.5, None, True]}}
    raw = render("{{ d|json_encode|raw }}", ctx)
    assert json.loads(raw) == ctx["d"]
    assert "Абай" in raw  # non-ASCII kept readable
    assert "<" not in raw and ">" not in raw and "&" not in raw and "'" not in raw
    assert render("{{ {a: 1}|json_encode }}") == "{&#34;a&#34;:1}"  # escaped on output unless |raw
    assert render("{{ [1]|json_encode(128)|raw }}") == "[\n    1\n]"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ 'a b&é'|e('url') }}", "a%20b%26%C3%A9"),
        ("{{ 'a\"b қ'|e('js') }}", "a\\u0022b\\u0020\\u049B".replace("\\u0022", '\\"')),
        ("{{ 'a b'|e('html_attr') }}", "a&#x20;b"),
        ("{{ 'a b'|e('css') }}", "a\\20 b"),
    ],
)
def test_escape_strategies(render, source, expected):
    assert render(source) == expected


def test_escape_unknown_strategy_is_an_error_box(render):
    assert is_error(render("{{ 'x'|e('nope') }}"))


def test_trans_and_markdown_defaults_and_extra_filters():
    r = TwigRenderer()
    assert r.render("{{ 'SITE.TITLE'|t }} {{ 'K'|trans }} {{ t('K2') }}", {}) == "SITE.TITLE K K2"
    assert r.render("{{ '*x* <b>'|markdown }}", {}) == "*x* &lt;b&gt;"
    r2 = TwigRenderer(
        extra_filters={"markdown": lambda s: Markup("<em>" + s.strip("*") + "</em>"), "t": lambda k: {"HI": "Сәлем"}[k]},
        extra_functions={"pricelist_html": lambda: Markup("<table></table>")},
    )
    assert r2.render("{{ '*x*'|markdown }} {{ 'HI'|t }} {{ pricelist_html() }}", {}) == "<em>x</em> Сәлем <table></table>"


def test_date_filter():
    r = TwigRenderer(timezone="Asia/Almaty")
    ctx = {"d": datetime(2020, 7, 6, 15, 35, tzinfo=timezone.utc), "naive": datetime(2022, 7, 20, 10, 0)}
    assert r.render("{{ d|date('d.m.Y H:i') }}", ctx) == "06.07.2020 21:35"
    assert r.render("{{ d|date('j F Y') }}", ctx, lang="kk") == "6 шілде 2020"
    assert r.render("{{ d|date('j F Y') }}", ctx, lang="ru") == "6 июля 2020"
    assert r.render("{{ d|date('jS M Y') }}", ctx) == "6th Jul 2020"
    assert r.render("{{ naive|date('H:i P') }}", ctx) == "10:00 +06:00"
    assert r.render("{{ 0|date('Y-m-d H:i') }}", ctx) == "1970-01-01 06:00"
    assert r.render("{{ '2022-07-20'|date('j F Y') }}", ctx, lang="kk") == "20 шілде 2022"
    assert r.render("{{ '20-07-2022 10:00'|date('d/m/Y H:i') }}", ctx) == "20/07/2022 10:00"
    assert r.render("{{ 'now'|date('Y') >= 2024 ? 'ok' }}", ctx) == "ok"
    assert r.render("{{ d|date('H:i', 'UTC') }}", ctx) == "15:35"
    assert r.render("{{ d|date }}", ctx) == "July 6, 2020 21:35"  # Twig's default format
    assert is_error(r.render("{{ 'not a date'|date('Y') }}", ctx))


def test_string_filters(render):
    assert render("{{ '<p>Hi <b>there</b></p>'|striptags }}") == "Hi there"
    assert render("{{ '<p>Hi <b>there</b></p>'|striptags('<b>')|raw }}") == "Hi <b>there</b>"
    assert render("{{ 'hello world'|upper }} {{ 'HeLLo'|lower }} {{ 'hELLO wORLD'|capitalize }}") == (
        "HELLO WORLD hello Hello world"
    )
    assert render("{{ 'hello world'|title }}") == "Hello World"
    assert render("{{ '  x  '|trim }}|{{ '--x--'|trim('-') }}|{{ '--x--'|trim('-', 'left') }}|{{ ' x '|rtrim }}") == (
        "x|x|x--| x"
    )
    assert render("{{ 'a\nb'|nl2br }}") == "a<br />\nb"
    assert render("{{ '<i>a\nb'|nl2br }}") == "&lt;i&gt;a<br />\nb"
    assert render("{{ 'a b&c'|url_encode }}|{{ {a: 'x y', b: [1, 2]}|url_encode }}") == (
        "a%20b%26c|a=x%20y&amp;b%5B0%5D=1&amp;b%5B1%5D=2"  # & escaped on output
    )
    assert render("{{ 'I like %s and %05.2f'|format('tea', 3.14159) }}") == "I like tea and 03.14"
    assert render("{{ '%2$s %1$s %%'|format('a', 'b') }}") == "b a %"
    assert render("{{ 'abcdef'|slice(1, 2) }}|{{ 'abcdef'|slice(-2) }}|{{ 'abcdef'[2:] }}|{{ 'abcdef'[:2] }}") == (
        "bc|ef|cdef|ab"
    )


def test_replace_uses_strtr_semantics(render):
    assert render("{{ 'I like %this% and %that%.'|replace({'%this%': 'foo', '%that%': 'bar'}) }}") == (
        "I like foo and bar."
    )
    assert render("{{ 'aab'|replace({'a': 'b', 'ab': 'X'}) }}") == "bX"  # longest first, no re-replacement
    assert render("{{ 'aaa'|replace('a', 'b') }}") == "bbb"  # Jinja-style arguments also accepted


def test_truncate_filters(render):
    text = "Абай Құнанбайұлы ақын"
    assert render("{{ t|truncate(4) }}", {"t": text}) == "Абай…"
    assert render("{{ t|safe_truncate(6) }}", {"t": text}) == "Абай Құнанбайұлы…"
    assert render("{{ t|truncate(100) }}", {"t": text}) == text


def test_list_filters(render):
    assert render("{{ [1, 2, 3]|length }} {{ {a: 1}|length }} {{ null|length }}") == "3 1 0"
    assert render("{{ [1, 2, 3]|join(', ') }}|{{ [1, 2, 3]|join(', ', ' and ') }}|{{ {a: 'x', b: 'y'}|join }}") == (
        "1, 2, 3|1, 2 and 3|xy"
    )
    assert render("{{ 'a,b,c'|split(',')|last }}|{{ 'a,b,c'|split(',', 2)|last }}|{{ 'abc'|split('')|join('-') }}") == (
        "c|b,c|a-b-c"
    )
    assert render("{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ 'xyz'|first }} {{ {a: 1, b: 2}|last }}") == (
        "1 3 x 2"
    )
    assert render("{{ [1, 2, 3]|reverse|join }} {{ 'abc'|reverse }}") == "321 cba"
    assert render("{{ [3, 1, 2]|sort|join }} {{ ['b', 'a']|sort|join }}") == "123 ab"
    assert render("{{ {b: 2, a: 1}|sort|keys|join }} {{ {b: 2, a: 1}|ksort|keys|join }}") == "ab ab"
    assert render("{{ [1, 2]|merge([3])|join }} {{ {a: 1}|merge({b: 2, a: 3})|json_encode|raw }}") == (
        '123 {"a":3,"b":2}'
    )
    assert render("{{ {a: 1, b: 2}|keys|join }}") == "ab"
    assert render("{{ [1, 2, 3, 4, 5]|batch(2)|json_encode }}|{{ [1, 2, 3]|batch(2, 'x')|last|join }}") == (
        "[[1,2],[3,4],[5]]|3x"
    )
    rows = {"rows": [{"id": 1, "n": "a"}, {"id": 2, "n": "b"}]}
    assert render("{{ rows|column('n')|join }}", rows) == "ab"
    assert render("{{ [1, 2, 3]|slice(1)|join }} {{ [1, 2, 3, 4]|slice(1, -1)|join }}") == "23 23"


def test_number_filters(render):
    assert render("{{ -5|abs }} {{ 2.5|round }} {{ -2.5|round }} {{ 3.14159|round(2) }} {{ 3.7|round(0, 'floor') }}") == (
        "5 3 -3 3.14 3"
    )
    assert render("{{ 1234567.891|number_format }}|{{ 1234567.891|number_format(2, ',', ' ') }}|{{ 0.5|number_format }}") == (
        "1,234,568|1 234 567,89|1"
    )


def test_default_defined_and_contains(render):
    ctx = {"empty": "", "zero": 0, "none": None, "lst": []}
    assert render("{{ nope|default('d') }} {{ empty|default('d') }} {{ zero|default('d') }} {{ lst|default('d') }} "
                  "{{ none|default('d') }}", ctx) == "d d 0 d d"  # fmt: skip
    assert render("{{ nope|defined('x') }} {{ zero|defined('x') }}", ctx) == "x 0"
    assert render("{{ 'abc'|contains('b') }} {{ [1, 2]|contains(3) ? 'y' : 'n' }}") == "1 n"
    assert render("{{ 'abc'|starts_with('ab') }} {{ 'abc'|ends_with('bc') }}") == "1 1"


def test_arrow_function_filters(render):
    ctx = {"items": [{"n": "a", "c": 1}, {"n": "b", "c": 2}, {"n": "c", "c": 2}]}
    assert render("{{ [1, 2, 3, 4]|filter(v => v > 2)|join }}") == "34"
    assert render("{{ [1, 2]|map(v => v * 10)|join(',') }}") == "10,20"
    assert render("{{ {a: 1, b: 2}|map((v, k) => k ~ v)|join(',') }}") == "a1,b2"
    assert render("{{ [1, 2, 3]|reduce((carry, v) => carry + v, 10) }}") == "16"
    assert render("{{ [3, 1, 2]|sort((a, b) => b <=> a)|join }}") == "321"
    # arrow bodies see loop variables and outer variables
    out = render("{% set min = 2 %}{% for c in [1, 2] %}{{ items|filter(i => i.c == c and i.c >= min)|length }}"
                 "{% endfor %}", ctx)  # fmt: skip
    assert out == "02"
    assert is_error(render("{{ [1]|map('upper') }}"))  # only arrow functions are callable from filters


def test_spaceless(render):
    assert render("{% spaceless %}<div>\n  <b>x</b>\n</div>{% endspaceless %}") == "<div><b>x</b></div>"
    assert render("{% apply spaceless %}<p> <i>y</i> </p>{% endapply %}") == "<p><i>y</i></p>"
    assert render("{{ '<a> <b>'|spaceless }}") == "<a><b>"


def test_apply_and_block_set(render):
    assert render("{% apply upper %}сәлем {{ 'әлем' }}{% endapply %}") == "СӘЛЕМ ӘЛЕМ"
    assert render("{% set s %}<b>{{ 1 + 1 }}</b>{% endset %}{{ s }}") == "<b>2</b>"


# ---------------------------------------------------------------------------
# tests (is ...)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("x is defined", ""), ("x is not defined", "1"), ("one is defined", "1"),
        ("x is null", "1"), ("one is null", ""), ("nil is none", "1"), ("one is not null", "1"),
        ("'' is empty", "1"), ("[] is empty", "1"), ("{} is empty", "1"), ("0 is empty", ""),
        ("[1] is not empty", "1"), ("[1] is iterable", "1"), ("'s' is iterable", ""), ("{a: 1} is iterable", "1"),
        ("2 is even", "1"), ("3 is odd", "1"), ("3 is not even", "1"),
        ("1 is same as(1)", "1"), ("1 is same as('1')", ""), ("one is not same as(2)", "1"),
        ("9 is divisible by(3)", "1"), ("10 is divisible by(3)", ""), ("10 is not divisible by(3)", "1"),
    ],
)  # fmt: skip
def test_is_tests(render, expr, expected):
    assert render("{{ " + expr + " }}", {"one": 1, "nil": None}) == expected


# ---------------------------------------------------------------------------
# syntax rewrites
# ---------------------------------------------------------------------------


def test_for_over_mapping_yields_values_and_items(render):
    ctx = {"h": {"a": 1, "b": 2}}
    assert render("{% for v in h %}{{ v }}{% endfor %}", ctx) == "12"
    assert render("{% for k, v in h %}{{ k }}={{ v }};{% endfor %}", ctx) == "a=1;b=2;"
    assert render("{% for i, v in ['x', 'y'] %}{{ i }}{{ v }}{% endfor %}") == "0x1y"
    assert render("{% for v in [] %}x{% else %}empty{% endfor %}") == "empty"
    assert render("{% for i in [5, 6, 7] %}{{ loop.index }}{{ loop.first ? 'F' }}{{ loop.last ? '.' : ',' }}"
                  "{% endfor %}") == "1F,2,3."  # fmt: skip
    assert render("{% for i in [1, 2, 3] if i > 1 %}{{ i }}{% endfor %}") == "23"


def test_set_inside_loop_persists_like_twig(render):
    assert render("{% set total = 0 %}{% for x in [1, 2, 3] %}{% set total = total + x %}{% endfor %}{{ total }}") == "6"
    assert render("{% set s = '' %}{% for k, v in {a: 1, b: 2} %}{% set s = s ~ k %}{% endfor %}{{ s }}") == "ab"
    # the initial value may come from the context
    assert render("{% for x in [1, 2] %}{% set n = n + x %}{% endfor %}{{ n }}", {"n": 10}) == "13"


def test_ternaries(render):
    ctx = {"yes": True, "no": False, "s": "v"}
    assert render("{{ yes ? 'a' : 'b' }}{{ no ? 'a' : 'b' }}{{ yes ? 'only' }}[{{ no ? 'only' }}]", ctx) == "abonly[]"
    assert render("{{ no ? 'a' : yes ? 'b' : 'c' }}{{ yes ? no ? 'x' : 'y' : 'z' }}", ctx) == "by"
    assert render("{{ s ?: 'fallback' }} {{ '' ?: 'fallback' }} {{ nope ?: 'f' }}", ctx) == "v fallback f"
    assert render("{{ {a: yes ? 1 : 2}|json_encode|raw }} {{ [no ? 1 : 2, 3]|join }}", ctx) == '{"a":1} 23'
    assert render("{{ (yes ? 'x' : 'y')|upper }}", ctx) == "X"


def test_null_coalescing(render):
    ctx = {"a": None, "b": 0, "page": {"header": {}}}
    assert render("{{ nope ?? 'd' }} {{ a ?? 'd' }} {{ b ?? 'd' }} {{ page.header.x ?? 'dx' }}", ctx) == "d d 0 dx"
    assert render("{{ nope ?? a ?? 'last' }}", ctx) == "last"
    assert render("{{ nope ?? 'x' ~ 'y' }}", ctx) == "xy"  # ?? binds tighter than ~
    assert render("{{ nope|default ?? 'z' }}") == ""  # |default gives '' which is not null


def test_ranges(render):
    assert render("{% for i in 1..5 %}{{ i }}{% endfor %}") == "12345"
    assert render("{{ (5..1)|join }} {{ ('a'..'e')|join }}") == "54321 abcde"
    assert render("{{ range(0, 10, 5)|join(',') }} {{ range(3, 1)|join }}") == "0,5,10 321"
    assert render("{% set n = 3 %}{% for i in 1..n + 1 %}{{ i }}{% endfor %}") == "1234"
    assert render("{{ 3 in 1..5 }}") == "1"


def test_string_operators(render):
    assert render("{{ 'abc' starts with 'ab' }}|{{ 'abc' ends with 'x' ? 'y' : 'n' }}") == "1|n"
    assert render("{{ 'a' ~ 1 ~ true ~ null ~ 2.50 }}") == "a112.5"
    assert render("{% set n = 'Абай' %}{{ \"Hello #{n|upper}, #{1 + 1}!\" }} {{ \"no \\#{interp}\" }}") == (
        "Hello АБАЙ, 2! no #{interp}"
    )


def test_php_comparisons_and_arithmetic(render):
    assert render("{{ 1 == '1' }}|{{ '1e1' == '10' }}|{{ null == false }}|{{ 'abc' == 0 }}|{{ 1 != 2 }}") == "1|1|1||1"
    assert render("{{ 'a' in ['a', 'b'] }}|{{ 'k' in {k: 'v'} }}|{{ 'v' in {k: 'v'} }}|{{ 'bc' in 'abc' }}") == (
        "1||1|1"
    )
    assert render("{{ nope < 1 }}|{{ 2 <=> 1 }}|{{ '10' > '9' }}") == "1|1|1"
    assert render("{{ -7 % 3 }} {{ 7 // 2 }} {{ 2 ** 10 }} {{ '3' + 4 }} {{ 'abc' * 2 }} {{ nope + 1 }}") == (
        "-1 3 1024 7 0 1"
    )


def test_hash_literals(render):
    assert render("{% set k = 'v' %}{{ {k: 1, (k): 2, 'q': 3, 7: 4}|json_encode|raw }}") == '{"k":1,"v":2,"q":3,"7":4}'
    assert render("{% set a = 1 %}{{ {a}|json_encode|raw }}") == '{"a":1}'


def test_verbatim_and_raw_blocks(render):
    assert render("{% verbatim %}{{ x }}{% if %}{% endverbatim %}") == "{{ x }}{% if %}"
    assert render("{% raw %}{{ y }}{% endraw %}") == "{{ y }}"


def test_comments_whitespace_and_newlines(render):
    assert render("a{# comment {{ x }} #}b") == "ab"
    assert render("x\n{% if true %}\ny\n{% endif %}\nz\n") == "x\ny\nz\n"  # first newline after a tag is eaten
    assert render("a  {{- 'b' -}}  c") == "abc"
    assert render("a  {%~ if true ~%}  b  {%~ endif %}\nc") == "abc"
    assert render("<li>\n    {{~ 'x' }}\n</li>") == "<li>\nx\n</li>"


def test_elseif_macro_self_switch_do(render):
    assert render("{% if x %}a{% elseif 1 %}b{% else %}c{% endif %}") == "b"
    src = "{% macro hi(name = 'Әлем') %}Сәлем, {{ name }}!{% endmacro %}{{ _self.hi() }} {{ _self.hi('Абай') }}"
    assert render(src) == "Сәлем, Әлем! Сәлем, Абай!"
    assert render("{% import _self as m %}{% macro x() %}X{% endmacro %}{{ m.x() }}") == "X"
    assert render("{% switch v %}{% case 1 %}one{% case 2, 3 %}two-three{% default %}other{% endswitch %}",
                  {"v": 3}) == "two-three"  # fmt: skip
    assert render("{% do 1 + 1 %}ok{% flush %}") == "ok"


def test_named_arguments(render):
    assert render("{{ [1, 2, 3]|join(glue = '-') }}|{{ 'x'|default(default: 'y') }}") == "1-2-3|x"


def test_translate_preserves_line_count():
    src = "a\n{{ x ?? 'y'\n }}\n{% for k, v in h\n %}\n{{ v }}{% endfor %}\n{# a\nb #}"
    assert translate(src).count("\n") == src.count("\n")


def test_translate_raises_twig_syntax_error():
    with pytest.raises(TwigSyntaxError):
        translate("{{ x ? }}")


# ---------------------------------------------------------------------------
# errors and missing plugin functions
# ---------------------------------------------------------------------------


def test_unknown_function_placeholder_and_single_warning(render, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    src = "Prices:\n{{ pricelist_html() }}\n{{ pricelist_html(category='x') }}\n{{ 'Сәлем'|upper }}"
    out = render(src, name="pages/02.prices/default.kk.md")
    placeholder = '<span class="qalam-missing-function" data-function="pricelist_html">[pricelist_html()]</span>'
    assert out == f"Prices:\n{placeholder}\n{placeholder}\nСӘЛЕМ"
    records = [r for r in caplog.records if "pricelist_html" in r.getMessage()]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert "pages/02.prices/default.kk.md" in records[0].getMessage()


def test_missing_function_is_falsy_and_empty(render):
    assert render("{% if plugin_fn() %}y{% else %}n{% endif %}{% for x in plugin_fn() %}x{% endfor %}") == "n"


def test_unknown_filter_and_test_pass_through(render, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert render("{{ 'x'|plugin_filter }}{{ 'y'|plugin_filter(1) }}|{{ 1 is plugin_test ? 'y' : 'n' }}") == "xy|n"
    msgs = [r.getMessage() for r in caplog.records]
    assert sum("plugin_filter" in m for m in msgs) == 1
    assert sum("plugin_test" in m for m in msgs) == 1


def test_syntax_error_box_with_line_number(render, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    src = "Line one\nLine two\n{% if x %}\n<p>{{ x ?? }}</p>\n{% endif %}"
    out = render(src, name="pages/a.md")
    assert out.endswith(src)
    box = out[: -len(src)]
    assert box.startswith('<div class="qalam-twig-error">') and box.rstrip().endswith("</div>")
    assert "pages/a.md:4:" in box
    assert any("pages/a.md:4" in r.getMessage() for r in caplog.records)


def test_jinja_level_syntax_error_has_line(render):
    out = render("a\nb\n{% if x %}\nunclosed")
    assert is_error(out) and "pages/p.md:4" in out.split("</div>")[0]
    out = render("a\n{% endfor %}")
    assert is_error(out) and "pages/p.md:2" in out.split("</div>")[0]


def test_runtime_error_box_with_line_number(render):
    out = render("ok\n\n{{ 1 / 0 }}")
    assert is_error(out)
    assert "pages/p.md:3:" in out.split("</div>")[0]
    assert out.endswith("ok\n\n{{ 1 / 0 }}")


def test_error_box_is_html_escaped(render):
    out = render("{{ '<script>' ? }}", name="<b>page</b>")
    box = out.split("</div>")[0]
    assert "<script>" not in box and "<b>page" not in box
    assert "&lt;b&gt;page&lt;/b&gt;" in box


@pytest.mark.parametrize(
    "source",
    [
        "{% include 'partials/x.html.twig' %}",
        "{% extends 'base.html.twig' %}",
        "{% import 'macros.twig' as m %}",
        "{% from 'macros.twig' import x %}",
        "{% embed 'x.twig' %}{% endembed %}",
        "{{ include('x.twig') }}",
        "{{ source('/etc/passwd') }}",
        "{{ template_from_string('{{ 1 }}') }}",
        "{% unknowntag %}",
        "{{ 'x' matches '/x/' }}",
    ],
)
def test_no_filesystem_or_unsupported_tags(render, source):
    assert is_error(render(source))


# ---------------------------------------------------------------------------
# sandbox
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ config.__init__ }}",
        "{{ config.__class__ }}",
        "{{ page.__dict__ }}",
        "{{ page['__class__'] }}",
        "{{ ''|attr('__class__') }}",
        "{{ attribute(page, '__class__') }}",
        "{{ range.__globals__ }}",
        "{{ '{0.__class__}'.format(config) }}",
        "{{ lipsum.__globals__ }}",
        "{% do config.clear() %}",
        "{% do items.append(1) %}",
        "{{ page.delete() }}",
    ],
)
def test_sandbox_escapes_are_blocked(source):
    class Page:
        def delete(self):  # pragma: no cover - must never run
            raise AssertionError("called")

        delete.alters_data = True

    config = TwigDict.wrap({"site": {"title": "T"}})
    items = [1]
    out = TwigRenderer().render(source, {"config": config, "page": Page(), "items": items})
    if source.startswith("{{ lipsum"):
        assert "__globals__" not in out.replace(source, "") and "function" not in out
        return
    assert is_error(out), out
    assert "class &#x27;" not in out.split("</div>")[0] or "unsafe" in out
    assert config == {"site": {"title": "T"}} and items == [1]


def test_sandbox_error_message_names_the_attribute(render):
    box = render("{{ ''.__class__ }}").split("</div>")[0]
    assert "__class__" in box and "unsafe" in box


# ---------------------------------------------------------------------------
# hostile input and limits
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("{% for i in 1..10000000 %}{% endfor %}", "range larger than"),
        ("{{ range(1, 10000000)|length }}", "range larger than"),
        ("{% for i in 1..10000 %}{% for j in 1..10000 %}{% endfor %}{% endfor %}", "too many"),
        ("{% set s = 'xx' %}{% for i in 1..64 %}{% set s = s ~ s %}{% endfor %}", "string longer"),
        ("{% set s = 'xx' %}{% for i in 1..64 %}{% set s %}{{ s }}{{ s }}{% endset %}{% endfor %}", "string longer"),
        ("{% set l = [1] %}{% for i in 1..40 %}{% set l = l|merge(l) %}{% endfor %}", "merge result"),
        ("{% set l = [1] %}{% for i in 1..60 %}{% set l = [l, l] %}{% endfor %}{{ l|json_encode }}", "json_encode"),
        ("{% set s = 'x' %}{% for i in 1..20 %}{% set s = s|replace({'x': 'xxxxxxxxxx'}) %}{% endfor %}", "replace"),
        ("{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}", "too many"),
        ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "recursion"),
        ("{% for i in 1..10000 %}" + "x" * 1000 + "{% endfor %}", "output longer"),
        ("{{ '%999999999s'|format('x') }}", "format width"),
        ("{{ " + "(" * 500 + "1" + ")" * 500 + " }}", "nested too deeply"),
        ("{% for x in [1] recursive %}{% endfor %}", "recursive"),
    ],
)
def test_hostile_templates_end_in_error_boxes(source, needle):
    start = time.monotonic()
    out = TwigRenderer().render(source, {}, name="evil.md")
    assert time.monotonic() - start < 10
    assert is_error(out), out[:300]
    assert needle in out.split("</div>")[0]


def test_big_integers_become_floats(render):
    assert render("{% set n = 2 %}{% for i in 1..40 %}{% set n = n * n %}{% endfor %}{{ n }}") == "INF"
    assert render("{{ 2 ** 100000 }}") == "INF"


def test_deep_nesting_and_huge_sources_do_not_raise():
    r = TwigRenderer()
    assert is_error(r.render("{% if true %}" * 400 + "x" + "{% endif %}" * 400, {}))
    assert is_error(r.render("{% for i in [1] %}" * 60 + "x" + "{% endfor %}" * 60, {}))
    huge = "x" * 1_000_001
    out = r.render(huge, {})
    assert is_error(out) and out.endswith(huge)
    big_ok = "Қ" * 500_000
    assert r.render(big_ok, {}) == big_ok


def test_time_limit():
    r = TwigRenderer(time_limit=0.05, max_steps=10**9)
    out = r.render("{% for i in 1..10000 %}{% for j in 1..10000 %}{% endfor %}{% endfor %}", {})
    assert is_error(out) and "too long" in out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("{}%#~-?:.|()[]'\"=<>+*/ abcxyz019_қ\n")), max_size=60))
def test_render_never_raises_on_random_input(source):
    out = _FUZZ.render(source, {"a": 1, "x": {"y": [1, 2]}})
    assert isinstance(out, str)


_FUZZ = TwigRenderer(time_limit=1.0)


# ---------------------------------------------------------------------------
# cache
# ---------------------------------------------------------------------------


def test_templates_compiled_once_per_source(monkeypatch):
    r = TwigRenderer(cache_size=2)
    calls = []
    original = r._env.compile

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(r._env, "compile", counting)
    for _ in range(3):
        assert r.render("{{ a }}", {"a": 1}) == "1"
        assert r.render("{{ a }}", {"a": 2}, name="other") == "2"
    assert len(calls) == 1
    r.render("{{ b }}", {})
    r.render("{{ c }}", {})
    r.render("{{ a }}", {"a": 3})  # evicted by the LRU (size 2), compiled again
    assert len(calls) == 4
    # syntax errors are cached too, and still reported per page name
    assert "first.md" in r.render("{{ ? }}", {}, name="first.md")
    assert "second.md" in r.render("{{ ? }}", {}, name="second.md")
