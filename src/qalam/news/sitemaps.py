"""Sitemaps and robots.txt (docs/feeds.md): an index, one sitemap per language (and the Kazakh
Latin edition) with hreflang alternates, a Google News sitemap, and robots.txt pointing to them.

One class per kind of sitemap (items, location, lastmod, ``limit`` URLs per file); the XML is
written by small writers (the urlset directly, the rest on news/feeds.py's XML writer), and the
bytes of ``/sitemap.xml``, ``/sitemap-<name>.xml`` and ``/robots.txt`` are made here (the render
pipeline answers with them): no web framework, so the static export needs none.
"""

from __future__ import annotations

import io
import math
import re
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from qalam.content import syndication
from qalam.content.pages import Page
from qalam.content.site import Site
from qalam.news.feeds import XMLWriter, absolute_url

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"

#: Paths robots.txt keeps crawlers out of: the JSON API and the editor's preview.
DISALLOW = ("/api/", "/_qalam/view")


# --- writers (no web code) ------------------------------------------------------------------
def _w3c(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


#: Characters XML 1.0 cannot carry: the generic writer refuses them (UnserializableContent).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_urlset(out, urls: list[dict]) -> None:
    """``<urlset>`` with ``<loc>``, ``<lastmod>`` and ``xhtml:link`` hreflang alternates per URL.

    ``urls`` are Django's url_info dicts: location, lastmod, alternates ({location, lang_code}).
    The bytes are exactly those of the XML writer (:func:`_write_urlset_generic`, a test compares
    them), written directly: a 10,000-page sitemap took a third of a second
    through the generator, on every rebuild after an edit.
    """
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n',
             f'<urlset xmlns={quoteattr(SITEMAP_NS)} xmlns:xhtml={quoteattr(XHTML_NS)}>']
    for url in urls:
        texts = [url["location"], *(v for alt in url.get("alternates") or [] for v in (alt["lang_code"], alt["location"]))]
        if any(_NOT_XML.search(t) for t in texts):
            return _write_urlset_generic(out, urls)
        parts.append(f"<url><loc>{escape(url['location'])}</loc>")
        if url.get("lastmod"):
            parts.append(f"<lastmod>{escape(_w3c(url['lastmod']))}</lastmod>")
        for alt in url.get("alternates") or []:
            parts.append(f'<xhtml:link href={quoteattr(alt["location"])} hreflang={quoteattr(alt["lang_code"])} '
                         'rel="alternate"/>')
        parts.append("</url>")
    parts.append("</urlset>")
    out.write("".join(parts))


def _write_urlset_generic(out, urls: list[dict]) -> None:
    """The same document through the XML writer (the reference; raises on control characters)."""
    xml = XMLWriter(out)
    xml.startDocument()
    xml.startElement("urlset", {"xmlns": SITEMAP_NS, "xmlns:xhtml": XHTML_NS})
    for url in urls:
        xml.startElement("url", {})
        xml.element("loc", url["location"])
        if url.get("lastmod"):
            xml.element("lastmod", _w3c(url["lastmod"]))
        for alt in url.get("alternates") or []:
            xml.element("xhtml:link", None, {"rel": "alternate", "hreflang": alt["lang_code"],
                                                     "href": alt["location"]})
        xml.endElement("url")
    xml.endElement("urlset")
    xml.endDocument()


@dataclass
class NewsEntry:
    location: str
    language: str  # kk, ru, en
    publication_date: datetime
    title: str


def write_news_urlset(out, publication: str, entries: list[NewsEntry]) -> None:
    """A Google News sitemap: ``<news:news>`` with publication name and language, date and title."""
    xml = XMLWriter(out)
    xml.startDocument()
    xml.startElement("urlset", {"xmlns": SITEMAP_NS, "xmlns:news": NEWS_NS})
    for entry in entries:
        xml.startElement("url", {})
        xml.element("loc", entry.location)
        xml.startElement("news:news", {})
        xml.startElement("news:publication", {})
        xml.element("news:name", publication)
        xml.element("news:language", entry.language)
        xml.endElement("news:publication")
        xml.element("news:publication_date", _w3c(entry.publication_date))
        xml.element("news:title", entry.title)
        xml.endElement("news:news")
        xml.endElement("url")
    xml.endElement("urlset")
    xml.endDocument()


