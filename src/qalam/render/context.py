"""What a theme template receives for a page: built from the content layer, no logic in views."""

from __future__ import annotations

from qalam.content.article import item_for
from qalam.content.collections import Listing
from qalam.content.config import truthy
from qalam.content.pages import Page
from qalam.content.render import first_image
from qalam.content.site import Site
from qalam.content.syndication import per_version
from qalam.render.strings import language_name


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
    """Newest dated, published, routable `item` pages of a language (sidebar).

    Every page shows this list, so it is computed once per content version and language and
    kept until the next scheduled publish/unpublish among the candidates (found by profiling
    `qalam build`: recomputing it per page made a build quadratic in the number of pages).
    """
    now = site.now()
    pages = per_version(site, ("latest", lang), now, lambda: sorted(
        (p for p in site.tree(lang).iter_pages()
         if p.has_file and p.file_lang in (lang, "") and p.date_from_header is not None
         and p.template_name == "item" and not truthy(p.header.get("hide_from_post_list", False))
         and p.routable(now)),
        key=lambda p: p.date, reverse=True))
    return pages[:limit]


def featured(site: Site, lang: str, limit: int = 3) -> list[Page]:
    """Articles an editor marked ``featured: true`` (the editor's "Feature on the home page"):
    published, newest first, shown at the top of the home page."""
    now = site.now()
    # Once per content version: the home page and each of its /page:N pages show the same list.
    pages = per_version(site, ("featured", lang), now, lambda: sorted(
        (p for p in site.tree(lang).iter_pages()
         if p.has_file and p.file_lang in (lang, "") and truthy(p.header.get("featured", False))
         and p.routable(now) and not p.is_module),
        key=lambda p: p.date, reverse=True))
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
    ctx = {
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
        "modules": [p for p in page.module_children if p.published(site.now())],
        "module_content": lambda m: site.content(m).html,
        "metadata": metadata(site, page),
        "body_classes": str(page.header.get("body_classes") or ""),
    }
    if page.is_home:
        ctx["featured"] = [item_for(site, p) for p in featured(site, lang)]
    if page.template_name == "item":
        extra = article_context(site, page, lang, absolute, script)
        ctx.update(extra)
        have = {(m["attr"], m["key"]) for m in ctx["metadata"]}
        ctx["metadata"] = ctx["metadata"] + [m for m in extra["social_meta"] if (m["attr"], m["key"]) not in have]
    return ctx


def article_context(site: Site, page: Page, lang: str, absolute, script: str = "") -> dict:
    """What the article template adds to a page: date-time, views, lead photo, dateline,
    authors, source, share links, related articles, structured data and sharing metadata."""
    from qalam.content.article import article
    from qalam.lang.dates import format_date
    from qalam.news.structured import absolute_url, json_ld, share_links, social_meta

    art = article(page)
    own_url = site.latin_url(page.url(), lang) if script == "latn" else page.url()
    url = absolute_url(site, absolute, own_url)
    lead_url = (absolute_url(site, absolute, share_image(site, page, art.lead_image.file))
                if art.lead_image and art.lead_image.url else None)
    images = [absolute_url(site, absolute, share_image(site, page, n)) for n in page.node.media
              if n.rsplit(".", 1)[-1].lower() in ("jpg", "jpeg", "png", "webp", "gif")]
    if lead_url and lead_url in images:
        images.remove(lead_url)
    image_urls = ([lead_url] if lead_url else []) + images
    item = item_for(site, page)
    from qalam.render.text import plain_text

    description = plain_text(item.summary)[:300]
    return {
        "article": art,
        "datetime_text": format_date(page.date, lang, "datetime", tz=site.tz) if page.date_from_header else "",
        "views": views_for(page),
        "share": share_links(url, page.title),
        "related": [item_for(site, p) for p in related_for(page)],
        "json_ld": json_ld(site, art, url, image_urls, absolute),
        "social_meta": social_meta(site, art, url, description, lead_url),
        "author_links": [{"name": a.name, "url": f"{site.languages.prefix(lang)}/author/{a.slug}"} for a in art.authors],
    }


def share_image(site: Site, page: Page, filename: str) -> str:
    """The image URL for sharing and structured data: the largest rendition (GPS and camera
    data stripped, credit kept) when there is one, else the original file."""
    from qalam.content.images import renditions_for

    image_set = renditions_for(site).image_set(page, filename)
    if image_set is not None and image_set.srcset:
        return image_set.srcset.split(",")[-1].strip().rsplit(" ", 1)[0]
    return site.media_url(page, filename)


def views_for(page: Page) -> int:
    """The page's view count (the counter adds to the `views:` starting value)."""
    from qalam.news import counter

    return counter.views_for(page)


def related_for(page: Page, limit: int = 4) -> list[Page]:
    from qalam.search.related import related_pages

    try:
        return related_pages(page, limit)
    except Exception:  # noqa: BLE001 — related articles are a nicety, never an error page
        import logging

        logging.getLogger("qalam.web").exception("related articles of %s", page.file_rel)
        return []


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
