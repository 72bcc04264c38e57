"""Class 2 of docs/security.md: the content tree holds only regular files inside the site.

Symbolic links out of the site, FIFOs, devices and oversized pages are never read, never block,
are reported by `qalam check`, and one of them never takes the rest of the site down.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qalam.content.safefs import FileTooLarge, UnsafeFile, read_bytes

PAGE = "---\ntitle: {title}\n---\nBody of {title}.\n"


def base_site(tmp_path: Path) -> Path:
    root = tmp_path / "user"
    (root / "pages/01.home").mkdir(parents=True)
    (root / "pages/01.home/default.md").write_text(PAGE.format(title="Home"))
    (root / "pages/02.ok").mkdir()
    (root / "pages/02.ok/default.md").write_text(PAGE.format(title="Fine"))
    return root


def open_site(root: Path, tmp_path: Path, **kw):
    from qalam.content.site import Site

    return Site(root, state_dir=tmp_path / "state", **kw)


SECRET = "QALAM_TELEGRAM_TOKEN=123:very-secret\n"


@pytest.fixture
def outside(tmp_path):
    secret = tmp_path / "outside" / "environ"
    secret.parent.mkdir()
    secret.write_text(SECRET)
    return secret


@pytest.mark.parametrize("target", ["file", "relative", "dir", "chain"])
def test_a_page_linked_out_of_the_site_is_never_read(tmp_path, outside, client_for, target):
    root = base_site(tmp_path)
    page_dir = root / "pages/03.leak"
    page_dir.mkdir()
    if target == "file":
        (page_dir / "default.md").symlink_to(outside)
    elif target == "relative":
        (page_dir / "default.md").symlink_to(os.path.relpath(outside, page_dir))
    elif target == "chain":  # a link to a link (inside the site) to the outside
        (root / "pages/hop.md").symlink_to(outside)
        (page_dir / "default.md").symlink_to(root / "pages/hop.md")
    else:  # a whole folder linked out of the site
        page_dir.rmdir()
        (root / "pages/03.leak").symlink_to(outside.parent, target_is_directory=True)
        (outside.parent / "default.md").write_text(PAGE.format(title="Outside") + SECRET)
    site = open_site(root, tmp_path)
    client = client_for(site)
    for url in ("/leak", "/hop"):
        r = client.get(url)
        assert "very-secret" not in r.content.decode("utf-8", "replace")
    assert client.get("/ok").status_code == 200
    assert not any("very-secret" in json_dump for json_dump in _index_texts(site))
    problems = [str(p) for p in site.problems()]
    assert any("pages/03.leak" in p and "outside the" in p for p in problems), problems


def _index_texts(site):
    rows = site.index._conn.execute(
        "SELECT header || coalesce(conformed, '') FROM files UNION ALL SELECT body FROM bodies").fetchall()
    return [text for (text,) in rows]


def test_a_link_inside_the_site_still_works(tmp_path, client_for):
    root = base_site(tmp_path)
    (root / "pages/03.twin").mkdir()
    (root / "pages/03.twin/default.md").symlink_to(root / "pages/02.ok/default.md")
    site = open_site(root, tmp_path)
    assert "Body of Fine" in client_for(site).get("/twin").content.decode()


def test_a_folder_link_loop_is_not_followed(tmp_path, client_for):
    root = base_site(tmp_path)
    (root / "pages/02.ok/loop").symlink_to(root / "pages", target_is_directory=True)
    site = open_site(root, tmp_path)
    assert client_for(site).get("/ok").status_code == 200
    assert any("loop" in str(p) for p in site.problems())


def test_a_fifo_named_like_a_page_never_blocks(tmp_path, client_for):
    root = base_site(tmp_path)
    (root / "pages/03.pipe").mkdir()
    os.mkfifo(root / "pages/03.pipe/default.md")
    os.mkfifo(root / "pages/02.ok/photo.jpg")  # and one named like a medium
    done = {}

    def run():
        site = open_site(root, tmp_path)
        done["problems"] = [str(p) for p in site.problems()]
        done["status"] = client_for(site).get("/ok").status_code
        done["media"] = client_for(site).get("/user/pages/02.ok/photo.jpg").status_code
        site.refresh()  # what the watcher calls on every change
        done["refreshed"] = True

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(20)
    assert done.get("refreshed"), "reading the site blocked on a FIFO"
    assert done["status"] == 200 and done["media"] == 404
    assert any("03.pipe/default.md" in p and "FIFO" in p for p in done["problems"])
    assert any("02.ok/photo.jpg" in p and "FIFO" in p for p in done["problems"])


def test_a_link_to_an_endless_device_is_refused_at_once(tmp_path):
    root = base_site(tmp_path)
    (root / "pages/03.zero").mkdir()
    (root / "pages/03.zero/default.md").symlink_to("/dev/zero")
    (root / "pages/02.ok/random.jpg").symlink_to("/dev/urandom")
    started = time.monotonic()
    site = open_site(root, tmp_path)
    problems = [str(p) for p in site.problems()]
    assert time.monotonic() - started < 10
    assert any("03.zero/default.md" in p for p in problems)
    assert "random.jpg" not in site.scan.nodes["02.ok"].media


def test_check_reports_a_fifo_without_hanging(tmp_path):
    root = base_site(tmp_path)
    (root / "pages/03.pipe").mkdir()
    os.mkfifo(root / "pages/03.pipe/default.md")
    (root / "pages/04.etc").mkdir()
    (root / "pages/04.etc/default.md").symlink_to("/etc/passwd")
    proc = subprocess.run([sys.executable, "-m", "qalam.cli.main", "check", str(root)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert proc.returncode == 1
    assert "pages/03.pipe/default.md: error: not served: a FIFO (named pipe), not a regular file" in proc.stdout
    assert "pages/04.etc/default.md: error: not served: a symbolic link that leads outside the site" in proc.stdout
    assert "root:" not in proc.stdout + proc.stderr


def test_an_oversized_page_is_a_problem_and_a_notice(tmp_path, client_for):
    root = base_site(tmp_path)
    (root / "config").mkdir()
    (root / "config/qalam.yaml").write_text("max_page_bytes: 64KB\n")
    (root / "pages/03.huge").mkdir()
    (root / "pages/03.huge/default.md").write_text(PAGE.format(title="Huge") + "word " * 40000)
    started = time.monotonic()
    site = open_site(root, tmp_path)
    html = client_for(site).get("/huge").content.decode()
    assert time.monotonic() - started < 10
    assert "word word" not in html
    assert 'class="qalam-error"' in html and "/tmp" not in html and "pages/" not in html
    problems = [str(p) for p in site.problems()]
    assert any("pages/03.huge/default.md" in p and "larger than the limit of 64.0 KB" in p
               and "qalam.max_page_bytes" in p for p in problems), problems


def test_the_default_size_cap_holds_for_a_100_mb_page(tmp_path):
    root = base_site(tmp_path)
    (root / "pages/03.huge").mkdir()
    with open(root / "pages/03.huge/default.md", "wb") as fh:
        fh.write(b"---\ntitle: Huge\n---\n")
        fh.truncate(100 * 1024 * 1024)  # sparse: costs no disk
    started = time.monotonic()
    site = open_site(root, tmp_path)
    assert time.monotonic() - started < 5
    assert any("larger than the limit of 4.0 MB" in str(p) for p in site.problems())


def test_a_kazakh_notice_on_a_kazakh_page(tmp_path, client_for):
    root = base_site(tmp_path)
    (root / "config").mkdir()
    (root / "config/system.yaml").write_text("languages:\n  supported: [kk, ru]\n")
    (root / "pages/03.bad").mkdir()
    (root / "pages/03.bad/default.kk.md").write_text("---\ntitle: 'open\n---\nx\n")
    site = open_site(root, tmp_path)
    html = client_for(site).get("/kk/bad").content.decode()
    assert "Бұл беттің мазмұнын қазір көрсету мүмкін емес." in html
    assert "default.kk.md" not in html


def test_config_files_linked_out_are_refused(tmp_path, outside):
    root = base_site(tmp_path)
    (root / "config").mkdir()
    (root / "config/site.yaml").symlink_to(outside)
    site = open_site(root, tmp_path)
    assert any("config/site.yaml" in str(p) and "outside" in str(p) for p in site.problems())


def test_safefs_read_bytes(tmp_path):
    (tmp_path / "a").write_text("x" * 10)
    assert read_bytes(tmp_path / "a", tmp_path, max_bytes=10) == b"x" * 10
    with pytest.raises(FileTooLarge):
        read_bytes(tmp_path / "a", tmp_path, max_bytes=9)
    with pytest.raises(UnsafeFile):
        read_bytes(tmp_path / "a", tmp_path / "sub", max_bytes=100)
    os.mkfifo(tmp_path / "f")
    with pytest.raises(UnsafeFile, match="FIFO"):
        read_bytes(tmp_path / "f", tmp_path, max_bytes=100)


def test_importers_do_not_follow_links_out_of_the_imported_folder(tmp_path, outside):
    from qalam.cli.importing import _collect

    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "good.txt").write_text("Headline\n\nText.\n")
    (archive / "leak.txt").symlink_to(outside)
    (archive / "sub").symlink_to(outside.parent, target_is_directory=True)
    os.mkfifo(archive / "pipe.txt")
    found = [name for _path, name in _collect((str(archive),), (".txt",))]
    assert found == ["good.txt"]


def test_import_of_a_fifo_is_refused_not_awaited(tmp_path):
    from qalam.importers.source import ImportProblem
    from qalam.importers.source import read_bytes as import_read

    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(ImportProblem, match="FIFO"):
        import_read(tmp_path / "pipe.txt", 1000)


def test_importer_images_linked_out_are_not_copied(tmp_path, outside):
    from qalam.importers.base import image_kind

    png = tmp_path / "outside" / "x.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    os.mkfifo(tmp_path / "pipe.png")
    assert image_kind(png) == "png"
    assert image_kind(tmp_path / "pipe.png") is None  # would block in open()
