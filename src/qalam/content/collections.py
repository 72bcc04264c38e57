"""Page collections: a page's ``content:`` header evaluated against its language tree.

Rule book §3 "Collections" (Page::collection, Pages::getCollection, Pages::evaluate):
items (``@self.children``, ``@page.descendants``, ``@taxonomy...``), filter, order,
dateRange, url_taxonomy_filters, limit and pagination (``/page:N``).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .config import truthy
from .dates import parse_grav_date
from .frontmatter import FrontMatterError, parse_yaml
from .pages import LanguageTree, Page
from .scan import natural_key

ITEM_TYPES = {"children", "pages", "all", "modules", "modular", "self", "parent", "siblings", "descendants"}


@dataclass
class Listing:
    """One page of a collection, ready for a template."""

    items: list[Page]
    total: int
    page_no: int = 1
    pages_count: int = 1
    limit: int | None = None
    base_url: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def page_url(self, n: int) -> str:
        """URL of page ``n`` of this listing (``/blog/page:2``; page 1 has no param)."""
        parts = [f"{k}:{v}" for k, v in self.params.items() if k != "page"]
        if n > 1:
            parts.append(f"page:{n}")
        base = self.base_url.rstrip("/") if parts else self.base_url
        return base + "".join("/" + p for p in parts) if parts else (self.base_url or "/")

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers for the pagination bar: the first, the last and ``around`` either side of
        the current one, ``None`` where numbers are left out (``1 … 4 5 6 7 8 … 1000``).

        A bar with every number would make each page of a 1 000-page listing carry 1 000 links.
        """
        count, current = self.pages_count, self.page_no
        shown = sorted({1, count} | set(range(max(1, current - around), min(count, current + around) + 1)))
        out: list[int | None] = []
        for n in shown:
            if out and n - out[-1] == 2:
                out.append(n - 1)  # a gap of one number: show it, not "…"
            elif out and n - out[-1] > 2:
                out.append(None)
            out.append(n)
        return out

    @property
    def filters(self) -> dict[str, str]:
        """The taxonomy filters from the URL (``tag: x``), without the page number."""
        return {k: v for k, v in self.params.items() if k != "page"}

    @property
    def has_next(self) -> bool:
        return self.page_no < self.pages_count

    @property
    def has_prev(self) -> bool:
        return self.page_no > 1


def content_spec(page: Page) -> dict | None:
    """The page's ``content:`` header as a dict, or None when the page has no collection."""
    spec = page.header.get("content")
    return spec if isinstance(spec, dict) and spec.get("items") not in (None, "") else None


def _normalise_items(items: Any) -> list:
    """Admin-mangled strings such as ``"- '@self.children'"`` are YAML lists in disguise."""
    if isinstance(items, str) and items.lstrip().startswith("- "):
        try:
            parsed = parse_yaml("items:\n" + "\n".join("  " + ln for ln in items.splitlines()))
            items = parsed.get("items", items)
        except FrontMatterError:
            pass
    if isinstance(items, list):
        return items
    return [items]


def _int(value: Any) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


def evaluate_items(page: Page, items: Any, now: datetime) -> list[Page]:
    """Pages named by ``items`` (union, first occurrence kept), unfiltered."""
    tree = page.tree
    out: list[Page] = []
    seen: set[int] = set()

    def add(pages):
        for p in pages:
            if id(p) not in seen:
                seen.add(id(p))
                out.append(p)

    for item in _normalise_items(items):
        if isinstance(item, str):
            add(_select(tree, page, item.strip(), None, now))
        elif isinstance(item, dict):
            for key, value in item.items():
                add(_select(tree, page, str(key).strip(), value, now))
    return out


def _select(tree: LanguageTree, page: Page, key: str, value: Any, now: datetime) -> list[Page]:
    if key.startswith("self@"):
        key = "@self" + key[4:]
    if key.startswith("@taxonomy"):
        if key == "@taxonomy":
            wanted = value if isinstance(value, dict) else {}
        else:
            wanted = {key.split(".", 1)[1]: value}
        return taxonomy_find(tree, wanted)
    scope, _, kind = key.partition(".")
    if scope == "@self" and not kind and isinstance(value, str):
        kind = value.strip().lstrip(".")
    kind = kind or "children"
    if kind not in ITEM_TYPES:
        return []
    if scope == "@self":
        base = page
    elif scope == "@page":
        base = tree.find(str(value)) if value else None
        if base is None:
            return []
    elif scope == "@root":
        base = tree.root
    else:
        return []
    if kind in ("children", "pages"):
        return [c for c in base.children if not c.is_module]
    if kind == "all":
        return list(base.children)
    if kind in ("modules", "modular"):
        return [c for c in base.children if c.is_module]
    if kind == "self":
        return [base]
    if kind == "parent":
        return [base.parent] if base.parent is not None and base.parent.node.rel else []
    if kind == "siblings":
        return [c for c in base.parent.children if c is not base] if base.parent is not None else []
    if kind == "descendants":
        found: list[Page] = []

        def walk(p: Page):
            for c in p.children:
                if not c.is_module:
                    found.append(c)
                walk(c)

        walk(base)
        return found
    return []


