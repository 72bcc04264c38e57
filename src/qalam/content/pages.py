"""Pages of one language: header, flags, dates, slug, routes (rule book §1–§4).

A :class:`LanguageTree` holds one :class:`Page` per folder node for one active
language, picking each node's file by the language fallback chain, and the route
table of that language. Publication depends on the clock, so flags that can change
with time are methods taking ``now`` — a scheduled page appears on time without a
rebuild.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .config import deep_merge, dotted_get, truthy
from .headers import conform as conform_header
from .scan import Node
from .urlpaths import route_problem, slug_problem

if TYPE_CHECKING:  # pragma: no cover
    from .site import Site


#: Header keys most pages do not have (Page.__init__ looks them up only when present).
_RARE_KEYS = frozenset({"slug", "template", "menu", "dateformat", "modified", "publish_date", "unpublish_date",
                        "visible", "routable", "routes", "redirect", "external_url", "access"})
_NO_ROUTES: dict = {}
#: A slug that cannot name a folder above the page, hold a control character, a slash, a
#: backslash or a percent escape (urlpaths.slug_problem would find nothing in it).
_PLAIN_SLUG = re.compile(r"[^\x00-\x1f\x7f%/\\]*[^\x00-\x1f\x7f%/\\.\s][^\x00-\x1f\x7f%/\\]*")


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v) != ""]
    if isinstance(value, dict):
        return [str(v) for v in value.values() if v is not None]
    return [str(value)]


def access_rules(value: Any, prefix: str = "") -> dict[str, bool]:
    """Grav's ``access:`` block flattened: ``{site: {login: true}}`` -> ``{"site.login": True}``.

    Anything that is not a mapping of permissions to yes/no counts as requiring a login (a rule
    Qalam cannot read must not make a page public)."""
    if value is None or value == "" or value == {}:
        return {}
    if not isinstance(value, dict):
        return {prefix or "access": True}
    out: dict[str, bool] = {}
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(item, dict):
            out.update(access_rules(item, name) or {name: True})
        elif isinstance(item, (bool, int, str)) or item is None:
            out[name] = truthy(item) if item is not None else False
        else:
            out[name] = True
    return out


class Page:
    """One page (folder) as seen in one language."""

    #: The Markdown of an unsaved version shown by the editor's preview (None: the file's own).
    preview_body: str | None = None

    def __init__(self, tree: LanguageTree, node: Node, parent: Page | None, *,
                 preview: tuple[dict, str] | None = None):
        """``preview``: a header and body to show instead of the file's (the editor's preview
        renders an unsaved version through exactly the site's own pipeline)."""
        site = tree.site
        self.tree = tree
        self.site = site
        self.node = node
        self.parent = parent
        self.children: list[Page] = []
        self.lang = tree.lang
        self.file_lang: str | None = None
        self.filename: str | None = None
        self.template_name = "default"
        for code in tree.chain:
            if code in node.files:
                self.file_lang = code
                self.filename, self.template_name = node.files[code]
                break
        entry = site.index.entries.get(self.file_rel) if self.filename else None
        self.error = entry.error if entry else None
        self.body_line = entry.body_line if entry else 1
        self.mtime = datetime.fromtimestamp((entry.mtime_ns if entry else 0) / 1e9, tz=timezone.utc)
        # Values of the wrong shape never reach request-time code (content/headers.py).
        if entry is not None and preview is None and node.frontmatter is None:
            # Checked once per file version when the index parses it (content/index.py), not
            # once per language tree, rebuild and start (half the time of building a tree).
            conformed = entry.conformed
            header, self.header_problems = dict(conformed[0]), list(conformed[1])
        else:
            header = dict(entry.header) if entry else {}
            if preview is not None:
                header, self.preview_body, self.error = dict(preview[0]), preview[1], None
            if node.frontmatter is not None and self.filename:
                fm = site.index.entries.get(node.frontmatter.rel)
                if fm and fm.header:
                    header = deep_merge(fm.header, header)  # page keys win (rule book §3)
            header, self.header_problems = conform_header(header)
        self.header: dict = header
        h = header
        # The keys most headers lack, found with one set operation instead of a lookup each.
        rare = h.keys() & _RARE_KEYS

        # --- slug, module, template ------------------------------------------
        lower = tree.lowercase_urls
        folder_slug = node.folder_slug
        self.folder_slug = folder_slug.lower() if lower else folder_slug
        slug = h.get("slug") if "slug" in rare else None
        self.slug = slug.strip() if isinstance(slug, str) and slug.strip() else self.folder_slug
        self.is_module = node.is_module_folder or self.slug.startswith("_")
        if "template" in rare:
            template = h["template"]
            if isinstance(template, str) and template.strip():
                self.template_name = template.strip()
        if self.is_module and not self.template_name.startswith("modular/"):
            self.template_name = "modular/" + self.template_name

        # --- title and menu ----------------------------------------------------
        title = h.get("title")
        if self.error:
            # Grav replaces a page whose header cannot be read with its error page, whose
            # header is `title: <slug>` (GRAV.FRONTMATTER_ERROR_PAGE, P/Page.php::header).
            self.title = self.slug
        else:
            self.title = str(title) if title not in (None, "") else (self.slug[:1].upper() + self.slug[1:])
        menu = h.get("menu") if "menu" in rare else None
        self.menu = str(menu) if menu not in (None, "") else self.title

        # --- dates -------------------------------------------------------------
        formats = tree.date_formats
        if "dateformat" in rare and h["dateformat"]:
            formats = (str(h["dateformat"]), *formats)
        date = site.parse_date
        self.date_from_header = date(h["date"], formats) if "date" in h else None
        self.date = self.date_from_header or self.mtime
        modified = date(h["modified"], formats) if "modified" in rare and h["modified"] else None
        #: The `modified:` date of the header, or None (structured data never uses the file's time).
        self.modified_from_header = modified
        self.modified = modified or self.mtime
        self.publish_date = date(h["publish_date"], formats) if "publish_date" in rare and h["publish_date"] else None
        self.unpublish_date = (date(h["unpublish_date"], formats)
                               if "unpublish_date" in rare and h["unpublish_date"] else None)

        # --- flags ---------------------------------------------------------------
        self._published_header = truthy(h["published"]) if "published" in h else None
        if "visible" in rare:
            self._visible = truthy(h["visible"])
        else:
            self._visible = node.order is not None
        if self.is_module:
            self._visible = False
        if self.filename is None:
            self._routable = False
        elif self.is_module:
            self._routable = truthy(h.get("routable", False))
        else:
            self._routable = truthy(h["routable"]) if "routable" in rare else True

        # --- taxonomy -------------------------------------------------------------
        tax = h.get("taxonomy")
        self.taxonomy: dict[str, list[str]] = (
            {str(k): _as_list(v) for k, v in tax.items()} if isinstance(tax, dict) else {})

        # --- routes -----------------------------------------------------------------
        parent_route = parent.route if parent is not None and parent.node.rel else ""
        parent_raw = parent.raw_route if parent is not None and parent.node.rel else ""
        if (
            parent is not None
            and tree.hide_home_in_urls
            and parent.route == tree.home_alias
        ):
            parent_route = ""
        self.route = f"{parent_route}/{self.slug}"
        self.raw_route = f"{parent_raw}/{self.folder_slug}"
        routes = h["routes"] if "routes" in rare and isinstance(h["routes"], dict) else _NO_ROUTES
        self.aliases = [str(a) for a in _as_list(routes.get("aliases"))] if routes else []
        self.canonical_route = str(routes["canonical"]) if routes.get("canonical") else None
        if routes.get("default"):
            self.aliases.append(self.route)
            self.route = str(routes["default"])
        self.redirect = str(h["redirect"]) if "redirect" in rare and h["redirect"] else None
        self.external_url = str(h["external_url"]) if "external_url" in rare and h["external_url"] else None

        # --- path safety (docs/security.md) ----------------------------------------------
        #: Why this page may not be served or exported (a slug or route naming a folder above
        #: the site, a control character ...), or None. `qalam check` reports it.
        self.path_problem: str | None = None
        if (_PLAIN_SLUG.fullmatch(self.slug) and not routes and not parent_route.endswith("/")
                and (parent is None or parent.path_problem is None)):
            # A plain slug under a parent whose route is safe: so is the route (the checks
            # below would find nothing; this is the common case and saves a fifth of the time).
            pass
        elif (problem := slug_problem(self.slug)) is not None:
            self.path_problem = f"slug {self.slug!r} {problem}"
        else:
            for what, route in (("routes.default" if routes.get("default") else "route", self.route), ("routes.canonical", self.canonical_route),
                                *(("routes.aliases", a) for a in self.aliases)):
                if route and (problem := route_problem(route)) is not None:
                    self.path_problem = f"{what} {route!r} {problem}"
                    break
        # --- Grav access rules (login plugin): private until logins exist ------------------
        #: The permissions a reader needs (`access: {site.login: true}` -> {"site.login": True});
        #: a page with any is private: never served, listed, indexed or exported (docs/security.md).
        self.access = access_rules(h["access"]) if "access" in rare else {}
        self.private = any(self.access.values())
        #: What `published` and `routable` would be without the access rules (for logged-in readers).
        self._public_state = (self._published_header, self._routable)
        if self.private:
            self._published_header = False
        if self.path_problem is not None:
            self._routable = False
            self._published_header = False
            self.aliases, self.canonical_route = [], None

    # --- derived -------------------------------------------------------------------
    @property
    def file_rel(self) -> str:
        return self.node.file_rel(self.filename) if self.filename else ""

    @property
    def is_home(self) -> bool:
        return self.route == self.tree.home_alias

    def published(self, now: datetime) -> bool:
        """`published:` wins; else publish/unpublish dates against ``now`` (Page::setPublishState)."""
        if self._published_header is not None:
            return self._published_header
        if self.tree.publish_dates:
            if self.publish_date is not None and self.publish_date > now:
                return False
            if self.unpublish_date is not None and self.unpublish_date <= now:
                return False
        return True

    def visible(self, now: datetime) -> bool:
        return self._visible and self.published(now)

    def routable(self, now: datetime) -> bool:
        return self._routable and self.published(now)

    def routable_if_public(self, now: datetime) -> bool:
        """Whether a page with access rules is otherwise on the site (published, routable)."""
        published, routable = self._public_state
        if not routable or self.path_problem is not None:
            return False
        if published is not None:
            return published
        saved = self._published_header
        self._published_header = None
        try:
            return self.published(now)
        finally:
            self._published_header = saved

    def patch_file_time(self, entry) -> None:
        """The page file's text changed but not its header (Site.refresh): what depends on
        the file's time follows it — the date of an undated page, the modification time."""
        self.mtime = datetime.fromtimestamp(entry.mtime_ns / 1e9, tz=timezone.utc)
        self.body_line = entry.body_line
        if self.date_from_header is None:
            self.date = self.mtime
        if not self.header.get("modified"):
            self.modified = self.mtime

    @property
    def module_children(self) -> list[Page]:
        """The children that are modules (``_folder``), found once: a home page may have 10 000 children."""
        found = self.__dict__.get("_modules")
        if found is None:
            found = self.__dict__["_modules"] = [p for p in self.children if p.is_module]
        return found

    @property
    def has_file(self) -> bool:
        return self.filename is not None

    def next_change(self, now: datetime) -> datetime | None:
        """The next moment this page's publication state changes (bounds cache lifetimes)."""
        if self._published_header is not None:
            return None
        times = [t for t in (self.publish_date, self.unpublish_date) if t is not None and t > now]
        return min(times) if times else None

    def url(self) -> str:
        """Public URL path of the page in its tree's language."""
        if self.external_url:
            return self.external_url
        prefix = self.site.config.languages.prefix(self.lang)
        if self.is_home:
            return prefix or "/"
        return prefix + self.route

    def header_get(self, dotted: str, default: Any = None) -> Any:
        return dotted_get(self.header, dotted, default)

    def theme_var(self, name: str, default: Any = None) -> Any:
        """Grav's theme_var: the page header, then its ancestors', then the theme config."""
        page: Page | None = self
        while page is not None and page.node.rel:
            if name in page.header:
                return page.header[name]
            page = page.parent
        return self.site.config.get(f"themes.{self.site.theme_name}.{name}", default)

    def __repr__(self) -> str:
        return f"<Page {self.lang or '-'}:{self.route} {self.file_rel or self.node.rel}>"


