"""The article page as a reader sees it: Debian's Chromium, headless, driven by Playwright.

Screenshots go to a temporary folder; `make screenshots` runs these tests with
QALAM_SCREENSHOTS=docs/img to refresh the ones the README shows (article-kk.png, article-ru.png).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..cli.test_serve import free_port, get, wait_until
from ..conftest import DEMO

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")

ARTICLE = "/news/2026-11-22-mobile-clinic"


OUTLET_RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Басқа агенттік</title>'
    "<link>https://outlet.example/</link><description>d</description>"
    "<item><title>Астанада жаңа көпір ашылды</title><link>https://outlet.example/news/1</link>"
    "<pubDate>Sun, 22 Nov 2026 09:00:00 GMT</pubDate></item></channel></rss>"
)


@pytest.fixture(scope="module")
def outlet():
    from tests.fake_http import FakeServer, Reply

    server = FakeServer({"/rss": Reply(200, OUTLET_RSS, {"Content-Type": "application/rss+xml; charset=utf-8"})})
    yield server
    server.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, outlet):
    site = tmp_path_factory.mktemp("browser") / "demo"
    shutil.copytree(DEMO, site, ignore=shutil.ignore_patterns(".qalam"))
    # Other outlets' news from a fake feed on 127.0.0.1 (tests never reach the internet).
    (site / "config" / "qalam.yaml").write_text(
        f"outlets:\n  feeds:\n    - {{name: 'Басқа агенттік', url: '{outlet.url}/rss'}}\n", encoding="utf-8"
    )
    port = free_port()
    exe = os.path.join(os.path.dirname(sys.executable), "qalam")
    proc = subprocess.Popen([exe, "serve", str(site), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: get(base + "/kk")[0] == 200)
        wait_until(lambda: "Астанада жаңа көпір ашылды" in get(base + "/kk" + ARTICLE)[1])
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                  "--disable-component-update", "--no-first-run", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.mark.parametrize("lang,date_text,credit,source", [
    ("kk", "22 қараша 2026, 10:15", "Фото: Дана ӘБІЛОВА", None),
    ("ru", "22 ноября 2026, 10:15", "Фото: Дана ӘБІЛОВА", "Источник:"),
])
def test_article_elements_are_visible(server, browser, lang, date_text, credit, source, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/{lang}{ARTICLE}")
    main = page.locator("main")
    assert main.locator("h1.page-title").is_visible()
    assert main.locator(".article-meta time.date").inner_text() == date_text
    assert main.locator(".views-count").is_visible()
    for key in ("whatsapp", "telegram", "facebook", "vk", "x"):
        assert main.locator(f"a.share-{key}").is_visible()
    lead = main.locator("figure.lead img")
    assert lead.is_visible() and lead.evaluate("img => img.naturalWidth") > 0  # the photo really loads
    assert main.locator("figure.lead .badge").is_visible()
    assert credit in main.locator("figure.lead figcaption").inner_text()
    assert main.locator("p.dateline").is_visible()
    inline = main.locator(".content img")
    assert inline.count() >= 1 and inline.first.evaluate("img => img.naturalWidth") > 0
    assert main.locator("section.related li").count() >= 1
    if source:
        assert source in main.locator("p.source").inner_text()
    outlets = main.locator("aside.outlets")
    assert outlets.is_visible() and "Астанада жаңа көпір ашылды" in outlets.inner_text()
    # No request leaves the machine: every resource is served by Qalam itself.
    external = page.evaluate(
        "() => performance.getEntriesByType('resource').map(e => e.name).filter(u => !u.startsWith(location.origin))"
    )
    assert external == []
    out = Path(os.environ.get("QALAM_SCREENSHOTS") or tmp_path) / f"article-{lang}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=True)
    page.close()


def test_kazakh_text_renders_in_a_real_font(server, browser):
    """Kazakh letters must not fall back to boxes: every glyph of the headline has a width."""
    page = browser.new_page()
    page.goto(f"{server}/kk{ARTICLE}")
    widths = page.evaluate(
        """() => { const c = document.createElement('canvas').getContext('2d');
                   c.font = getComputedStyle(document.querySelector('h1')).font;
                   return [...'әғқңөұүһі'].map(ch => c.measureText(ch).width); }"""
    )
    assert all(w > 0 for w in widths)
    page.close()


def test_the_page_policy_blocks_nothing_the_theme_needs(server, browser):
    """Pages carry a Content-Security-Policy without 'unsafe-inline' (docs/security.md); the theme's
    own script (the view beacon), styles and images all pass it, and the view is counted."""
    page = browser.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    beacons = []
    page.on("request", lambda r: beacons.append(r.url) if r.url.endswith("/_qalam/view") else None)
    response = page.goto(f"{server}/kk{ARTICLE}")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert violations == []
    assert beacons, "the view beacon did not run under the page's policy"
    assert page.locator("figure.lead img").evaluate("img => img.naturalWidth") > 0
    page.close()
