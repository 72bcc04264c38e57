"""The page render pipeline does not depend on Django (pipeline issue, step 1).

Site -> content (Markdown, Twig-in-content, summaries) -> page context (listings, related,
structured data, views, most read) -> theme template -> HTML, in a fresh interpreter: Django is
never imported. Django keeps the editor, the API, sessions and the URL table.
"""

from __future__ import annotations

import subprocess
import sys

from ..conftest import DEMO, REPO

CODE = """
import sys, tempfile
from pathlib import Path
from qalam.content.site import Site
from qalam.content.urlpaths import absolute_url
from qalam.render.context import page_context
from qalam.render.theme import page_template

site = Site(Path(sys.argv[1]), state_dir=Path(tempfile.mkdtemp()))
for path in sys.argv[2:]:
    res = site.resolve(path)
    assert res.kind == "page", (path, res.kind)
    listing = site.listing(res.page, res.params)
    ctx = page_context(site, res.page, res.lang, listing, lambda p: absolute_url("http://localhost", p), res.script)
    html = page_template(site, res.page.template_name).render(ctx)
    assert "</html>" in html and "qalam-error" not in html, path
print(sorted(m for m in sys.modules if m == "django" or m.startswith("django.")))
"""


def test_rendering_pages_imports_no_django():
    paths = ["/kk/news/2026-11-22-mobile-clinic", "/kk/news", "/ru", "/kk-latn/news/2026-11-22-mobile-clinic"]
    out = subprocess.run([sys.executable, "-c", CODE, str(DEMO), *paths], capture_output=True, text=True,
                         cwd=REPO, check=True)
    assert out.stdout.strip() == "[]", out.stdout


BUILD = """
import shutil, sys, tempfile
from pathlib import Path
from qalam.build.export import build
from qalam.content.site import Site
from qalam.render.pipeline import answer
from qalam.render.reply import Request

work = Path(tempfile.mkdtemp())
shutil.copytree(sys.argv[1], work / "site")
site = Site(work / "site", state_dir=work / "state")
report = build(site, work / "out", base_url="https://example.kz", jobs=int(sys.argv[2]))
assert not report.errors, report.errors
for name in ("kk/news/2026-11-22-mobile-clinic/index.html", "kk/feed.rss", "kk/feed.atom", "kk/feed.json",
             "sitemap.xml", "robots.txt", "kk-latn/news/index.html", "404.html"):
    assert (work / "out" / name).is_file(), name
assert answer(site, Request.for_url("/kk/search?q=clinic")).status == 200
print(report.files, sorted(m for m in sys.modules if m == "django" or m.startswith("django.")))
"""


def test_the_static_export_imports_no_django():
    """`qalam build` (pages, feeds, sitemaps, robots.txt, the Latin edition, 404.html, in forked
    workers too) goes through the render pipeline alone: Django is never imported."""
    out = subprocess.run([sys.executable, "-c", BUILD, str(DEMO), "2"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    files, modules = out.stdout.strip().split(" ", 1)
    assert int(files) > 50 and modules == "[]", out.stdout
