"""The `qalam` command: routes, check, index (serve is covered by the live-server test)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from qalam.cli.main import cli

from ..conftest import DEMO, write_site

BROKEN = {
    "config/system.yaml": "languages:\n  supported: [kk, ru]\n",
    "pages/01.home/default.kk.md": "---\ntitle: Басты\n---\nСәлем",
    "pages/02.news/blog.kk.md": "---\ntitle: Жаңалықтар\ncontent:\n  items: '@self.children'\n---\n",
    "pages/02.news/01.good/item.kk.md": "---\ntitle: Жақсы\ndate: '01-02-2024 10:00'\n---\n![сурет](missing.jpg)\n",
    "pages/02.news/02.bad/item.kk.md": "---\ntitle: Жаман\ndate: '01-02-2024 10:00'\ntags: [a, b\n---\nБұзық тақырып",
}


@pytest.fixture
def broken_site(tmp_path):
    return write_site(tmp_path / "broken", BROKEN)


def test_routes_lists_every_url_with_its_file(tmp_path):
    state = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["routes", str(DEMO), "--lang", "kk"], env={"XDG_CACHE_HOME": str(state)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "/kk/news/2022-07-20-experts-visit\tpages/02.news/01.2022-07-20-experts-visit/item.kk.md" in lines
    assert "/kk\tpages/01.home/default.kk.md" in lines
    assert not any("draft" in ln or "2030" in ln for ln in lines)  # unpublished and scheduled pages
    result = CliRunner().invoke(cli, ["routes", str(DEMO), "--all", "--lang", "kk"])
    assert any(ln.startswith("/kk/news/draft\t") and "not routable" in ln for ln in result.output.splitlines())


def test_routes_unknown_language_is_a_usage_error():
    result = CliRunner().invoke(cli, ["routes", str(DEMO), "--lang", "de"])
    assert result.exit_code == 2
    assert "unknown language 'de'" in result.output


def test_check_reports_file_and_line_and_exits_1(broken_site):
    result = CliRunner().invoke(cli, ["check", str(broken_site)])
    assert result.exit_code == 1
    out = result.output
    bad = [ln for ln in out.splitlines() if ln.startswith("pages/02.news/02.bad/item.kk.md:")]
    assert bad, out
    line_no = int(bad[0].split(":")[1])
    assert 3 <= line_no <= 5  # the broken flow sequence starts on line 4
    assert ": error: " in bad[0]
    assert any(
        ln.startswith("pages/02.news/01.good/item.kk.md") and "warning" in ln and "missing.jpg" in ln
        for ln in out.splitlines()
    ), out


def test_check_strict_and_clean_site(tmp_path):
    clean = write_site(tmp_path / "clean", {"pages/01.a/item.md": "---\ntitle: A\n---\n![x](gone.png)"})
    assert CliRunner().invoke(cli, ["check", str(clean)]).exit_code == 0  # a warning only
    assert CliRunner().invoke(cli, ["check", str(clean), "--strict"]).exit_code == 1


def test_check_reports_broken_config(tmp_path):
    site = write_site(tmp_path / "cfg", {
        "config/system.yaml": "languages:\n  supported: [kk\n",
        "pages/01.a/item.md": "x",
    })
    result = CliRunner().invoke(cli, ["check", str(site)])
    assert result.exit_code == 1
    assert any(ln.startswith("config/system.yaml:") for ln in result.output.splitlines()), result.output


def test_broken_page_keeps_the_rest_of_the_site_serving(broken_site, tmp_path, client_for):
    from qalam.content.site import Site

    site = Site(broken_site, state_dir=tmp_path / "st")
    client = client_for(site)
    assert client.get("/kk/news/good").status_code == 200
    r = client.get("/kk/news/bad")
    assert r.status_code == 200  # Grav shows the page with an error notice in place of the body
    # ... a neutral one in the page's language: the file and line go to `check` and the log.
    assert "pages/02.news/02.bad/item.kk.md" not in r.content.decode()
    assert "Бұл беттің мазмұнын қазір көрсету мүмкін емес." in r.content.decode()
    listing = client.get("/kk/news").content.decode()
    assert "Жақсы" in listing
    site.close()


def test_index_and_rebuild(tmp_path):
    site = write_site(tmp_path / "s", {"pages/01.a/item.md": "x", "pages/02.b/item.md": "y"})
    first = CliRunner().invoke(cli, ["index", str(site)])
    assert first.exit_code == 0 and "2 files indexed (2 parsed, 0 removed, 0 unchanged)" in first.output
    second = CliRunner().invoke(cli, ["index", str(site)])
    assert "(0 parsed, 0 removed, 2 unchanged)" in second.output
    rebuilt = CliRunner().invoke(cli, ["index", str(site), "--rebuild"])
    assert "(2 parsed, 0 removed, 0 unchanged)" in rebuilt.output


def test_not_a_site_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "not a Grav site folder" in result.output