def taxonomy_find(tree: LanguageTree, wanted: dict) -> list[Page]:
    """Pages carrying every given taxonomy value (exact, case-sensitive; operator AND)."""
    allowed = set(tree.site.config.taxonomies)
    conds = []
    for tax, values in wanted.items():
        vals = [str(v) for v in (values if isinstance(values, (list, tuple)) else [values]) if v is not None]
        conds.append((str(tax), vals))
    out = []
    for p in tree.iter_pages():
        if not p.has_file:
            continue
        ok = True
        for tax, vals in conds:
            if tax not in allowed:
                ok = False
                break
            have = p.taxonomy.get(tax, [])
            if not all(v in have for v in vals):
                ok = False
                break
        if ok and conds:
            out.append(p)
    return out


def apply_filter(pages: list[Page], flt: Any, now: datetime) -> list[Page]:
    """Collection filter; published and translated are implied (visibility is not filtered)."""
    flt = dict(flt) if isinstance(flt, dict) else {}
    flt.setdefault("published", True)
    flt.setdefault("translated", True)
    out = pages
    for key, value in flt.items():
        key = str(key)
        positive = truthy(value)
        if key.startswith("non-"):
            key, positive = key[4:], not positive
        if key == "published":
            out = [p for p in out if p.published(now) == positive]
        elif key == "visible":
            out = [p for p in out if p.visible(now) == positive]
        elif key == "routable":
            out = [p for p in out if p.routable(now) == positive]
        elif key in ("modular", "module"):
            out = [p for p in out if p.is_module == positive]
        elif key == "translated":
            out = [p for p in out if p.has_file == positive]
        elif key in ("type", "types"):
            names = value if isinstance(value, list) else [value]
            names = {str(n) for n in names}
            out = [p for p in out if p.template_name in names]
        elif key == "page":
            out = [p for p in out if p.has_file == positive]
    return out


def sort_pages(pages: list[Page], by: str, direction: str = "asc", custom: list | None = None) -> list[Page]:
    by = (by or "default").strip()
    desc = str(direction or "asc").lower() == "desc"
    if by == "random":
        pages = list(pages)
        random.shuffle(pages)
        return pages
    keyfuncs = {
        "default": lambda p: natural_key(p.node.rel),
        # Page::folder() and basename($path): the folder name *with* its numeric prefix.
        "folder": lambda p: natural_key(p.node.name),
        "basename": lambda p: natural_key(p.node.name),
        "slug": lambda p: natural_key(p.slug),
        "title": lambda p: natural_key(p.title.casefold()),
        "date": lambda p: p.date.timestamp(),
        "modified": lambda p: p.modified.timestamp(),
        "publish_date": lambda p: (p.publish_date or p.date).timestamp(),
        "unpublish_date": lambda p: p.unpublish_date.timestamp() if p.unpublish_date else math.inf,
    }
    if by in keyfuncs:
        key = keyfuncs[by]
    elif by.startswith("header."):
        field_name = by[len("header."):]

        def key(p: Page):
            v = p.header_get(field_name)
            return (v is None, natural_key(str(v)) if v is not None else ())
    elif by == "manual":
        key = keyfuncs["default"]
    else:
        key = keyfuncs["default"]
    # Grav sorts ascending (stable) and reverses the result for desc (Pages::sortCollection),
    # so pages with equal keys come out in reverse order, not in their original order.
    out = sorted(pages, key=key)
    if desc:
        out.reverse()
    if custom:
        order = [str(s) for s in custom]
        first = [p for s in order for p in out if p.slug == s or p.folder_slug == s]
        rest = [p for p in out if p not in first]
        out = first + rest
    return out


def child_order(page: Page) -> tuple[str, str, list]:
    """The default order of a page's children: header order_by/dir/manual, else system.pages.order."""
    cfg = page.site.config
    by = page.header.get("order_by") or cfg.get("system.pages.order.by") or "default"
    direction = page.header.get("order_dir") or cfg.get("system.pages.order.dir") or "asc"
    manual = page.header.get("order_manual") or []
    return str(by), str(direction), manual if isinstance(manual, list) else [manual]


def collection(
    page: Page,
    now: datetime,
    *,
    params: dict[str, str] | None = None,
    spec: dict | None = None,
    cache: dict | None = None,
) -> Listing | None:
    """Evaluate the page's ``content:`` (or ``spec``) for the listing page in ``params``.

    With ``cache`` (a dict the caller keeps), the ordered members are computed once per page,
    URL filters and content version, and reused by every pagination page until the next
    scheduled publish/unpublish in the tree: a site with many tag pages is not quadratic.
    """
    spec = spec if spec is not None else content_spec(page)
    if spec is None:
        return None
    params = dict(params or {})
    key = None
    if cache is not None and not _is_random(spec, page):
        key = (id(page), page.site.version, tuple(sorted((k, v) for k, v in params.items() if k != "page")))
        hit = cache.get(key)
        if hit is not None and (hit[2] is None or now < hit[2]):
            return _paginate(page, spec, params, hit[0], dict(hit[1]))
    pages, used_params = members(page, spec, params, now, cache)
    if key is not None:
        if len(cache) > 4096:
            cache.clear()
        # Valid until the next scheduled publish/unpublish in the tree, or the next content change.
        cache[key] = (pages, dict(used_params), page.tree.next_change(now))
    return _paginate(page, spec, params, pages, used_params)


