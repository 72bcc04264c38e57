"""RSS 2.0, Atom, JSON Feed 1.1 and a Yandex full-text RSS of a site's articles (docs/feeds.md).

A feed is built once as a :class:`FeedDoc` (channel and items, absolute URLs) and written by one
writer per format on the standard library's XML generator: the bytes are those Django's
syndication framework wrote before (element order, sorted attributes, ``short_empty_elements``,
control characters refused), without importing it, so the static export needs no web framework.

Which pages a feed lists is decided in the content layer (:mod:`qalam.content.syndication`).
"""

from __future__ import annotations

import email.utils
import io
import json
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from xml.sax.saxutils import XMLGenerator

from qalam.content import syndication
from qalam.content.article import Article, article, item_for
from qalam.content.pages import Page
from qalam.content.site import Site
from qalam.content.syndication import feed_path  # noqa: F401 — where feed URLs are made
from qalam.content.syndication import register_feed_url as register  # noqa: F401
from qalam.content.urlpaths import iri_to_uri
from qalam.search.text import html_to_text

#: How long browsers, proxies and feed readers may reuse a feed or sitemap (seconds).
MAX_AGE = 300
FORMATS = ("rss", "atom", "json")
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
ATOM_NS = "http://www.w3.org/2005/Atom"
YANDEX_NS = "http://news.yandex.ru"
DC_NS = "http://purl.org/dc/elements/1.1/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


class UnserializableContent(ValueError):
    """Text XML 1.0 cannot carry (control characters)."""


# --- what a feed URL names ------------------------------------------------------------------
@dataclass
class FeedScope:
    """One feed: a language, optionally one section or one tag, in one format."""

    site: Site
    lang: str
    base: str  # absolute site address without the trailing slash
    section: Page | None = None
    tag: str | None = None
    fmt: str = "rss"
    full_text: bool = False

    @property
    def path(self) -> str:
        return feed_path(self.site, self.lang, section=self.section.slug if self.section else None,
                         tag=self.tag, fmt=self.fmt, full_text=self.full_text)

    def absolute(self, path: str) -> str:
        return absolute_url(self.base, path)


def site_base(site: Site, request) -> str:
    """The base URL when configured, else the scheme and (allowed) host the request came to."""
    from qalam.content.urlpaths import origin

    return origin(site, request)


from qalam.content.urlpaths import absolute_url  # noqa: E402 — one definition


def resolve_scope(site: Site, request, first: str | None, second: str | None, *,
                  tag: str | None, fmt: str, full_text: bool) -> FeedScope | None:
    """The feed a URL names, or None when it names none (then the page dispatcher answers)."""
    parts = [p for p in (first, second) if p]
    codes = {c.lower(): c for c in site.languages.supported}
    if parts and parts[0].lower() in codes:
        lang = codes[parts.pop(0).lower()]
    elif not site.languages.enabled:
        lang = ""
    else:
        lang = site.default_lang  # no prefix: the default language (redirected if it has one)
    if len(parts) > (0 if tag is not None or full_text else 1):
        return None
    scope = FeedScope(site, lang, site_base(site, request), fmt=fmt, full_text=full_text)
    if parts:
        wanted = parts[0].lower()
        scope.section = next((p for slug, p in syndication.sections(site, lang).items() if slug.lower() == wanted), None)
        if scope.section is None:
            return None
    if tag is not None:
        scope.tag = syndication.find_tag(site, lang, tag)
        if scope.tag is None:
            return None
    return scope


@dataclass
class Entry:
    """An article as a feed item: what every ``item_*`` method needs, without request state."""

    page: Page
    article: Article
    scope: FeedScope

    @property
    def link(self) -> str:
        return self.scope.absolute(self.page.url())


_ROOT_RELATIVE = re.compile(r'(\s(?:href|src|poster)=")(/(?!/))')
_SRCSET = re.compile(r'(\ssrcset=")([^"]*)(")')
_SRCSET_URL = re.compile(r"(^|,\s*)/(?!/)")


def absolute_links(html: str, base: str) -> str:
    """Root-relative links and images (``srcset`` too) made absolute: feed readers show the HTML off-site."""
    html = _ROOT_RELATIVE.sub(lambda m: m.group(1) + base + "/", html)
    return _SRCSET.sub(lambda m: m.group(1) + _SRCSET_URL.sub(lambda u: u.group(1) + base + "/", m.group(2)) + m.group(3), html)


_ROOT_RELATIVE = re.compile(r'(\s(?:href|src|poster)=")(/(?!/))')
_SRCSET = re.compile(r'(\ssrcset=")([^"]*)(")')
_SRCSET_URL = re.compile(r"(^|,\s*)/(?!/)")


def absolute_links(html: str, base: str) -> str:
    """Root-relative links and images (``srcset`` too) made absolute: feed readers show the HTML off-site."""
    html = _ROOT_RELATIVE.sub(lambda m: m.group(1) + base + "/", html)
    return _SRCSET.sub(lambda m: m.group(1) + _SRCSET_URL.sub(lambda u: u.group(1) + base + "/", m.group(2)) + m.group(3), html)