def write_sitemap_index(out, sitemaps: list[tuple[str, datetime | None]]) -> None:
    """``<sitemapindex>``: (absolute location, lastmod) of each sitemap file."""
    xml = XMLWriter(out)
    xml.startDocument()
    xml.startElement("sitemapindex", {"xmlns": SITEMAP_NS})
    for location, lastmod in sitemaps:
        xml.startElement("sitemap", {})
        xml.element("loc", location)
        if lastmod is not None:
            xml.element("lastmod", _w3c(lastmod))
        xml.endElement("sitemap")
    xml.endElement("sitemapindex")
    xml.endDocument()


# --- sitemap classes --------------------------------------------------------------------------
class QalamSitemap:
    """The pages of one sitemap; ``name`` gives the file (``sitemap-<name>.xml``, ``-2`` ...),
    ``limit`` the URLs per file (50,000: the protocol's maximum)."""

    name = ""
    limit = 50_000

    def __init__(self, site: Site):
        self.site = site
        self.now = site.now()
        self._selected: list[Page] | None = None

    def items(self) -> list[Page]:
        if self._selected is None:  # the file count, lastmod and each file ask for the items
            self._selected = self.select()
        return self._selected

    def select(self) -> list[Page]:
        """The pages of this sitemap; each subclass says which."""
        raise TypeError(f"{type(self).__name__} must define select()")

    @property
    def files(self) -> int:
        """How many files the sitemap takes (one even when it is empty)."""
        return max(1, math.ceil(len(self.items()) / self.limit))

    def location(self, page: Page) -> str:
        return urllib.parse.quote(page.url(), safe="/:@!$&'()*+,;=-._~%")

    def lastmod(self, page: Page) -> datetime:
        return syndication.updated(page, self.now)

    def latest_lastmod(self) -> datetime | None:
        return max((self.lastmod(page) for page in self.items()), default=None)

    def file_path(self, number: int = 1) -> str:
        return f"/sitemap-{self.name}.xml" if number == 1 else f"/sitemap-{self.name}-{number}.xml"

    def urls_for(self, base: str, number: int) -> list[dict]:
        """url_info dicts (item, location, lastmod, alternates) of file ``number`` (1 ...)."""
        if not 1 <= number <= self.files:
            raise LookupError(f"{self.file_path(number)}: the sitemap has {self.files} files")
        base = base.rstrip("/")
        pages = self.items()[(number - 1) * self.limit: number * self.limit]
        return [{"item": page, "location": base + self.location(page), "lastmod": self.lastmod(page),
                 "alternates": []} for page in pages]


class LanguageSitemap(QalamSitemap):
    """Every indexable page of one language, each with its hreflang alternates (and x-default)."""

    def __init__(self, site: Site, lang: str, script: str = ""):
        super().__init__(site)
        self.lang = lang
        self.script = script  # "latn": the same pages at their Latin-edition URLs
        self.name = (f"{lang}-{script}" if script else lang) or "pages"

    def select(self) -> list[Page]:
        return syndication.sitemap_pages(self.site, self.lang, now=self.now)

    def location(self, page: Page) -> str:
        if self.script == "latn":
            return urllib.parse.quote(self.site.latin_url(page.url(), self.lang), safe="/:@!$&'()*+,;=-._~%")
        return super().location(page)

    def urls_for(self, base: str, number: int) -> list[dict]:
        urls = super().urls_for(base, number)
        base = base.rstrip("/")
        for url in urls:
            url["alternates"] = [
                {"lang_code": alt.hreflang, "location": absolute_url(base, alt.url)}
                for alt in syndication.alternates(self.site, url["item"], now=self.now)
            ]
        return urls