def _is_random(spec: dict, page: Page) -> bool:
    order = spec.get("order")
    by = order.get("by") if isinstance(order, dict) else page.header.get("order_by")
    return str(by or "").strip() == "random"


class _Base:
    """A collection's pages before URL filters, with an index of their taxonomy values."""

    __slots__ = ("pages", "by_value")

    def __init__(self, pages: list[Page]):
        self.pages = pages
        self.by_value: dict[str, dict[str, list[Page]]] = {}

    def having(self, tax: str, values: list[str]) -> list[Page]:
        """The pages (in order) whose taxonomy ``tax`` has every one of ``values``."""
        index = self.by_value.get(tax)
        if index is None:
            index = self.by_value[tax] = {}
            for p in self.pages:
                for v in dict.fromkeys(p.taxonomy.get(tax, [])):
                    index.setdefault(v, []).append(p)
        lists = sorted((index.get(v, []) for v in values), key=len)
        if not lists:
            return list(self.pages)
        rest = [set(map(id, other)) for other in lists[1:]]
        return [p for p in lists[0] if all(id(p) in s for s in rest)]


def members(page: Page, spec: dict, params: dict[str, str], now: datetime,
            cache: dict | None = None) -> tuple[list[Page], dict[str, str]]:
    """Every page of the collection in order (all pagination pages), and the URL params it used.

    With ``cache``, the pages before URL filters are computed once per page and content
    version, and a tag page (/tag:x) takes its pages from an index of their tags instead of
    testing every page (one site's 200 tag pages tested 2,000 pages each)."""
    base = None
    if cache is not None:
        key = (id(page), page.site.version, "base", repr(spec.get("items")), repr(spec.get("filter")))
        hit = cache.get(key)
        if hit is not None and (hit[1] is None or now < hit[1]):
            base = hit[0]
    if base is None:
        base = _Base(apply_filter(evaluate_items(page, spec.get("items"), now), spec.get("filter"), now))
        if cache is not None:
            cache[key] = (base, page.tree.next_change(now))
    pages = base.pages

    # URL taxonomy filters: /tag:a,b adds an AND filter.
    url_filters = spec.get("url_taxonomy_filters", page.site.config.get("system.pages.url_taxonomy_filters", True))
    used_params = {}
    if truthy(url_filters):
        for tax in page.site.config.taxonomies:
            if tax in params:
                vals = [v for v in params[tax].split(",") if v]
                if pages is base.pages:
                    pages = base.having(tax, vals)
                else:
                    pages = [p for p in pages if all(v in p.taxonomy.get(tax, []) for v in vals)]
                used_params[tax] = params[tax]

    date_range = spec.get("dateRange")
    if isinstance(date_range, dict):
        tz = page.site.tz
        start = parse_grav_date(date_range.get("start"), tz=tz) if date_range.get("start") else None
        end = parse_grav_date(date_range.get("end"), tz=tz) if date_range.get("end") else None
        field_name = date_range.get("field")

        def when(p: Page):
            if field_name:
                v = p.header_get(str(field_name))
                return parse_grav_date(v, tz=tz) if v is not None else None
            return p.date

        pages = [p for p in pages if (d := when(p)) is not None and (not start or d >= start) and (not end or d <= end)]

    order = spec.get("order")
    if isinstance(order, dict):
        pages = sort_pages(pages, str(order.get("by") or "default"), str(order.get("dir") or "asc"), order.get("custom"))
    else:
        by, direction, manual = child_order(page)
        pages = sort_pages(pages, by, direction, manual)
    return pages, used_params


def _paginate(page: Page, spec: dict, params: dict[str, str], pages: list[Page], used_params: dict) -> Listing:
    limit = _int(spec.get("limit"))
    total = len(pages)
    pagination = truthy(spec.get("pagination", True))
    page_no = 1
    pages_count = 1
    if limit:
        if pagination:
            page_no = _int(params.get("page")) or 1
            pages_count = max(1, math.ceil(total / limit))
            start_at = (page_no - 1) * limit
            pages = pages[start_at : start_at + limit]
        else:
            pages = pages[:limit]
    if pagination and "page" in params:
        used_params["page"] = params["page"]
    return Listing(
        items=pages,
        total=total,
        page_no=page_no,
        pages_count=pages_count,
        limit=limit,
        base_url=page.url(),
        params=used_params,
    )