@dataclass
class RouteEntry:
    page: Page
    is_main: bool  # the page's main route (not an alias)


class LanguageTree:
    """Every page node as seen in one language, with that language's route table."""

    def __init__(self, site: Site, lang: str):
        self.site = site
        self.lang = lang
        self.chain = site.config.languages.fallback_chain(lang)
        # Settings every page reads, looked up once per tree.
        self.lowercase_urls = truthy(site.config.get("system.force_lowercase_urls", True))
        self.publish_dates = truthy(site.config.get("system.pages.publish_dates", True))
        self.date_formats = tuple(site.config.date_formats)
        self.hide_home_in_urls = truthy(site.config.get("system.home.hide_in_urls", False))
        alias = site.config.get("system.home.alias") or "/home"
        home_aliases = site.config.get("system.home.aliases")
        if isinstance(home_aliases, dict) and home_aliases.get(lang):
            alias = home_aliases[lang]
        self.home_alias = "/" + str(alias).strip("/")
        if route_problem(self.home_alias) is not None:  # `qalam check` reports it (config.validate)
            self.home_alias = "/home"
        self.pages: dict[str, Page] = {}
        self.routes: dict[str, RouteEntry] = {}
        self.root = Page(self, site.scan.root, None)
        self.root.route = "/"
        self._build(self.root)
        self.home: Page | None = self.routes[self.home_alias].page if self.home_alias in self.routes else None

    def _build(self, parent: Page) -> None:
        for child_node in parent.node.children:
            page = Page(self, child_node, parent)
            self.pages[child_node.rel] = page
            parent.children.append(page)
            self._register(page)
            self._build(page)

    def _register(self, page: Page) -> None:
        # Route, raw route, canonical and aliases; the page registered last wins a clash.
        if page.path_problem is not None:
            return  # never served (docs/security.md)
        extra = [page.canonical_route] if page.canonical_route else []
        for route in (page.raw_route, *extra, *page.aliases):
            self.routes[_norm(route)] = RouteEntry(page, False)
        self.routes[_norm(page.route)] = RouteEntry(page, True)

    def next_change(self, now: datetime) -> datetime | None:
        """The next moment any page of this language is published or unpublished by the clock.

        The times are collected once per tree (a tree is rebuilt when content changes), so a
        listing's cache lifetime costs a binary search, not a walk over every page.
        """
        times = getattr(self, "_change_times", None)
        if times is None:
            times = sorted(
                t for p in self.pages.values() if p._published_header is None
                for t in (p.publish_date, p.unpublish_date) if t is not None
            ) if self.publish_dates else []
            self._change_times = times
        i = bisect.bisect_right(times, now)
        return times[i] if i < len(times) else None

    def find(self, route: str) -> Page | None:
        entry = self.routes.get(_norm(route))
        return entry.page if entry else None

    def iter_pages(self):
        return iter(self.pages.values())


_SLASHES = re.compile(r"/+")


def _norm(route: str) -> str:
    route = _SLASHES.sub("/", "/" + route.strip())
    return route.rstrip("/") or "/"
