"""Classes 1 and 3 of docs/security.md: the export never writes or deletes outside its output
folder, and every redirect Qalam derives from a request stays on the site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qalam.build.export import MANIFEST, build
from qalam.content.urlpaths import OutputFolder, PathEscape, local_location, route_problem, slug_problem

from ..conftest import NOW

PAGE = "---\ntitle: {title}\n{extra}---\nBody of {title}.\n"
BASE = "https://example.kz"


def site_with(tmp_path: Path, pages: dict[str, str], config: dict[str, str] | None = None):
    from qalam.content.site import Site

    root = tmp_path / "deep" / "er" / "user"
    (root / "pages/01.home").mkdir(parents=True)
    (root / "pages/01.home/default.md").write_text(PAGE.format(title="Home", extra=""))
    for rel, extra in pages.items():
        (root / "pages" / rel).mkdir(parents=True)
        (root / "pages" / rel / "default.md").write_text(PAGE.format(title=rel, extra=extra))
    for rel, text in (config or {}).items():
        (root / "config").mkdir(exist_ok=True)
        (root / "config" / rel).write_text(text)
    return Site(root, state_dir=tmp_path / "state", clock=lambda: NOW)


def everything_under(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*")}


BAD_SLUGS = ["../../..", "..", "../../escape", "a/../../b", "%2e%2e", "..\\..\\x", "ok\x00", "%252e%252e"]
BAD_ROUTES = ["/../../escape", "/a/../../../b", "/%2e%2e/%2e%2e/x", "//evil.example", "/a/./b", "/x\\..\\y"]


@pytest.mark.parametrize("slug", [s for s in BAD_SLUGS if "\x00" not in s])  # control characters are dropped on read
def test_a_slug_naming_a_folder_above_is_not_exported(tmp_path, slug):
    site = site_with(tmp_path, {"02.evil": f"slug: {json.dumps(slug)}\n", "02.evil/01.child": ""})
    before = everything_under(tmp_path) - everything_under(tmp_path / "state")
    out = tmp_path / "deep" / "out"
    build(site, out, base_url=BASE)
    after = everything_under(tmp_path) - everything_under(tmp_path / "state")
    outside = {p for p in after - before if not p.startswith(str(out))}
    assert outside == set()
    problems = [str(p) for p in site.problems()]
    assert any("02.evil/default.md" in p and "not served or exported" in p and "slug" in p for p in problems), problems
    assert any("02.evil/01.child/default.md" in p for p in problems)  # its child's route leaves too


@pytest.mark.parametrize("key", ["canonical", "aliases", "default"])
@pytest.mark.parametrize("route", BAD_ROUTES)
def test_a_route_naming_a_folder_above_is_not_exported(tmp_path, key, route, client_for):
    value = json.dumps([route]) if key == "aliases" else json.dumps(route)
    site = site_with(tmp_path, {"02.evil": f"routes:\n  {key}: {value}\n"})
    before = everything_under(tmp_path) - everything_under(tmp_path / "state")
    out = tmp_path / "deep" / "out"
    build(site, out, base_url=BASE)
    after = everything_under(tmp_path) - everything_under(tmp_path / "state")
    assert {p for p in after - before if not p.startswith(str(out))} == set()
    assert client_for(site).get("/evil").status_code == 404
    line = next(str(p) for p in site.problems() if "02.evil" in str(p))
    assert "default.md:3: error: not served or exported: routes" in line, line


def test_bad_site_routes_and_home_alias_are_reported(tmp_path):
    site = site_with(tmp_path, {}, {
        "site.yaml": "routes:\n  /../../x: /home\nredirects:\n  /old: /../../etc\n",
        "system.yaml": "home:\n  alias: /../../up\n",
    })
    out = tmp_path / "deep" / "out"
    build(site, out, base_url=BASE)
    assert not (tmp_path / "x").exists() and not (tmp_path / "deep" / "x").exists()
    problems = "\n".join(str(p) for p in site.problems())
    assert "routes: path '/../../x' has a '.' or '..' segment" in problems
    assert "redirects: target '/../../etc' has a '.' or '..' segment" in problems
    assert "home.alias: '/../../up' has a '.' or '..' segment" in problems


def test_the_prune_never_deletes_outside_the_output(tmp_path):
    site = site_with(tmp_path, {"02.ok": ""})
    out = tmp_path / "deep" / "out"
    build(site, out, base_url=BASE)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "deep" / "sibling").mkdir()
    (tmp_path / "deep" / "sibling" / "f.txt").write_text("keep me too")
    link_target = tmp_path / "linked"
    link_target.mkdir()
    (link_target / "data.html").write_text("keep")
    (out / "lnk").symlink_to(link_target, target_is_directory=True)
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"].update({
        "../../victim.txt": "0", str(victim): "0", "../sibling/f.txt": "0", "lnk/data.html": "0",
        "a/../../../victim.txt": "0",
    })
    (out / MANIFEST).write_text(json.dumps(manifest))
    report = build(site, out, base_url=BASE)
    assert victim.read_text() == "keep me"
    assert (tmp_path / "deep" / "sibling" / "f.txt").read_text() == "keep me too"
    assert (link_target / "data.html").read_text() == "keep"
    assert report.refused


def test_writes_do_not_follow_a_link_in_the_output(tmp_path):
    site = site_with(tmp_path, {"02.ok": ""})
    out = tmp_path / "deep" / "out"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    out.mkdir(parents=True)
    (out / "ok").symlink_to(outside, target_is_directory=True)  # /ok/index.html would land outside
    (out / "index.html").symlink_to(tmp_path / "victim.html")
    (tmp_path / "victim.html").write_text("keep")
    report = build(site, out, base_url=BASE)
    assert list(outside.iterdir()) == []
    assert (tmp_path / "victim.html").read_text() == "keep"
    assert (out / "index.html").is_file() and not (out / "index.html").is_symlink()
    assert any("ok" in r for r in report.refused)


def test_output_folder_unit():
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        folder = OutputFolder(Path(d) / "out")
        for bad in ["../x", "/etc/passwd", "a/../../x", "..", "a\\..\\..\\x", "x\x00y", ""]:
            with pytest.raises(PathEscape):
                folder.write(bad, b"x")
        folder.write("a/b/c.html", b"x")
        assert folder.remove("a/b/c.html") and not (Path(d) / "out" / "a").exists()
        assert (Path(d) / "out").is_dir()


# --- class 3: redirects stay on the site ----------------------------------------------------------
REQUESTS = ["//evil.example/", "//evil.example/x/", "/\\evil.example/", "/%2F%2Fevil.example/", "/%5Cevil.example/",
            "///evil.example/", "/kk//evil.example/", "/kk/\\evil.example/", "/%09/evil.example/",
            "//evil.example", "/kk//evil.example", "/ru//evil.example/", "/http://evil.example/"]


@pytest.mark.parametrize("path", REQUESTS)
def test_no_redirect_leaves_the_site(tmp_path, client_for, path):
    site = site_with(tmp_path, {"02.ok": ""}, {
        "system.yaml": "languages:\n  supported: [kk, ru]\n  include_default_lang: false\n"
                       "pages:\n  redirect_trailing_slash: true\n",
        "site.yaml": "redirects:\n  '/go/(.*)': '/$1'\n",
    })
    client = client_for(site)
    for url in (path, "/go//evil.example", "/go/%2F%2Fevil.example", "/go/\\evil.example"):
        r = client.get(url)
        location = r.get("Location")
        if location is not None:
            assert location.startswith("/") and not location.startswith("//") and "\\" not in location, (url, location)


def test_an_authored_external_redirect_still_works(tmp_path, client_for):
    site = site_with(tmp_path, {"02.out": "redirect: 'https://example.org/page'\n"},
                     {"site.yaml": "redirects:\n  /old: 'https://example.org/new'\n  '/gone/(.*)': 'https://$1'\n"})
    client = client_for(site)
    assert client.get("/out")["Location"] == "https://example.org/page"
    assert client.get("/old")["Location"] == "https://example.org/new"
    assert not client.get("/gone/evil.example")["Location"].startswith("https://evil")


def test_unit_helpers():
    assert local_location("//evil.example") == "/evil.example"
    assert local_location("/\\evil") == "/evil"
    assert local_location("https://evil.example/x?y=1") == "/x?y=1"
    assert local_location("/%2f%2Fevil") == "/evil"
    assert local_location("/kk/news?page=2") == "/kk/news?page=2"
    for bad in BAD_SLUGS:
        assert slug_problem(bad), bad
    for bad in BAD_ROUTES:
        assert route_problem(bad), bad
    assert slug_problem("жаңалықтар") is None and route_problem("/kk/news/2022-07-20-x") is None