# --- the feed document ----------------------------------------------------------------------
@dataclass
class Enclosure:
    url: str
    length: str
    mime_type: str


@dataclass
class FeedItem:
    """One article of a feed, every URL absolute."""

    title: str
    link: str
    guid: str
    description: str
    pubdate: datetime | None
    updated: datetime | None
    author_name: str | None  # the authors joined by commas (RSS, Atom)
    authors: list[str] = field(default_factory=list)  # JSON Feed lists them one by one
    categories: list[str] = field(default_factory=list)
    enclosure: Enclosure | None = None
    image: str | None = None
    language: str | None = None
    full_text: str | None = None  # Yandex full-text RSS only
    genre: str | None = None


@dataclass
class FeedDoc:
    title: str
    link: str
    description: str
    feed_url: str
    language: str
    author_name: str | None
    items: list[FeedItem]

    def latest(self) -> datetime:
        """The newest date of any item (published or updated); now when there are no items."""
        dates = [d for item in self.items for d in (item.updated, item.pubdate) if d]
        return max(dates) if dates else datetime.now(tz=timezone.utc)


def feed_title(scope: FeedScope) -> str:
    name = scope.site.config.title
    if scope.section is not None:
        return f"{name} — {scope.section.title}"
    if scope.tag is not None:
        return f"{name} — #{scope.tag}"
    return name


def feed_document(scope: FeedScope) -> FeedDoc:
    """The channel and the newest ``qalam.feeds.limit`` articles of a scope."""
    site = scope.site
    meta = site.config.get("site.metadata") or {}
    description = meta.get("description") if isinstance(meta, dict) else None
    if scope.section is not None and scope.section.routable(site.now()):
        link = scope.absolute(scope.section.url())
    else:
        home = site.tree(scope.lang).home
        link = scope.absolute(home.url() if home is not None else (site.languages.prefix(scope.lang) or "/"))
    pages = syndication.articles(site, scope.lang, section=scope.section.slug if scope.section else None,
                                 tag=scope.tag, limit=syndication.feed_limit(site))
    return FeedDoc(
        title=feed_title(scope), link=iri_to_uri(link), description=str(description or feed_title(scope)),
        feed_url=iri_to_uri(scope.absolute(scope.path)), language=site.html_lang(scope.lang),
        author_name=str(site.config.get("site.author.name") or "") or None,
        items=[feed_item(scope, Entry(page, article(page), scope)) for page in pages],
    )


def feed_item(scope: FeedScope, entry: Entry) -> FeedItem:
    site, a = scope.site, entry.article
    categories: list[str] = []
    for value in [a.section_title, *a.categories, *a.tags]:
        if value and str(value) not in categories:
            categories.append(str(value))
    lead = a.lead_image
    enclosure = None
    if lead is not None and lead.url:
        path = site.safe_media_path(entry.page.node.file_rel(lead.file))
        if path is not None:
            mime = mimetypes.guess_type(lead.file)[0] or "application/octet-stream"
            enclosure = Enclosure(iri_to_uri(scope.absolute(lead.url)), str(path.stat().st_size), mime)
    item = FeedItem(
        title=str(entry.page.title), link=iri_to_uri(entry.link), guid=entry.link,
        description=absolute_links(item_for(site, entry.page).summary, scope.base),
        pubdate=_aware(entry.page.date), updated=_aware(syndication.updated(entry.page, site.now())),
        author_name=", ".join(x.name for x in a.authors) or None, authors=[x.name for x in a.authors],
        categories=categories, enclosure=enclosure,
        image=scope.absolute(lead.url) if lead is not None and lead.url else None,
        language=site.html_lang(entry.page.lang),
    )
    if scope.full_text:
        item.full_text = html_to_text(site.content(entry.page).html)
        item.genre = "message"
    return item


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


# --- writers --------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0B-\x0C\x0E-\x1F]")


class XMLWriter(XMLGenerator):
    """The standard library's XML writer with sorted attributes, one-call elements and no
    control characters (XML 1.0 cannot carry them)."""

    def __init__(self, out):
        super().__init__(out, "utf-8", short_empty_elements=True)

    def startElement(self, name, attrs):  # noqa: N802 — the SAX name
        super().startElement(name, dict(sorted(attrs.items())) if attrs else attrs)

    def characters(self, content):
        if content and _CONTROL.search(content):
            raise UnserializableContent("Control characters are not supported in XML 1.0")
        super().characters(content)

    def element(self, name: str, contents: str | None = None, attrs: dict | None = None) -> None:
        self.startElement(name, attrs or {})
        if contents is not None:
            self.characters(contents)
        self.endElement(name)


def _rfc2822(value: datetime) -> str:
    return email.utils.format_datetime(value)


def _rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat() + ("Z" if value.utcoffset() is None else "")


def _xml_document(write) -> bytes:
    out = io.BytesIO()
    xml = XMLWriter(out)
    xml.startDocument()
    write(xml)
    return out.getvalue()


