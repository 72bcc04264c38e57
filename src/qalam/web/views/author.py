"""Author pages: `/<lang>/author/<slug>` lists an author's articles, newest first."""

from __future__ import annotations

import math
import re
import threading

from django.http import HttpRequest, HttpResponse

from qalam.content.article import article, item_for
from qalam.content.collections import Listing
from qalam.content.urlpaths import absolute_for
from qalam.render.context import language_links, menu, script_links
from qalam.render.strings import ui_string
from qalam.render.theme import environment

_cache: dict = {}
_lock = threading.Lock()


def authors_index(site, lang: str) -> dict[str, tuple[str, list]]:
    """slug -> (name, [pages]) for a language, rebuilt when the content changes."""
    key = (id(site), site.version, lang)
    hit = _cache.get(key)
    if hit is None:
        index: dict[str, tuple[str, list]] = {}
        for page in site.tree(lang).iter_pages():
            if not page.has_file or page.template_name != "item":
                continue
            for author in article(page).authors:
                index.setdefault(author.slug, (author.name, []))[1].append(page)
        with _lock:
            _cache.clear()
            _cache[key] = index
        hit = index
    return hit


def match(site, path: str):
    """(lang, slug, page number) when `path` is an author page URL, else None."""
    for code in site.language_codes:
        prefix = re.escape(site.languages.prefix(code))
        m = re.match(rf"^{prefix}/author/([a-z0-9-]+)(?:/page:(\d+))?$", path)
        if m:
            return code, m.group(1), int(m.group(2) or 1)
    return None


def author_page(request: HttpRequest, lang: str, slug: str, page_no: int) -> HttpResponse | None:
    site = request.site
    entry = authors_index(site, lang).get(slug)
    if entry is None:
        return None
    name, pages = entry
    now = site.now()
    pages = sorted((p for p in pages if p.routable(now)), key=lambda p: p.date, reverse=True)
    if not pages:
        return None
    per_page = int(site.config.get("qalam.page_size") or 10)
    count = max(1, math.ceil(len(pages) / per_page))
    if page_no > count:
        return None
    base = f"{site.languages.prefix(lang)}/author/{slug}"
    listing = Listing(
        items=pages[(page_no - 1) * per_page: page_no * per_page], total=len(pages), page_no=page_no,
        pages_count=count, limit=per_page, base_url=base, params={"page": str(page_no)} if page_no > 1 else {},
    )
    switcher, _alts = language_links(site, None, lang, absolute_for(site, request))
    tree = site.tree(lang)
    html = environment(site).get_template("author.html").render(
        site=site, site_title=site.config.title, lang=lang, html_lang=site.html_lang(lang),
        title=f"{ui_string('author_page', lang, site=site)}: {name}", author=name, listing=listing,
        items=[item_for(site, p) for p in listing.items],
        home_url=tree.home.url() if tree.home else (site.languages.prefix(lang) or "/"),
        menu=menu(site, lang, None), languages=switcher, alternates=[], metadata=[], body_classes="author",
        show_sidebar=False, canonical=absolute_for(site, request)(base),
        scripts=script_links(site, lang, base, "latn" if request.path.startswith(f"/{lang}-latn/") else ""),
    )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={int(site.config.get('qalam.cache.max_age') or 0)}"
    return response
