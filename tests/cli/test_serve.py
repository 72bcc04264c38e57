"""`qalam serve` as a real process: HTTP on 127.0.0.1, and saved changes picked up by the watcher."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from ..conftest import DEMO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    req = urllib.request.Request(url)
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: D401 — keep 30x visible to the test
        return None


def wait_until(predicate, timeout: float = 20.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(step)
    raise AssertionError(f"condition not met in {timeout}s (last: {last!r})")


@pytest.fixture
def served(tmp_path):
    site = tmp_path / "demo"
    shutil.copytree(DEMO, site, ignore=shutil.ignore_patterns(".qalam"))
    port = free_port()
    exe = os.path.join(os.path.dirname(sys.executable), "qalam")
    proc = subprocess.Popen([exe, "serve", str(site), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: get(base + "/kk")[0] == 200)
        yield site, base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_serve_answers_and_picks_up_changes(served):
    site, base = served
    status, html = get(base + "/kk/news/2022-07-20-experts-visit")
    assert status == 200 and "Сарапшының сапары" in html
    assert get(base + "/")[0] == 302

    # Edit a page: the watcher re-reads it.
    page = site / "pages" / "02.news" / "02.2022-08-15-doctors-seminar" / "item.kk.md"
    page.write_text(page.read_text(encoding="utf-8").replace("Дәрігерлерге арналған семинар", "Жаңартылған тақырып"),
                    encoding="utf-8")
    wait_until(lambda: "Жаңартылған тақырып" in get(base + "/kk/news/2022-08-15-doctors-seminar")[1])

    # Add a page: it appears at its URL and in the listing.
    new = site / "pages" / "02.news" / "10.2026-11-20-new" / "item.kk.md"
    new.parent.mkdir()
    new.write_text("---\ntitle: 'Жаңа мақала'\ndate: '20-11-2026 10:00'\n---\nМәтін\n", encoding="utf-8")
    wait_until(lambda: get(base + "/kk/news/2026-11-20-new")[0] == 200)
    assert "Жаңа мақала" in get(base + "/kk/news")[1]

    # Delete it again: 404.
    shutil.rmtree(new.parent)
    wait_until(lambda: get(base + "/kk/news/2026-11-20-new")[0] == 404)