def write_rss(doc: FeedDoc, *, yandex: bool = False) -> bytes:
    """RSS 2.0 (with ``<yandex:full-text>`` and ``<yandex:genre>`` for Yandex News when ``yandex``)."""

    def write(xml: XMLWriter) -> None:
        attrs = {"version": "2.0", "xmlns:atom": ATOM_NS}
        if yandex:
            attrs["xmlns:yandex"] = YANDEX_NS
        xml.startElement("rss", attrs)
        xml.startElement("channel", {})
        xml.element("title", doc.title)
        xml.element("link", doc.link)
        xml.element("description", doc.description)
        xml.element("atom:link", None, {"rel": "self", "href": doc.feed_url})
        xml.element("language", doc.language)
        xml.element("lastBuildDate", _rfc2822(doc.latest()))
        for item in doc.items:
            xml.startElement("item", {})
            xml.element("title", item.title)
            xml.element("link", item.link)
            xml.element("description", item.description)
            if item.author_name:
                xml.element("dc:creator", item.author_name, {"xmlns:dc": DC_NS})
            if item.pubdate is not None:
                xml.element("pubDate", _rfc2822(item.pubdate))
            xml.element("guid", item.guid, {"isPermaLink": "true"})
            if item.enclosure is not None:
                e = item.enclosure
                xml.element("enclosure", "", {"url": e.url, "length": e.length, "type": e.mime_type})
            for category in item.categories:
                xml.element("category", category)
            if yandex:
                if item.genre:
                    xml.element("yandex:genre", item.genre)
                if item.full_text:
                    xml.element("yandex:full-text", item.full_text)
            xml.endElement("item")
        xml.endElement("channel")
        xml.endElement("rss")

    return _xml_document(write)


def write_atom(doc: FeedDoc) -> bytes:
    """Atom 1.0 (RFC 4287): summaries as HTML, the lead photo as an enclosure link."""

    def write(xml: XMLWriter) -> None:
        xml.startElement("feed", {"xmlns": ATOM_NS, "xml:lang": doc.language})
        xml.element("title", doc.title)
        xml.element("link", "", {"rel": "alternate", "href": doc.link})
        xml.element("link", "", {"rel": "self", "href": doc.feed_url})
        xml.element("id", doc.link)
        xml.element("updated", _rfc3339(doc.latest()))
        if doc.author_name is not None:
            xml.startElement("author", {})
            xml.element("name", doc.author_name)
            xml.endElement("author")
        xml.element("subtitle", doc.description)
        for item in doc.items:
            xml.startElement("entry", {})
            xml.element("title", item.title)
            xml.element("link", "", {"href": item.link, "rel": "alternate"})
            if item.pubdate is not None:
                xml.element("published", _rfc3339(item.pubdate))
            if item.updated is not None:
                xml.element("updated", _rfc3339(item.updated))
            if item.author_name is not None:
                xml.startElement("author", {})
                xml.element("name", item.author_name)
                xml.endElement("author")
            xml.element("id", item.guid)
            xml.element("summary", item.description, {"type": "html"})
            if item.enclosure is not None:
                e = item.enclosure
                xml.element("link", "", {"rel": "enclosure", "href": e.url, "length": e.length, "type": e.mime_type})
            for category in item.categories:
                xml.element("category", "", {"term": category})
            xml.endElement("entry")
        xml.endElement("feed")

    return _xml_document(write)


def json_feed(doc: FeedDoc) -> dict:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1) as a dict; empty fields left out."""
    out = {
        "version": JSON_FEED_VERSION, "title": doc.title, "home_page_url": doc.link, "feed_url": doc.feed_url,
        "description": doc.description, "language": doc.language,
    }
    if doc.author_name:
        out["authors"] = [{"name": doc.author_name}]
    out = {k: v for k, v in out.items() if v not in (None, "")}
    items = []
    for item in doc.items:
        names = item.authors or ([item.author_name] if item.author_name else [])
        entry = {
            "id": item.guid or item.link, "url": item.link, "title": item.title,
            "content_html": item.description or "", "image": item.image,
            "date_published": _rfc3339(item.pubdate), "date_modified": _rfc3339(item.updated),
            "authors": [{"name": n} for n in names] or None, "tags": list(item.categories) or None,
            "language": item.language,
        }
        items.append({k: v for k, v in entry.items() if v not in (None, "")})
    out["items"] = items
    return out


def write_json(doc: FeedDoc) -> bytes:
    return json.dumps(json_feed(doc), ensure_ascii=False, indent=1).encode("utf-8")


def feed_bytes(scope: FeedScope) -> tuple[bytes, str, datetime]:
    """The feed a scope names: its bytes, content type and newest date (``Last-Modified``)."""
    doc = feed_document(scope)
    if scope.full_text:
        return write_rss(doc, yandex=True), CONTENT_TYPES["rss"], doc.latest()
    body = {"rss": write_rss, "atom": write_atom, "json": write_json}[scope.fmt](doc)
    return body, CONTENT_TYPES[scope.fmt], doc.latest()
