"""A clean first run, as a new user meets it (issue 16): `qalam new`, `check` messages that say
where and what, a busy port, and the Cyrillic/Latin switch on every page."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

from click.testing import CliRunner

from qalam.cli.main import cli

from ..conftest import NOW, write_site

QALAM = os.path.join(os.path.dirname(sys.executable), "qalam")


def test_qalam_new_makes_a_trilingual_site_that_serves(tmp_path, client_for):
    from qalam.content.site import Site

    result = CliRunner().invoke(cli, ["new", str(tmp_path / "mysite"), "--title", "Ауыл 'жаңалықтары'"])
    assert result.exit_code == 0, result.output
    assert "qalam serve" in result.output
    check = CliRunner().invoke(cli, ["check", str(tmp_path / "mysite")])
    assert check.exit_code == 0 and "0 errors, 0 warnings" in check.output
    site = Site(tmp_path / "mysite", state_dir=tmp_path / "state")
    client = client_for(site)
    for url, text in (("/kk", "Қош келдіңіз"), ("/ru", "Добро пожаловать"), ("/en", "Welcome"),
                      ("/kk/news", "Сайт ашылды"), ("/ru/news", "Сайт открыт"), ("/en/about", "About us"),
                      ("/kk-latn/news", "Sait aşyldy")):
        r = client.get(url)
        assert r.status_code == 200 and text in r.content.decode(), url
    assert "Ауыл 'жаңалықтары'" in client.get("/kk").content.decode().replace("&#39;", "'")
    again = CliRunner().invoke(cli, ["new", str(tmp_path / "mysite")])
    assert again.exit_code == 1 and "exists and is not empty" in again.output


def test_check_errors_for_an_unclosed_header_and_an_impossible_date(tmp_path):
    root = write_site(tmp_path / "s", {
        "pages/01.a/default.md": "---\ntitle: A\ndate: 2026-13-45\npublish_date: '2026-02-30 10:00'\n---\nbody\n",
        "pages/02.b/default.md": "---\ntitle: B\npublished: true\n\nthe header is never closed\n",
        "pages/03.c/default.md": "---\ntitle: C\nlead: 'an unclosed quote\nfoo: bar\nbaz: 1\n---\nbody\n",
    })
    result = CliRunner().invoke(cli, ["check", str(root)])
    out = result.output
    assert result.exit_code == 1
    assert "pages/01.a/default.md:3: error: date: cannot read '2026-13-45' as a date" in out
    assert "pages/01.a/default.md:4: error: publish_date: cannot read '2026-02-30 10:00' as a date" in out
    assert "pages/02.b/default.md:1: error: the header opened by '---' is never closed" in out
    assert "pages/03.c/default.md:3: error: a quoted value is never closed" in out


def test_an_unclosed_header_is_not_published_as_text(make_site, client_for):
    site = make_site({"pages/01.home/default.md": "---\ntitle: Home\n---\nhome\n",
                      "pages/02.b/default.md": "---\ntitle: B\nnotes: for the editors only\n\nbody\n"})
    html = client_for(site).get("/b").content.decode()
    assert "for the editors only" not in html and 'class="qalam-error"' in html


def test_check_prints_each_warning_once_with_its_line(tmp_path):
    root = write_site(tmp_path / "s", {
        "pages/01.a/default.md": "---\ntitle: A\n---\nfirst line\n\n![photo](missing.jpg)\n",
        "config/site.yaml": "summary: short\n",
    })
    proc = subprocess.run([QALAM, "check", str(root)], capture_output=True, text=True, timeout=60)
    both = proc.stdout + proc.stderr
    assert both.count("missing media file") == 1, both
    assert "pages/01.a/default.md:6: warning: missing media file 'missing.jpg'" in proc.stdout
    assert both.count("summary: must be a mapping") == 1, both


def test_a_busy_port_is_said_plainly(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        root = write_site(tmp_path / "s", {"pages/01.a/default.md": "---\ntitle: A\n---\nx\n"})
        proc = subprocess.run([QALAM, "serve", str(root), "--port", str(port)], capture_output=True, text=True,
                              timeout=60)
    assert proc.returncode == 1
    assert f"port {port} is in use; try --port {port + 1}" in proc.stderr
    assert "serving" not in proc.stderr and "Errno" not in proc.stderr + proc.stdout


def test_the_search_author_and_popular_pages_have_the_script_switch(make_site, client_for):
    site = make_site({
        "config/system.yaml": "languages:\n  supported: [kk, ru]\n",
        "pages/01.home/default.kk.md": "---\ntitle: Басты\n---\nх\n",
        "pages/02.a/item.kk.md": "---\ntitle: Дәрігер\nauthors: [Айгүл Серік]\ndate: 01-11-2026\n---\nдәрігерлер\n",
    }, now=NOW)
    client = client_for(site)
    for url, latin in (("/kk/search?q=дәрігер", "/kk-latn/search?q="), ("/kk/author/aigul-serik", "/kk-latn/author/"),
                       ("/kk/popular", "/kk-latn/popular")):
        html = client.get(url).content.decode()
        nav = re.search(r'<nav class="scripts".*?</nav>', html, re.S)
        assert nav and latin in nav.group(0), url
    html = client.get("/kk-latn/search?q=dariger").content.decode()
    nav = re.search(r'<nav class="scripts".*?</nav>', html, re.S).group(0)
    assert 'href="/kk-latn/search?q=dariger" data-no-rewrite aria-current="true"' in nav
    assert 'href="/kk/search?q=dariger"' in nav
