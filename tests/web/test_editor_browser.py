"""A newsroom's day in the editor, in the Kazakh interface, on Debian's Chromium (Playwright).

An author logs in, writes an article with a photo, fixes the mixed-script word the editor points
out and submits it; an editor reviews, edits and publishes it; readers find it on the site, in
search and in the feed; the history shows the versions, compare shows the change, restore brings
the old text back; a second tab's stale save is caught. `make screenshots` keeps the screenshots
docs/editor.md shows (QALAM_SCREENSHOTS=docs/img).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image

from ..cli.test_serve import free_port, get, wait_until
from ..conftest import DEMO

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")

ACCOUNTS = {"aigul": ("author", "aigul-kupia-soz-2026", "Айгүл Серікқызы"),
            "erlan": ("editor", "erlan-kupia-soz-2026", "Ерлан Досжанов")}
TITLE = "Алматыда жаңа саябақ ашылды"
SLUG = "/news/almatyda-jana-saiabaq-asyldy"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    site = tmp_path_factory.mktemp("newsroom") / "demo"
    shutil.copytree(DEMO, site, ignore=shutil.ignore_patterns(".qalam"))
    exe = os.path.join(os.path.dirname(sys.executable), "qalam")
    for name, (role, password, full) in ACCOUNTS.items():
        subprocess.run([exe, "user", "add", name, "--role", role, "--full-name", full,
                        "--email", f"{name}@example.kz", "--site", str(site)],
                       input=password + "\n", text=True, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([exe, "serve", str(site), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: get(base + "/kk")[0] == 200)
        yield base, site
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
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                                    "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield b
        b.close()


def shots(tmp_path) -> Path:
    out = Path(os.environ.get("QALAM_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def log_in(browser, base, name):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="kk-KZ")
    page = context.new_page()
    page.goto(f"{base}/editor/")
    assert page.locator("h1").inner_text() == "Редакцияға кіру"
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", ACCOUNTS[name][1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/editor/")
    return context, page


def photo(tmp_path) -> Path:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0), 3: "E", 4: (76.0, 57.0, 0.0)}
    path = tmp_path / "саябақ.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (40, 140, 70)).save(buf, "JPEG", exif=exif.tobytes())
    path.write_bytes(buf.getvalue())
    return path


def test_a_newsroom_day(server, browser, tmp_path):
    base, site = server
    out = shots(tmp_path)

    # --- the author writes -------------------------------------------------------------------
    author_ctx, author = log_in(browser, base, "aigul")
    assert "Менің жобаларым" in author.content()
    author.click("text=Жаңа материал")
    author.fill("input[name=title]", TITLE)
    author.click("button.primary")
    author.wait_for_url(f"{base}/editor/edit/kk{SLUG}")
    author.fill("textarea[name=lead]", "Қала тұрғындары жаңа демалыс орнына ие болды.")
    author.fill("textarea[name=body]", "Саябақта балаларға арналған алаң мен бiлiм орталығы бар.")
    author.set_input_files("#lead-upload", str(photo(tmp_path)))
    select = author.locator("select[name=lead_image_file]")
    wait_until(lambda: select.input_value() == "saiabaq.jpg", timeout=10)
    author.fill("input[name=lead_image_credit]", "Асқар Жұмабаев")
    # The text check points out the word with Latin i; one click fixes it.
    finding = author.locator("#findings li.mixed")
    finding.wait_for(timeout=10_000)
    assert "бiлiм" in finding.inner_text()
    author.wait_for_timeout(800)  # the preview catches up
    author.screenshot(path=str(out / "editor-form.png"))
    finding.locator("button.fix").click()
    wait_until(lambda: "білім" in author.locator("textarea[name=body]").input_value(), timeout=5)
    assert "бiлiм" not in author.locator("textarea[name=body]").input_value()
    author.click("button[value=submit]")
    author.wait_for_url("**saved=submit")
    assert author.locator("#notice").inner_text() == "Тексеруге жіберілді."
    stored = (site / "pages" / "02.news" / SLUG.rsplit("/", 1)[1])
    assert (stored / "saiabaq.jpg").is_file()
    assert 0x8825 not in Image.open(stored / "saiabaq.jpg").getexif()  # GPS removed
    # An author cannot publish: the buttons are not there.
    assert author.locator("button[value=publish]").count() == 0

    # --- the editor reviews, edits and publishes ---------------------------------------------------
    editor_ctx, editor = log_in(browser, base, "erlan")
    review = editor.locator("#group-review")
    assert TITLE in review.inner_text()
    editor.screenshot(path=str(out / "editor-dashboard.png"))
    review.locator(f"text={TITLE}").click()
    body = editor.locator("textarea[name=body]")
    body.fill(body.input_value() + "\n\nСаябақ күн сайын 22:00-ге дейін ашық.")
    editor.click("button[value=publish]")
    editor.wait_for_url("**saved=publish")
    assert editor.locator("#notice").inner_text() == "Жарияланды."

    # --- readers see it ------------------------------------------------------------------------------
    status, html = get(f"{base}/kk{SLUG}")
    assert status == 200 and TITLE in html and "22:00-ге дейін" in html and "Асқар Жұмабаев" in html
    assert SLUG in get(f"{base}/kk/search?q=" + quote("саябақтар"))[1]  # Kazakh word forms
    assert TITLE in get(f"{base}/kk/feed.rss")[1]

    # --- history, compare, restore ---------------------------------------------------------------------
    editor.click("text=Нұсқалар тарихы")
    rows = editor.locator("table.history tbody tr")
    assert rows.count() >= 4  # create, upload, submit, publish (each a commit)
    assert "Ерлан Досжанов" in rows.first.inner_text()
    # Compare the version the author submitted with the newest one.
    submitted = rows.filter(has_text="Submit")
    submitted.locator("input[name=a]").check()
    editor.click("#compare")
    assert any("22:00" in t for t in editor.locator("#diff ins").all_inner_texts())
    editor.screenshot(path=str(out / "editor-compare.png"))
    editor.go_back()
    # Restore it: the editor's sentence goes (as a new version).
    editor.locator("table.history tbody tr").filter(has_text="Submit").locator("button").click()
    editor.wait_for_url("**saved=save")
    assert "22:00" not in editor.locator("textarea[name=body]").input_value()
    restored = get(f"{base}/kk{SLUG}")
    assert restored[0] == 200 and "22:00" not in restored[1]  # still published, with the old text

    # --- two tabs: the second save is caught ---------------------------------------------------------------
    tab_a = editor_ctx.new_page()
    tab_b = editor_ctx.new_page()
    for tab in (tab_a, tab_b):
        tab.goto(f"{base}/editor/edit/kk{SLUG}")
    tab_a.fill("textarea[name=lead]", "Бірінші қойындының лиді.")
    tab_a.click("button[value=save]")
    tab_a.wait_for_url("**saved=save")
    tab_b.fill("textarea[name=lead]", "Екінші қойындының лиді.")
    tab_b.click("button[value=save]")
    tab_b.wait_for_selector("#conflict")
    text = tab_b.content()
    assert "Бірінші қойындының лиді." in text and "Екінші қойындының лиді." in text
    tab_b.screenshot(path=str(out / "editor-conflict.png"), full_page=True)
    tab_b.click("#keep-mine")
    tab_b.wait_for_url("**saved=save")
    assert "Екінші қойындының лиді." in get(f"{base}/kk{SLUG}")[1]
    author_ctx.close()
    editor_ctx.close()
