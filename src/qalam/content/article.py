"""News-article fields of a page, read from its front matter (they stay valid Grav:
Grav keeps header keys it does not know).

```yaml
title: 'Ресейден келген дәрігерлер өңірлерге де барады – вице-министр'
date: '06-07-2020 21:35'
lead_image:
  file: 3945C2FD-8EB1-4116-B0D4-797B5EBAE58F.JPEG   # beside the page
  caption: 'Ресейлік дәрігерлер Нұр-Сұлтанда'
  credit: 'Бауыржан ЖУАСБАЕВ'
dateline: {city: 'Нұр-Сұлтан', agency: 'BAQ.KZ'}
authors: ['Айгүл Сейітова']            # or author: 'Name'
source: {agency: 'ТАСС', url: 'https://…'}   # material from another agency
related: ['/news/2020-07-05-earlier-story']  # hand-picked "we wrote earlier"
views: 2074                               # starting value for imported archives
taxonomy: {category: [Денсаулық], tag: [медицина]}
```

Documented for users in docs/content-fields.md. Aliases accepted from importers and older
sites: ``photo_credit``/``image_credit`` (lead credit), ``author`` (one author),
``related_candidates`` (not hand-picked: ignored as links), ``source_agency``.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qalam.lang.slug import slugify

from .config import truthy
from .render import first_image

if TYPE_CHECKING:  # pragma: no cover
    from datetime import datetime

    from .pages import Page
    from .site import Site


@dataclass
class LeadImage:
    file: str  # a medium of the page
    url: str
    caption: str = ""
    credit: str = ""


@dataclass
class Author:
    name: str
    slug: str


@dataclass
class Dateline:
    city: str = ""
    agency: str = ""

    def __str__(self) -> str:
        return ", ".join(x for x in (self.city, self.agency) if x)


@dataclass
class Source:
    agency: str = ""
    url: str = ""


@dataclass
class Article:
    page: Page
    lead_image: LeadImage | None = None
    dateline: Dateline | None = None
    authors: list[Author] = field(default_factory=list)
    source: Source | None = None
    related: list[str] = field(default_factory=list)  # routes, hand-picked
    views_start: int = 0
    section: str = ""  # slug of the top-level folder ("news")
    section_title: str = ""
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)

    @property
    def is_article(self) -> bool:
        """A dated `item` page: what news features (feeds, news sitemap, JSON-LD) treat as an article."""
        return self.page.template_name == "item" and self.page.date_from_header is not None


def _text(value: Any) -> str:
    return str(value).strip() if value not in (None, "") else ""


def _names(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()] if "," in value else [value.strip()]
    if isinstance(value, dict):
        value = [value.get("name")]
    if isinstance(value, list):
        out = []
        for v in value:
            if isinstance(v, dict):
                v = v.get("name")
            if v not in (None, ""):
                out.append(str(v).strip())
        return out
    return [str(value)]


def article(page: Page) -> Article:
    """The article view of a page (every field optional)."""
    h = page.header
    site = page.site
    lead = None
    raw_lead = h.get("lead_image")
    if isinstance(raw_lead, str):
        raw_lead = {"file": raw_lead}
    if not isinstance(raw_lead, dict):
        raw_lead = {}
    file = _text(raw_lead.get("file")) or (first_image(page) or "")
    credit = _text(raw_lead.get("credit")) or _text(h.get("photo_credit")) or _text(h.get("image_credit"))
    if file:
        lead = LeadImage(
            file=file,
            url=site.media_url(page, file) if file in page.node.media else "",
            caption=_text(raw_lead.get("caption")),
            credit=credit,
        )
    dl = h.get("dateline")
    dateline = None
    if isinstance(dl, dict):
        dateline = Dateline(_text(dl.get("city")), _text(dl.get("agency")))
    elif isinstance(dl, str) and dl.strip():
        city, _, agency = dl.partition(",")
        dateline = Dateline(city.strip(), agency.strip())
    authors = [Author(n, slugify(n, page.lang or "kk")) for n in (_names(h.get("authors")) or _names(h.get("author")))]
    src = h.get("source")
    source = None
    if isinstance(src, dict) and (src.get("agency") or src.get("url")):
        source = Source(_text(src.get("agency")), _text(src.get("url")))
    elif isinstance(src, str) and src.strip():
        source = Source(src.strip(), "")
    elif h.get("source_agency"):
        source = Source(_text(h.get("source_agency")), "")
    related = [str(r).strip() for r in (h.get("related") or []) if isinstance(r, str) and r.strip()] \
        if isinstance(h.get("related"), list) else []
    try:
        views = max(0, int(h.get("views") or 0))
    except (TypeError, ValueError):
        views = 0
    top = page.node.rel.split("/", 1)[0]
    top_page = page.tree.pages.get(top)
    section = top_page.slug if top_page is not None and top_page is not page else ""
    return Article(
        page=page,
        lead_image=lead,
        dateline=dateline if dateline and str(dateline) else None,
        authors=authors,
        source=source,
        related=related,
        views_start=views,
        section=section,
        section_title=top_page.title if section and top_page is not None else "",
        tags=list(page.taxonomy.get("tag", [])),
        categories=list(page.taxonomy.get("category", [])),
    )


# --- what a listing shows of a page ----------------------------------------------------------
@dataclass
class Item:
    """A listed page with what a listing template shows."""

    page: Page
    url: str
    title: str
    date: datetime
    summary: str
    has_more: bool
    image_url: str | None
    continue_link: bool
    hidden: bool


_items: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def item_for(site: Site, page: Page) -> Item:
    """What listings show of ``page``; computed once per content version (an article is
    listed on its section's pages, its tags' and category's pages, the home page, related
    boxes: a build asked six times per article)."""
    if page.preview_body is not None:
        return _item_for(site, page)
    slot = _items.get(site)
    if slot is None or slot[0] != site.version:
        slot = (site.version, {})
        _items[site] = slot
    item = slot[1].get(id(page))
    if item is None or item.page is not page:
        item = slot[1][id(page)] = _item_for(site, page)
    else:
        site.depends_on(page)  # what the static export records per URL, as site.content() does
    return item


def _item_for(site: Site, page: Page) -> Item:
    rendered = site.content(page)
    summary_cfg = dict(site.config.get("site.summary") or {})
    if isinstance(page.header.get("summary"), dict):
        summary_cfg.update(page.header["summary"])
    size = summary_cfg.get("size", 300)
    try:
        size = int(size)
    except (TypeError, ValueError):
        size = 300
    summary = rendered.summary(
        enabled=truthy(summary_cfg.get("enabled", True)),
        format=str(summary_cfg.get("format", "short")),
        size=size,
    )
    image = first_image(page)
    return Item(
        page=page,
        url=page.url(),
        title=page.title,
        date=page.date,
        summary=summary,
        has_more=summary.strip() != rendered.html.strip(),
        image_url=site.media_url(page, image) if image else None,
        continue_link=page.header.get("continue_link") is not False
        and str(page.header.get("continue_link", "")).lower() != "false",
        hidden=truthy(page.header.get("hide_from_post_list", False)),
    )
