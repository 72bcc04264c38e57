"""What a theme template receives for a page: built from the content layer, no logic in views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from qalam.content.collections import Listing
from qalam.content.config import truthy
from qalam.content.pages import Page
from qalam.content.render import first_image
from qalam.content.site import Site

from .strings import language_name


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


def item_for(site: Site, page: Page) -> Item:
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


def menu(site: Site, lang: str, current: Page | None) -> list[dict]:
    now = site.now()
    tree = site.tree(lang)
    out = []
    for p in tree.root.children:
        if p.visible(now) and (p.routable(now) or p.children):
            active = current is not None and (
                current is p or current.node.rel.startswith(p.node.rel + "/")
            )
            out.append({"title": p.menu, "url": p.url(), "active": active})
    return out


def language_links(site: Site, page: Page | None, lang: str, absolute) -> tuple[list[dict], list[dict]]:
    """(switcher entries, hreflang alternates) for the page in every language."""
    if not site.languages.enabled:
        return [], []
    switcher, alternates = [], []
    translations = site.translations(page) if page is not None else {}
    for code in site.languages.supported:
        target = translations.get(code)
        url = target.url() if target is not None else (site.tree(code).home.url() if site.tree(code).home else site.languages.prefix(code) or "/")
        switcher.append({"code": code, "name": language_name(code), "url": url, "active": code == lang,
                         "translated": target is not None})
        if target is not None:
            alternates.append({"hreflang": code, "href": absolute(url)})
    for code in site.languages.supported:
        if site.latin_edition(code) and code in translations:
            alternates.append({"hreflang": f"{code}-Latn", "href": absolute(site.latin_url(translations[code].url(), code))})
    default = translations.get(site.default_lang)
    if default is not None and alternates:
        alternates.append({"hreflang": "x-default", "href": absolute(default.url())})
    return switcher, alternates


def latest(site: Site, lang: str, limit: int = 5) -> list[Page]:
    """Newest dated, published, routable `item` pages of a language (sidebar)."""
    now = site.now()
    pages = [
        p for p in site.tree(lang).iter_pages()
        if p.has_file and p.date_from_header is not None and p.template_name == "item" and p.routable(now)
        and not truthy(p.header.get("hide_from_post_list", False))
    ]
    pages.sort(key=lambda p: p.date, reverse=True)
    return pages[:limit]


def script_links(site: Site, lang: str, url: str, script: str) -> list[dict]:
    """The Cyrillic/Latin switch of a language that has a Latin edition (else empty)."""
    if not site.latin_edition(lang):
        return []
    return [
        {"code": "Cyrl", "name": "Кирил", "url": url, "active": script != "latn"},
        {"code": "Latn", "name": "Latın", "url": site.latin_url(url, lang), "active": script == "latn"},
    ]


def page_context(site: Site, page: Page, lang: str, listing: Listing | None, absolute, script: str = "") -> dict:
    rendered = site.content(page)
    switcher, alternates = language_links(site, page, lang, absolute)
    items = [item_for(site, p) for p in listing.items] if listing else []
    image = first_image(page)
    return {
        "site": site,
        "site_title": site.config.title,
        "lang": lang,
        "html_lang": f"{site.html_lang(lang)}-Latn" if script == "latn" else site.html_lang(lang),
        "script": script,
        "scripts": script_links(site, lang, page.url(), script),
        "page": page,
        "title": page.title,
        "content": rendered.html,
        "date": page.date,
        "has_date": page.date_from_header is not None,
        "header_image": site.media_url(page, image) if image else None,
        "listing": listing,
        "items": [i for i in items if not i.hidden],
        "menu": menu(site, lang, page),
        "languages": switcher,
        "alternates": alternates,
        "canonical": absolute(site.latin_url(page.url(), lang) if script == "latn" else page.url()),
        "home_url": site.tree(lang).home.url() if site.tree(lang).home else (site.languages.prefix(lang) or "/"),
        "hide_page_title": truthy(page.theme_var("hide_page_title", False)),
        "show_sidebar": truthy(page.theme_var("show_sidebar", True)),
        "latest": latest(site, lang),
        "tax_links": tax_links(site, page),
        "modules": [p for p in page.children if p.is_module and p.published(site.now())],
        "module_content": lambda m: site.content(m).html,
        "metadata": metadata(site, page),
        "body_classes": str(page.header.get("body_classes") or ""),
    }


def tax_links(site: Site, page: Page) -> list[dict]:
    """Links from a page's taxonomy values to its parent listing filtered by them (`/blog/tag:x`)."""
    parent = page.parent
    base = parent.url() if parent is not None and parent.node.rel and parent.header.get("content") else None
    out = []
    for tax in site.config.taxonomies:
        for value in page.taxonomy.get(tax, []):
            out.append({"type": tax, "value": value, "url": f"{base.rstrip('/')}/{tax}:{value}" if base else None})
    return out


def metadata(site: Site, page: Page) -> list[dict]:
    """`<meta>` tags: site.metadata merged with the page's `metadata:` (keys lowercased)."""
    merged: dict = {}
    for source in (site.config.get("site.metadata") or {}, page.header.get("metadata") or {}):
        if isinstance(source, dict):
            for k, v in source.items():
                merged[str(k).lower()] = v
    out = []
    for key, value in merged.items():
        if value in (None, ""):
            continue
        if isinstance(value, dict):
            for sub, v in value.items():
                out.append({"attr": "property", "key": f"{key}:{sub}", "value": str(v)})
            continue
        if key in ("refresh", "content-type", "x-ua-compatible", "default-style", "content-security-policy"):
            attr = "http-equiv"
        elif ":" in key and not key.startswith(("twitter", "flattr", "fediverse")):
            attr = "property"
        else:
            attr = "name"
        out.append({"attr": attr, "key": key, "value": str(value)})
    out.append({"attr": "name", "key": "generator", "value": "Qalam"})
    return out
