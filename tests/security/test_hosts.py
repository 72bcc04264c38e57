"""Classes 4 and 8 (slow clients) of docs/security.md: a request's Host and forwarded headers never
shape a page, and a slow client cannot hold the server."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

from ..cli.test_serve import free_port, wait_until
from ..conftest import DEMO, NOW

ARTICLE = "/kk/news/2022-07-20-experts-visit"


@pytest.fixture
def demo_site(tmp_path):
    from qalam.content.site import Site

    root = tmp_path / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns(".qalam"))
    site = Site(root, state_dir=tmp_path / "state", clock=lambda: NOW)
    yield site
    site.close()


def absolute_urls(html: str) -> set[str]:
    return set(re.findall(r'https?://[^/"\s<]+', html))


FORGED = ["evil.example", "evil.example:80", "localhost.evil.example", "127.0.0.1.nip.io", "localhost@evil.example",
          "[::1].evil", "LOCALHOST.evil"]


@pytest.mark.parametrize("host", FORGED)
def test_a_forged_host_is_refused(demo_site, client_for, host):
    client = client_for(demo_site)
    for url in (ARTICLE, "/kk/feed.rss", "/sitemap.xml", "/robots.txt", "/kk/search?q=x", "/"):
        r = client.get(url, HTTP_HOST=host)
        assert r.status_code == 400, (url, host)


def test_without_a_base_url_only_loopback_and_listed_hosts(demo_site, client_for):
    client = client_for(demo_site)
    for host in ("localhost", "127.0.0.1", "127.0.0.1:8000", "[::1]:8000", "LocalHost"):
        assert client.get(ARTICLE, HTTP_HOST=host).status_code == 200, host
    demo_site.config.data["qalam"]["hosts"] = ["news.example.kz"]
    html = client.get(ARTICLE, HTTP_HOST="news.example.kz").content.decode()
    assert absolute_urls(html) <= {"http://news.example.kz", "https://news.example.kz"} | _share_hosts(html)


def _share_hosts(html: str) -> set[str]:
    """Share links point at social networks by design."""
    return {u for u in absolute_urls(html) if not any(h in u for h in ("localhost", "example.kz", "evil"))}


def test_with_a_base_url_every_absolute_url_comes_from_it(demo_site, client_for):
    demo_site.config.data["site"]["base_url"] = "https://news.example.kz/"
    client = client_for(demo_site)
    for url in (ARTICLE, "/kk/feed.rss", "/kk/feed.atom", "/kk/feed.json", "/sitemap.xml", "/sitemap-kk.xml",
                "/robots.txt"):
        r = client.get(url, HTTP_HOST="localhost:8000", HTTP_X_FORWARDED_HOST="evil.example",
                       HTTP_X_FORWARDED_PROTO="http", HTTP_FORWARDED="host=evil.example;proto=http")
        body = r.content.decode()
        assert r.status_code == 200, url
        assert "evil" not in body and "localhost" not in body, url
        assert "https://news.example.kz" in body, url


def test_forwarded_headers_are_ignored_by_django(demo_site, client_for):
    client = client_for(demo_site)
    html = client.get(ARTICLE, HTTP_X_FORWARDED_HOST="evil.example", HTTP_X_FORWARDED_PROTO="https").content.decode()
    assert "evil.example" not in html and "https://localhost" not in html


def test_build_base_url_https_gives_https_everywhere(demo_site, tmp_path):
    from qalam.build.export import build

    out = tmp_path / "out"
    build(demo_site, out, base_url="https://news.example.kz")
    page = (out / ARTICLE.strip("/") / "index.html").read_text()
    assert '<link rel="canonical" href="https://news.example.kz' + ARTICLE in page
    for name in ("kk/news/2022-07-20-experts-visit/index.html", "kk/feed.rss", "sitemap.xml", "robots.txt"):
        text = (out / name).read_text()
        assert "http://news.example.kz" not in text and "http://localhost" not in text, name


# --- a real server ------------------------------------------------------------------------------------
@pytest.fixture
def serve(tmp_path):
    procs = []

    def start(*args):
        root = tmp_path / f"demo{len(procs)}"
        shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns(".qalam"))
        port = free_port()
        exe = os.path.join(os.path.dirname(sys.executable), "qalam")
        proc = subprocess.Popen([exe, "serve", str(root), "--port", str(port), "--no-watch", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(proc)
        wait_until(lambda: raw(port, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").startswith(b"HTTP/1.1"))
        return port

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def raw(port: int, request: str, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request.encode())
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                m = re.search(rb"content-length: (\d+)", head, re.I)
                if m and len(body) >= int(m.group(1)):
                    break
        return data


def test_served_forged_host_and_forwarded_headers(serve):
    port = serve()
    assert raw(port, f"GET {ARTICLE} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n").startswith(
        b"HTTP/1.1 400")
    page = raw(port, f"GET {ARTICLE} HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: https\r\n"
                     f"X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Host: evil.example\r\nConnection: close\r\n\r\n")
    assert page.startswith(b"HTTP/1.1 200")
    assert b"https://localhost" not in page and b"evil.example" not in page  # no proxy configured


def test_served_with_base_url_and_proxy_headers(serve):
    port = serve("--base-url", "https://news.example.kz", "--proxy-headers")
    page = raw(port, f"GET {ARTICLE} HTTP/1.1\r\nHost: news.example.kz\r\nX-Forwarded-Proto: https\r\n"
                     "Connection: close\r\n\r\n")
    assert page.startswith(b"HTTP/1.1 200") and b'href="https://news.example.kz/kk/news' in page
    # The cache is keyed without the host: a poisoned entry cannot exist.
    other = raw(port, f"GET {ARTICLE} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert b"x-cache: hit" in other.lower() and b"localhost" not in other.split(b"\r\n\r\n", 1)[1]


def test_slow_clients_do_not_block_others_and_are_cut_off(serve):
    port = serve("--header-timeout", "1")
    slow = []
    for _ in range(40):  # slowloris: a request line and half a header, then nothing
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        slow.append(s)
    try:
        started = time.monotonic()
        page = raw(port, f"GET {ARTICLE} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert page.startswith(b"HTTP/1.1 200") and time.monotonic() - started < 3
        time.sleep(1.6)
        closed = 0
        for s in slow:
            s.settimeout(2)
            try:
                closed += s.recv(100) == b""
            except (ConnectionResetError, TimeoutError):
                closed += 1
        assert closed == len(slow), f"{len(slow) - closed} slow connections still open after the header timeout"
    finally:
        for s in slow:
            s.close()
