"""Related articles: the hand-picked ones first, then the most similar by content.

Similarity is the search index's BM25 weighting of a query made of the article's title
and tags with "any word may match", in the article's language, read from the index's
champion lists (SQLiteSearchBackend.similar): no second model to keep in step with the
content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qalam.content.article import article
from qalam.lang.analyze import analyze

from .backend import SearchQuery
from .service import for_site

if TYPE_CHECKING:  # pragma: no cover
    from qalam.content.pages import Page

MAX_TERMS = 16


def hand_picked(page: Page) -> list[Page]:
    """`related:` routes of the page that lead to published pages of its language."""
    site = page.site
    tree = site.tree(page.lang)
    now = site.now()
    prefix = site.languages.prefix(page.lang)
    out = []
    for route in article(page).related:
        if prefix and (route == prefix or route.startswith(prefix + "/")):
            route = route[len(prefix):] or "/"
        target = tree.find(route)
        if target is not None and target is not page and target.routable(now) and target not in out:
            out.append(target)
    return out


def similar(page: Page, limit: int, exclude: list[Page] = ()) -> list[Page]:
    site = page.site
    art = article(page)
    words = []
    for tok in analyze(" ".join([page.title, *art.tags]), page.lang or "kk"):
        if len(tok.term) >= 3 and not tok.term.isdigit() and tok.word not in words:
            words.append(tok.word)
    if not words:
        return []
    query = SearchQuery(
        q=" ".join(words[:MAX_TERMS]), lang=page.lang or site.html_lang(""), match_any=True, per_page=limit * 3,
        exclude_urls=tuple([page.url(), *(p.url() for p in exclude)]), count=False,
    )
    out: list[Page] = []
    for url in for_site(site).similar(query):
        res = site.resolve(url)
        if res.kind == "page" and res.page is not None and res.page is not page and article(res.page).is_article:
            out.append(res.page)
            if len(out) >= limit:
                break
    return out


def related_pages(page: Page, limit: int = 4) -> list[Page]:
    picked = hand_picked(page)
    return picked + similar(page, max(0, limit - len(picked)), picked) if len(picked) < limit else picked[:limit]
