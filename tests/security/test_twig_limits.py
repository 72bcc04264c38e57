"""Class 6 of docs/security.md: every filter, function, method and operator of Twig-in-content
respects the size caps, and a slow template never stalls the server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.request

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qalam.content.twig import MAX_OUTPUT_CHARS, TwigRenderer

from ..cli.test_serve import free_port, wait_until

A100 = "a" * 100
BIG = f"{{% set big = '{A100}'|replace({{'a': '{A100}'}})|replace({{'a': '{A100}'}}) %}}"  # 1,000,000 chars

ATTACKS = {
    "format, nested": "{% set a = '%1000s'|format('x') %}{% for i in 1..6 %}"
                      "{% set a = '%s%s%s%s%s%s%s%s%s%s'|format(a,a,a,a,a,a,a,a,a,a) %}{% endfor %}{{ a|length }}",
    "format, many args": BIG + "{{ '%s%s%s%s%s%s%s%s%s%s%s%s'|format(big,big,big,big,big,big,big,big,big,big,big,big)"
                               "|length }}",
    "format, positional": BIG + "{{ '%1$s%1$s%1$s%1$s%1$s%1$s%1$s%1$s%1$s'|format(big)|length }}",
    "str.ljust": "{{ 'a'.ljust(100000000)|length }}",
    "str.rjust": "{{ 'a'.rjust(100000000)|length }}",
    "str.center": "{{ 'a'.center(100000000)|length }}",
    "str.zfill": "{{ 'a'.zfill(100000000)|length }}",
    "str.expandtabs": "{{ '\t\t\t\t\t\t\t\t'.expandtabs(100000000)|length }}",
    "str.format": "{{ '{:>100000000}'.format('x')|length }}",
    "str.format_map": "{{ '{a:>100000000}'.format_map({'a': 1})|length }}",
    "str.join": BIG + "{{ big.join(['x','y','z','w'])|length }}",
    "str.replace": BIG + "{{ big.replace('a', 'aaaaaaaaaa')|length }}",
    "str.replace empty": BIG + "{{ big.replace('', 'xyz')|length }}",
    "str.encode": BIG + "{{ big.encode('utf-32')|length }}",
    "batch fill": "{{ (1..10)|batch(100000000, 'x')|length }}",
    "merge self": "{% set l = [1] %}{% for i in 1..40 %}{% set l = l|merge(l) %}{% endfor %}{{ l|length }}",
    "merge quadratic": "{% set l = [] %}{% for i in 1..10000 %}{% set l = l|merge([i]) %}{% endfor %}{{ l|length }}",
    "list plus": "{% set l = [1] %}{% for i in 1..40 %}{% set l = l + l %}{% endfor %}{{ l|length }}",
    "hash merge": "{% set h = {} %}{% for i in 1..10000 %}{% set h = h|merge({('k' ~ i): big}) %}{% endfor %}",
    "concat": "{% set a = 'x' %}{% for i in 1..40 %}{% set a = a ~ a %}{% endfor %}{{ a|length }}",
    "concat many": BIG + "{% set l = [] %}{% for i in 1..100 %}{% set l = l|merge([big ~ i]) %}{% endfor %}"
                         "{{ l|length }}",
    "join": BIG + "{{ [big,big,big,big,big]|join(big)|length }}",
    "replace map": BIG + "{{ big|replace({'a': 'aaaaaaaaaaaaaaaaa'})|length }}",
    "nl2br": "{% set a = '\n\n\n\n\n\n\n\n\n\n'|replace({'\n': '" + "\\n" * 100 + "'}) %}"
             "{{ a|replace({'\n': '" + "\\n" * 1000 + "'})|nl2br|length }}",
    "json_encode": BIG + "{{ [big,big,big,big,big,big,big]|json_encode|length }}",
    "escape js": BIG + "{{ big|e('js')|e('js')|length }}",
    "url_encode": BIG + "{{ big|replace({'a': '<'})|url_encode|url_encode|length }}",
    "base64": BIG + "{{ big|base64_encode|base64_encode|base64_encode|length }}",
    "number_format": "{{ 1|number_format(100000000)|length }}",
    "range": "{{ range(1, 100000000)|length }}",
    "range step": "{{ range(0, 100000000, 1)|length }}",
    "dots": "{{ (1..100000000)|length }}",
    "letters": "{{ ('a'..'z')|length }}",
    "multiply": "{{ (9 ** 9 ** 9 ** 9)|length }}",
    "int power": "{{ (2 ** 100000000) }}",
    "macro recursion": "{% macro f(n) %}{{ _self.f(n ~ n) }}{% endmacro %}{{ _self.f('x') }}",
    "split": BIG + "{{ big|split('')|length }}",
    "split small": BIG + "{{ big|split('', 1)|length }}",
    "map": BIG + "{{ (1..10000)|map(v => big)|join|length }}",
    "filter": "{{ (1..10000)|filter(v => v > 1)|length }}",
    "keys": "{{ (1..10000)|keys|length }}",
    "slice": BIG + "{{ big|slice(0, 100000000)|length }}",
    "sort": "{% for i in 1..1000 %}{{ (1..10000)|sort|length }}{% endfor %}",
    "column": "{% for i in 1..1000 %}{{ (1..10000)|column('x')|length }}{% endfor %}",
    "wordcount loop": BIG + "{% for i in 1..10000 %}{{ big|wordcount }}{% endfor %}",
    "in loop": BIG + "{% for i in 1..10000 %}{% for j in 1..19 %}{% if 'zzz' in big %}y{% endif %}{% endfor %}"
                     "{% endfor %}",
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_every_producer_respects_the_caps(name):
    renderer = TwigRenderer(time_limit=2.0)
    tracemalloc.start()
    started = time.monotonic()
    try:
        out = renderer.render(ATTACKS[name], {}, name=name)
    finally:
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.monotonic() - started < 4, name
    assert len(out) <= MAX_OUTPUT_CHARS + 10_000
    assert peak < 150_000_000, f"{name}: {peak / 1e6:.0f} MB"


def test_format_still_formats():
    r = TwigRenderer()
    assert r.render("{{ '%05.1f|%-4s|%s'|format(3.14159, 'ab', 'қалам') }}", {}) == "003.1|ab  |қалам"
    assert r.render("{{ 'Қазақстан'.upper() }} {{ 'a b'.split() | length }}", {}) == "ҚАЗАҚСТАН 2"


def test_a_template_over_a_limit_is_not_run_again_at_once():
    r = TwigRenderer(time_limit=0.5)
    src = BIG + ATTACKS["in loop"]
    started = time.monotonic()
    first = r.render(src, {}, name="slow")
    took = time.monotonic() - started
    started = time.monotonic()
    second = r.render(src, {}, name="slow")
    assert "limit exceeded" in first and "limit exceeded" in second
    assert time.monotonic() - started < took / 5


@settings(max_examples=int(os.environ.get("QALAM_HYPOTHESIS_EXAMPLES", 60)), deadline=None)
@given(st.lists(st.sampled_from([
    "|format(big, big)", "|replace({'a': 'aaaa'})", "|join(big)", "|split('')", "|merge([big])",
    "|json_encode", "|e('js')", "|url_encode", "|base64_encode", "|nl2br", "|batch(1000, big)", "|reverse",
    "|slice(0, 99999999)", "|striptags", "|title", "|number_format(99)", "|keys", "|first", "|sort",
    " ~ big", " ~ big ~ big", "|length", "|default(big)", "|map(v => big)", "|spaceless", "|upper",
]), min_size=1, max_size=8), st.sampled_from(["big", "[big]", "(1..1000)", "{a: big}", "'%s%s%s'", "'x'"]),
       st.integers(min_value=1, max_value=50))
def test_any_chain_of_filters_stays_bounded(chain, start, loops):
    source = BIG + f"{{% set v = {start} %}}{{% for i in 1..{loops} %}}{{% set v = v{''.join(chain)} %}}" \
                   f"{{% endfor %}}{{{{ v|length }}}}"
    renderer = TwigRenderer(time_limit=2.0)
    tracemalloc.start()
    started = time.monotonic()
    try:
        out = renderer.render(source, {}, name="prop")
    finally:
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.monotonic() - started < 4
    assert len(out) <= MAX_OUTPUT_CHARS + 10_000
    assert peak < 200_000_000


# --- a real server: one slow page does not hold the others ------------------------------------------
def test_a_slow_template_does_not_stall_the_server(tmp_path):
    root = tmp_path / "user"
    for rel, text in {
        "pages/01.home/default.md": "---\ntitle: Home\n---\nhome\n",
        "pages/03.other/default.md": "---\ntitle: Other\n---\nother page\n",
        "pages/02.slow/default.md": "---\ntitle: Slow\nnever_cache_twig: true\nprocess:\n  twig: true\n---\n"
                                    + BIG + ATTACKS["in loop"] + "\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    port = free_port()
    exe = os.path.join(os.path.dirname(sys.executable), "qalam")
    proc = subprocess.Popen([exe, "serve", str(root), "--port", str(port), "--no-watch"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> tuple[float, bytes]:
        started = time.monotonic()
        with urllib.request.urlopen(base + path, timeout=30) as resp:
            return time.monotonic() - started, resp.read()

    try:
        wait_until(lambda: get("/other"))
        get("/other")  # now in the page cache
        slow: dict = {}
        t = threading.Thread(target=lambda: slow.setdefault("first", get("/slow")))
        t.start()
        time.sleep(0.3)
        times = []
        while t.is_alive() and len(times) < 20:
            times.append(get("/other")[0])
            times.append(get("/?fresh=1")[0])  # not cached: rendered by Django meanwhile
            time.sleep(0.1)
        t.join(30)
        assert times and max(times) < 1.5, times
        took, body = slow["first"]
        assert b"limit exceeded" in body
        again, body = get("/slow")
        assert b"limit exceeded" in body and again < 1.0, again
    finally:
        proc.terminate()
        proc.wait(10)
