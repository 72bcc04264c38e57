"""Shared helpers for the importer tests: a throwaway site, importing, reading the page back."""

from __future__ import annotations

from pathlib import Path

from qalam.content.frontmatter import read_page_file
from qalam.importers.base import ImportSession

from ..conftest import write_site

#: A trilingual site like the demo: kk default with /kk prefixes, a news section with a listing.
SITE_FILES = {
    "config/system.yaml": """
        timezone: Asia/Almaty
        languages:
          supported: [kk, ru, en]
          default_lang: kk
          include_default_lang: true
        pages:
          dateformat:
            default: 'd-m-Y H:i'
    """,
    "config/site.yaml": """
        title: Test site   # the site's name
        # Old addresses of moved pages:
        redirects:
          /old-news: '/news'
    """,
    "pages/01.home/default.kk.md": "---\ntitle: Басты бет\n---\nСәлем\n",
    "pages/02.news/blog.kk.md": """
        ---
        title: Жаңалықтар
        content:
          items: '@self.children'
          order: {by: date, dir: desc}
        ---
    """,
}


def new_site(root: Path, extra: dict | None = None) -> Path:
    return write_site(root, {**SITE_FILES, **(extra or {})})


def session(site: Path, **kwargs) -> ImportSession:
    return ImportSession(site, **kwargs)


def page_files(site: Path) -> list[Path]:
    return sorted(p for p in (site / "pages").rglob("*.md") if not p.name.startswith(("blog", "default")))


def read_page(path: Path):
    """(header dict, body) as Qalam reads the file."""
    src = read_page_file(path)
    assert src.error is None, src.error
    return src.header, src.body


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (but Qalam's state) with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".qalam" not in p.relative_to(root).parts}