class NewsSitemap(QalamSitemap):
    """Google News: articles of the last two days in every language, 1,000 per file."""

    name = "news"
    limit = syndication.NEWS_SITEMAP_LIMIT

    def select(self) -> list[Page]:
        return syndication.news_articles(self.site, now=self.now)

    def publication(self) -> str:
        """``qalam.publisher.name``, else the site title: the name Google News knows the outlet by."""
        return str(self.site.config.get("qalam.publisher.name") or "") or self.site.config.title

    def entries(self, base: str, number: int) -> list[NewsEntry]:
        return [
            NewsEntry(url["location"], self.site.html_lang(url["item"].lang), url["item"].date, url["item"].title)
            for url in self.urls_for(base, number)
        ]


def sitemaps_for(site: Site) -> list[QalamSitemap]:
    """The sitemaps a site has, in index order: languages (Latin edition after its language), news."""
    out: list[QalamSitemap] = []
    for lang in site.language_codes:
        out.append(LanguageSitemap(site, lang))
        if site.latin_edition(lang):
            out.append(LanguageSitemap(site, lang, "latn"))
    if is_news_site(site):
        out.append(NewsSitemap(site))
    return out


def is_news_site(site: Site) -> bool:
    """``qalam.site_type: news`` (the default): the site gets a Google News sitemap."""
    return str(site.config.get("qalam.site_type") or "news").strip().lower() == "news"


# --- documents --------------------------------------------------------------------------------
class _Bytes:
    """What the writers write to: text (encoded as UTF-8, as the XML writer does) or bytes."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> None:
        self.parts.append(data.encode("utf-8", "xmlcharrefreplace") if isinstance(data, str) else bytes(data))

    def value(self) -> bytes:
        return b"".join(self.parts)


def sitemap_index_xml(site: Site, base: str) -> bytes:
    """``/sitemap.xml``: every file of every sitemap, with its newest lastmod (``base``: the site's address)."""
    entries = []
    for sitemap in sitemaps_for(site):
        lastmod = sitemap.latest_lastmod()
        for number in range(1, sitemap.files + 1):
            entries.append((absolute_url(base, sitemap.file_path(number)), lastmod))
    out = _Bytes()
    write_sitemap_index(out, entries)
    return out.value()


def sitemap_xml(site: Site, path: str, base: str, name: str, number: str | None = None) -> bytes | None:
    """``/sitemap-<name>.xml`` and its further files ``/sitemap-<name>-<n>.xml`` (n >= 2); None when
    ``path`` names no sitemap file (a page may live there)."""
    sitemap = next((s for s in sitemaps_for(site) if s.name == name.lower()), None)
    n = int(number) if number else 1
    if sitemap is None or number == "1" or path != sitemap.file_path(n) or n > sitemap.files:
        return None
    out = _Bytes()
    if isinstance(sitemap, NewsSitemap):
        write_news_urlset(out, sitemap.publication(), sitemap.entries(base, n))
    else:
        write_urlset(out, sitemap.urls_for(base, n))
    return out.value()


def robots_txt(site: Site, base: str) -> bytes:
    """Everything allowed but the API and the preview; ``Sitemap:`` lines with absolute URLs.

    Disallow lines come before ``Allow: /`` because crawlers that take the first matching rule
    (the original robots.txt convention) would otherwise never see them; Google and Yandex take
    the longest match, where the order does not matter.
    """
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOW), "Allow: /", ""]
    lines.append(f"Sitemap: {absolute_url(base, '/sitemap.xml')}")
    if is_news_site(site):
        lines.append(f"Sitemap: {absolute_url(base, '/sitemap-news.xml')}")
    return ("\n".join(lines) + "\n").encode("utf-8")
