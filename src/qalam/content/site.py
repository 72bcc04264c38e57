"""The central :class:`Site` object: config + page index + language trees + rendering.

Everything else (web views, CLI, export) receives a ``Site``. Phases, in order:
load config -> scan folders -> sync the index -> build language trees (lazily) ->
dispatch a request path -> render content.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import threading
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import bulk
from .bulk import bulk_allocation
from .collections import Listing, collection, content_spec
from .config import Config, load_config, truthy
from .dates import parse_grav_date
from .index import PageIndex, SyncReport
from .pages import LanguageTree, Page, RouteEntry, _norm
from .problems import Problem, key_line, text_line
from .render import RenderedContent, Renderer
from . import snapshot
from .scan import FileStat, ScanResult, scan_pages
from .urlpaths import local_location

log = logging.getLogger("qalam.site")


class SiteError(Exception):
    """The folder given is not a site we can serve (message says what to do)."""


def find_user_dir(path: str | os.PathLike) -> Path:
    """Accept a Grav ``user/`` folder or a folder holding one (or a multisite ``user/sites/x``)."""
    p = Path(path).expanduser().resolve()
    if not p.exists():
        raise SiteError(f"{path}: no such folder")
    if (p / "pages").is_dir():
        return p
    if (p / "user" / "pages").is_dir():
        return p / "user"
    raise SiteError(
        f"{path}: not a Grav site folder — expected a 'pages/' folder in it (a Grav 'user/' folder) "
        f"or a 'user/pages/' folder below it"
    )


def default_state_dir(user_dir: Path) -> Path:
    """``<site>/.qalam``; when the site folder is read-only, a per-site folder in the user cache."""
    state = user_dir / ".qalam"
    try:
        state.mkdir(exist_ok=True)
        probe = state / ".write-test"
        probe.write_text("")
        probe.unlink()
        gi = state / ".gitignore"
        if not gi.exists():
            gi.write_text("# Qalam's derived state: rebuilt with `qalam index --rebuild`\n*\n")
        return state
    except OSError:
        digest = hashlib.sha256(str(user_dir).encode()).hexdigest()[:16]
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "qalam" / digest
        base.mkdir(parents=True, exist_ok=True)
        return base


@dataclass
class Resolution:
    """What a request path leads to."""

    kind: str  # "page" | "redirect" | "media" | "not_found"
    lang: str = ""
    page: Page | None = None
    params: dict[str, str] = field(default_factory=dict)
    location: str | None = None
    status: int = 200
    file: Path | None = None
    script: str = ""  # "latn" for the Latin-script edition of Kazakh pages
    #: For a 404 that is a page with Grav `access:` rules: the page, which the web layer shows to
    #: a logged-in reader whose role meets the rules (docs/editor.md). Never served otherwise.
    private: Page | None = None


def _keepable(moment: datetime, tz) -> bool:
    """Whether ``moment`` comes back the same from its POSIX time in ``tz`` (not a time in
    another zone, nor a wall time that does not exist in ``tz``)."""
    if moment.tzinfo is not tz:
        return False
    again = datetime.fromtimestamp(moment.timestamp(), tz)
    return again.replace(tzinfo=None) == moment.replace(tzinfo=None) and again.fold == moment.fold


#: Languages that also have a generated Latin-script edition under `/<code>-latn/`.
LATIN_EDITIONS = ("kk",)


class Site:
    def __init__(
        self,
        path: str | os.PathLike,
        *,
        state_dir: str | os.PathLike | None = None,
        config_overrides: dict | None = None,
        clock=None,
        progress=None,
        rebuild: bool = False,
        from_snapshot: bool = False,
    ):
        """``from_snapshot``: start from the last folder walk kept in the state folder when
        nothing changed the index since (content/snapshot.py) instead of walking the folders;
        :attr:`unchecked` is then True until :meth:`refresh` has walked them (a server does
        that in the background right after it starts)."""
        self.user_dir = find_user_dir(path)
        self.pages_dir = self.user_dir / "pages"
        self.state_dir = Path(state_dir) if state_dir else default_state_dir(self.user_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._config_overrides = config_overrides
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._lock = threading.RLock()
        with bulk_allocation():
            self.index = PageIndex(self.state_dir / "index.sqlite3", self.pages_dir)
        self.version = 0
        self._listings: dict = {}  # collection members per page/filters/version (collections.collection)
        #: While the static export renders a URL: the page files it used (see depends_on).
        self.dependencies: set[str] | None = None
        self.config: Config
        self.scan: ScanResult
        self._trees: dict[str, LanguageTree] = {}
        self._config_stamp: tuple = ()
        self.load_config()
        self.renderer = Renderer(self)
        self._ui_strings: dict[str, dict] = {}
        if rebuild:
            self.index.clear()
        #: True while the site runs on a kept folder walk that no walk has confirmed yet.
        self.unchecked = False
        self._snapshot_kept: tuple | None = None
        with bulk_allocation():
            if not (from_snapshot and not rebuild and self._start_from_snapshot()):
                self.last_sync = self.refresh(progress=progress)

    # --- phases ------------------------------------------------------------------
    def load_config(self) -> None:
        self.config = load_config(self.user_dir, self._config_overrides)
        self.tz = self.config.timezone
        self.languages = self.config.languages
        self.theme_name = str(self.config.get("qalam.theme") or "default")
        self._load_dates()
        self._config_stamp = self._stat_config()
        self.index.max_page_bytes = self.config.max_page_bytes
        for p in self.config.problems:
            log.warning("%s", p)

    def _stat_config(self) -> tuple:
        out = []
        cfg = self.user_dir / "config"
        if cfg.is_dir():
            for dirpath, _dirs, files in os.walk(cfg):
                for f in sorted(files):
                    if f.endswith(".yaml"):
                        st = os.stat(os.path.join(dirpath, f))
                        out.append((os.path.join(dirpath, f), st.st_mtime_ns, st.st_size))
        return tuple(sorted(out))

    def _scan_settings(self) -> dict:
        return {
            "languages": list(self.languages.supported),
            "media_types": sorted(self._media_types()),
            "ignore_folders": sorted(str(f) for f in self.config.get("system.pages.ignore_folders") or []),
            "ignore_files": sorted(str(f) for f in self.config.get("system.pages.ignore_files") or []),
        }

    def _start_from_snapshot(self) -> bool:
        settings = self._scan_settings()
        generation = self.index.generation
        path = self.state_dir / snapshot.NAME
        kept = [settings[k] for k in sorted(settings)]
        head = snapshot.peek(path, generation=f"{self.index.identity}:{generation}", settings=kept)
        if head is None:
            return False
        files = head["files"]
        # The folders themselves are read when first needed (the first page; never in the
        # supervisor of several workers, which only needs to know the index is in step).
        self._scan_loader = lambda: snapshot.read(path, generation=f"{self.index.identity}:{generation}",
                                                  settings=kept)
        self._structure_digest = head["structure"]
        self._snapshot_kept = (generation, settings, head["structure"])
        self.unchecked = True
        self.last_sync = SyncReport(unchanged=files)
        return True

    _scan: ScanResult | None = None
    _scan_loader = None

    @property
    def scan(self) -> ScanResult:
        """The folders as last walked (read from the kept walk on first use after a start from it)."""
        if self._scan is None and self._scan_loader is not None:
            with self._lock, bulk_allocation():
                if self._scan is None:
                    loaded = self._scan_loader()
                    self._scan_loader = None
                    if loaded is not None:
                        self._scan = loaded
                    else:  # changed or spoilt since the start: walk now
                        self.refresh()
        if self._scan is None:
            raise AttributeError("scan")
        return self._scan

    @scan.setter
    def scan(self, value: ScanResult) -> None:
        self._scan, self._scan_loader = value, None

    def _keep_walk(self, scan: ScanResult, settings: dict, generation: int, structure: str) -> None:
        """Keep this walk for the next start (content/snapshot.py) unless it is kept already."""
        kept = (generation, settings, structure)
        if kept != self._snapshot_kept:
            snapshot.write(self.state_dir / snapshot.NAME, scan, generation=f"{self.index.identity}:{generation}",
                           settings=[settings[k] for k in sorted(settings)], structure=structure)
            self._snapshot_kept = kept

    #: A digest of the folders, page files and media as last walked (:func:`_structure_digest`).
    _structure_digest: str | None = None

    @property
    def structure_digest(self) -> str:
        """What a rendered page depends on besides the page files' contents and the config: the
        same in every process for the same folders (the page cache's disk layer and the static
        export's state are named by it). From the kept walk's first line after a start from it."""
        if self._structure_digest is None:
            self._structure_digest = _structure_digest(self.scan)
        return self._structure_digest

    def refresh(self, *, progress=None, force_config: bool = False) -> SyncReport:
        """Re-scan the folders and re-parse what changed; cheap when nothing did.

        The folders are walked outside the site's lock: requests go on being answered from
        the current version meanwhile (a walk of 50,000 pages takes about a second)."""
        with self._lock:
            config_changed = force_config or self._stat_config() != self._config_stamp
            if config_changed:
                self.load_config()
            settings = self._scan_settings()
            walked_at = self.index.generation
        scan = scan_pages(
            self.pages_dir,
            languages=settings["languages"],
            media_types=set(settings["media_types"]),
            ignore_folders=set(settings["ignore_folders"]),
            ignore_files=set(settings["ignore_files"]),
        )
        with self._lock:
            before = dict(self.index.entries)
            report = self.index.sync(scan.files, progress=progress)
            structure = _structure_digest(scan)
            same_structure = not config_changed and structure == self._structure_digest
            if same_structure and report.changed and self._trees and self._patch_texts(before):
                # Only page texts changed: the trees stay (a 10 000-page tree costs a third of a
                # second to build); caches keyed by the version are dropped.
                self._content_changed(keep_trees=True)
            elif not same_structure or report.changed:
                self.scan = scan
                self._structure_digest = structure
                self._content_changed(keep_trees=False)
            elif self._scan is None:  # started from the kept walk, whose folders were never read
                self.scan = scan
            self.unchecked = False
            generation = self.index.generation
            if generation == walked_at + int(report.changed):
                # Nobody else changed the index during the walk: it matches the files walked.
                self._keep_walk(scan, settings, generation, structure)
            return report

    def _content_changed(self, *, keep_trees: bool) -> None:
        """A new content version: drop what was derived from the old one."""
        self.version += 1
        self.renderer.clear()
        self._listings.clear()
        if not keep_trees:
            self._trees = {}
            self._ui_strings = {}
            bulk.release()  # the old trees and folder nodes hold cycles (content/bulk.py)

    def refresh_changed(self, paths: Iterable[str | os.PathLike]) -> SyncReport:
        """Refresh after a watcher saw ``paths`` modified. When they are all page files the
        last scan knows, only they are re-read (no walk over every folder: a third of a second
        on 10 000 pages); anything else (a new, deleted or other file, the config) is a full
        :meth:`refresh`."""
        with self._lock:
            scan = getattr(self, "scan", None)
            if scan is None or not self._trees or self._stat_config() != self._config_stamp:
                return self.refresh()
            pages_dir = self.pages_dir.resolve()
            stats: dict[str, FileStat] = {}
            for raw in paths:
                path = Path(raw)
                try:
                    rel = self._pages_rel(path, pages_dir)
                    st = path.stat()
                except (ValueError, OSError):
                    return self.refresh()
                if rel not in scan.files or not rel.endswith(".md"):
                    return self.refresh()
                stats[rel] = FileStat(rel, st.st_mtime_ns, st.st_size)
            for rel, fstat in stats.items():
                folder, _, name = rel.rpartition("/")
                scan.files[rel] = fstat
                node = scan.nodes.get(folder)
                if node is not None and name in node.file_stats:
                    node.file_stats[name] = fstat
            before = dict(self.index.entries)
            report = self.index.sync(scan.files)
            if report.changed:
                # Only bodies changed: the pages are patched in place. A changed header that
                # leaves every route as it was: the pages are replaced in place. Anything else:
                # the trees are built again from the index.
                keep = not report.removed and (self._patch_texts(before) or self._patch_headers(before))
                self._content_changed(keep_trees=keep)
            return report

    def _media_types(self) -> set[str]:
        return {str(k).lower() for k in (self.config.get("media.types") or {})}

    def _pages_rel(self, path: Path, root: Path | None = None) -> str:
        """``path`` relative to the pages folder, POSIX separators (ValueError when outside it);
        ``root``: the pages folder already resolved (once per batch of paths, not per path)."""
        return path.resolve().relative_to(root or self.pages_dir.resolve()).as_posix()

    def already_current(self, paths: Iterable[str | os.PathLike]) -> bool:
        """Whether the site already reflects every one of ``paths`` (a watcher's events for
        files the newsroom wrote and refreshed itself): known page files and media with the
        same size and time, known folders, hidden files (never read). False when unsure."""
        scan = getattr(self, "scan", None)
        if scan is None or not self._trees:
            return False
        pages_dir = self.pages_dir.resolve()
        for raw in paths:
            path = Path(raw)
            if path.name.startswith("."):
                continue  # hidden: temporary files of atomic writes, .git; the scan skips them
            try:
                rel = self._pages_rel(path, pages_dir)
            except ValueError:
                return False  # the config folder, or outside the pages
            try:
                st = path.stat()
            except OSError:
                return False
            if path.is_dir():
                if rel not in scan.nodes and rel != ".":
                    return False
                continue
            known = scan.files.get(rel)
            if known is None:
                folder, _, name = rel.rpartition("/")
                node = scan.nodes.get(folder)
                known = node.media.get(name) if node is not None else None
            if known is None or (known.mtime_ns, known.size) != (st.st_mtime_ns, st.st_size):
                return False
        return True

    def refresh_paths(self, paths: Iterable[str | os.PathLike]) -> SyncReport:
        """The file watcher's refresh: changed page files are re-read (:meth:`refresh_changed`)
        and new article folders added in place (:meth:`add_page_folder`), as another worker's
        newsroom writes them; anything else (a deleted file, a new file in a known folder, the
        config) is a full :meth:`refresh`."""
        scan = getattr(self, "scan", None)
        if scan is None or not self._trees:
            return self.refresh()
        pages_dir = self.pages_dir.resolve()
        modified: list[Path] = []
        folders: set[Path] = set()
        for raw in paths:
            path = Path(raw)
            if path.name.startswith("."):
                continue  # hidden files are never read (temporary files of atomic writes)
            try:
                rel = self._pages_rel(path, pages_dir)
            except ValueError:
                return self.refresh()
            if rel in scan.files and path.is_file():
                modified.append(path)
            elif path.is_dir():
                if rel not in scan.nodes:
                    folders.add(path)
            elif path.exists() and rel.rpartition("/")[0] not in scan.nodes:
                folders.add(path.parent)  # a file in a new folder
            else:
                return self.refresh()
        report = SyncReport()
        for folder in sorted(folders, key=lambda f: len(f.parts)):
            if not any(parent in folders for parent in folder.parents):
                report = self.add_page_folder(folder)
        if modified:
            report = self.refresh_changed(modified)
        return report

    def add_page_folder(self, folder: str | os.PathLike) -> SyncReport:
        """A new folder with a page file under an existing one (the newsroom's new article):
        its node and page are added to the scan and to every language tree in place, without
        walking every folder again and rebuilding the trees (seconds on 10,000 pages). Anything
        unusual (subfolders, a frontmatter.yaml, a refused file, a route clash) falls back to
        :meth:`refresh`."""
        from .scan import Node, natural_key

        with self._lock:
            scan = getattr(self, "scan", None)
            path = Path(folder)
            try:
                rel = self._pages_rel(path)
            except ValueError:
                return self.refresh()
            parent_rel, _, name = rel.rpartition("/")
            parent = scan.nodes.get(parent_rel) if scan is not None else None
            if (scan is None or not self._trees or parent is None or rel in scan.nodes
                    or self._stat_config() != self._config_stamp):
                return self.refresh()
            sub = scan_pages(path, languages=self.languages.supported, media_types=self._media_types(),
                             ignore_files=set(self.config.get("system.pages.ignore_files") or []))
            if sub.root.children or sub.refused or sub.root.frontmatter is not None or not sub.root.files:
                return self.refresh()
            node = Node(rel=rel, name=name, parent=parent)
            node.files = dict(sub.root.files)
            for fname, fstat in sub.root.file_stats.items():
                node.file_stats[fname] = FileStat(f"{rel}/{fname}", fstat.mtime_ns, fstat.size)
            for fname, fstat in sub.root.media.items():
                node.media[fname] = FileStat(f"{rel}/{fname}", fstat.mtime_ns, fstat.size)
            files = dict(scan.files)
            files.update({f.rel: f for f in node.file_stats.values()})
            position = sum(1 for c in parent.children if natural_key(c.name) <= natural_key(name))
            report = self.index.sync(files)
            parent.children.insert(position, node)
            scan.nodes[rel] = node
            scan.files = files
            for tree in self._trees.values():
                parent_page = tree.pages.get(parent_rel) if parent_rel else tree.root
                if parent_page is None:
                    return self._rebuild_after_add(report)
                page = Page(tree, node, parent_page)
                if page.path_problem is None and any(_norm(r) in tree.routes for r in (page.route, page.raw_route)):
                    return self._rebuild_after_add(report)  # a clash: let the full build decide
                parent_page.children.insert(position, page)
                tree.pages[rel] = page
                tree._register(page)
                tree.__dict__.pop("_change_times", None)
            self._structure_digest = _structure_digest(scan)
            self._content_changed(keep_trees=True)
            return report

    def add_media_file(self, path: str | os.PathLike) -> SyncReport:
        """A new image beside a known page (the newsroom's upload): added to its folder's media in
        place, without walking every folder and rebuilding the trees; else :meth:`refresh`."""
        with self._lock:
            scan = getattr(self, "scan", None)
            path = Path(path)
            try:
                rel = self._pages_rel(path)
                st = path.stat()
            except (ValueError, OSError):
                return self.refresh()
            folder, _, name = rel.rpartition("/")
            node = scan.nodes.get(folder) if scan is not None else None
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if (node is None or not self._trees or name in node.media or name.startswith(".")
                    or ext not in self._media_types() or not path.is_file() or path.is_symlink()
                    or self._stat_config() != self._config_stamp):
                return self.refresh()
            node.media[name] = FileStat(rel, st.st_mtime_ns, st.st_size)
            self._structure_digest = _structure_digest(scan)
            self._content_changed(keep_trees=True)
            return SyncReport(parsed=0, removed=0, unchanged=len(self.index.entries))

    def _rebuild_after_add(self, report: SyncReport) -> SyncReport:
        self._structure_digest = _structure_digest(self.scan)
        self._content_changed(keep_trees=False)
        return report

    def _patch_headers(self, before: dict) -> bool:
        """After a sync in which only page headers (and bodies) changed, replace the changed
        pages in every language tree with pages built from the new headers, if no route,
        alias, slug or safety verdict changed; return True. Otherwise change nothing and
        return False (the caller rebuilds the trees). Saving an article from the editor is
        this case: rebuilding a 10,000-page tree takes the better part of a second."""
        entries = self.index.entries
        if entries.keys() != before.keys():
            return False
        changed = {rel for rel, e in entries.items() if before[rel] is not e}
        if not changed or any(not rel.endswith(".md") for rel in changed):
            return False
        replacements: list[tuple[LanguageTree, Page, Page]] = []
        for tree in self._trees.values():
            for rel in changed:
                folder = rel.rpartition("/")[0]
                old = tree.pages.get(folder)
                if old is None or old.file_rel != rel:
                    continue  # this language shows another file of the folder
                new = Page(tree, old.node, old.parent)
                same = (new.route, new.raw_route, new.aliases, new.canonical_route, new.path_problem, new.slug,
                        new.is_module, new.private) == \
                       (old.route, old.raw_route, old.aliases, old.canonical_route, old.path_problem, old.slug,
                        old.is_module, old.private)
                if not same:
                    return False
                replacements.append((tree, old, new))
        for tree, old, new in replacements:
            new.children = old.children
            for child in new.children:
                child.parent = new
            tree.pages[old.node.rel] = new
            siblings = old.parent.children if old.parent is not None else []
            for i, sibling in enumerate(siblings):
                if sibling is old:
                    siblings[i] = new
            for key, route_entry in list(tree.routes.items()):
                if route_entry.page is old:
                    tree.routes[key] = RouteEntry(new, route_entry.is_main)
            if tree.home is old:
                tree.home = new
            tree.__dict__.pop("_change_times", None)
        return True

    def _patch_texts(self, before: dict) -> bool:
        """After a sync in which only page bodies changed (same files, same headers), update
        the pages' file times in place and return True; else change nothing and return False."""
        entries = self.index.entries
        if entries.keys() != before.keys():
            return False
        changed = {rel: e for rel, e in entries.items() if before[rel] is not e}
        for rel, entry in changed.items():
            old = before[rel]
            if entry.header != old.header or entry.problems != old.problems or not rel.endswith(".md"):
                return False
        for tree in self._trees.values():
            for page in tree.pages.values():
                entry = changed.get(page.file_rel) if page.filename else None
                if entry is not None:
                    page.patch_file_time(entry)
        return True

    def rebuild_index(self, *, progress=None) -> SyncReport:
        with self._lock:
            self.index.clear()
            self._structure_digest = None
            return self.refresh(progress=progress, force_config=True)

    def ui_strings(self, lang: str) -> dict:
        """Site overrides of theme strings: ``user/languages/<lang>.yaml``, key ``QALAM``."""
        if lang not in self._ui_strings:
            from .frontmatter import FrontMatterError, load_yaml_file

            data: dict = {}
            path = self.user_dir / "languages" / f"{lang}.yaml"
            if path.is_file():
                try:
                    loaded = load_yaml_file(path, root=self.user_dir / "languages")
                    data = loaded.get("QALAM") or {} if isinstance(loaded, dict) else {}
                except (FrontMatterError, OSError) as err:
                    log.warning("%s: %s", path, err)
            self._ui_strings[lang] = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return self._ui_strings[lang]

    def parse_date(self, value, formats: tuple[str, ...] = ()) -> datetime | None:
        """A header date in the site's time zone, memoised (every language tree reads the same values)."""
        key = (value if isinstance(value, (str, int, float)) else repr(value), formats)
        try:
            return self._date_cache[key]
        except KeyError:
            pass
        except TypeError:
            return parse_grav_date(value, tz=self.tz, formats=formats)
        result = parse_grav_date(value, tz=self.tz, formats=formats)
        if len(self._date_cache) < 200_000:
            self._date_cache[key] = result
            if isinstance(value, str) and (result is None or _keepable(result, self.tz)):
                self._dates_new.append((value, "\n".join(formats), result.timestamp() if result else None))
        return result

    # Parsed header dates are kept in the page index between starts (a date string is parsed
    # once per site, not once per start: 50,000 took half a second). The key names the parser's
    # version and the time zone; a result in another zone (an offset in the text) is not kept.
    _DATES_KEY = "1"

    def _load_dates(self) -> None:
        self._date_tz = f"{self._DATES_KEY}|{getattr(self.tz, 'key', self.tz)}"
        self._dates_new: list[tuple[str, str, float | None]] = []
        tz = self.tz
        self._date_cache: dict = {
            (value, tuple(formats.split("\n")) if formats else ()): (
                None if ts is None else datetime.fromtimestamp(ts, tz))
            for (value, formats), ts in self.index.load_dates(self._date_tz).items()
        }

    def _store_dates(self) -> None:
        if self._dates_new:
            new, self._dates_new = self._dates_new, []
            try:
                self.index.store_dates(self._date_tz, new)
            except sqlite3.Error as err:  # a read-only state folder: parsed again next start
                log.warning("could not keep parsed dates in the page index: %s", err)

    def now(self) -> datetime:
        return self._clock()

    # --- languages and trees -------------------------------------------------------
    @property
    def language_codes(self) -> list[str]:
        """Languages the site serves; ``['']`` when multi-language is off."""
        return list(self.languages.supported) or [""]

    @property
    def default_lang(self) -> str:
        return self.languages.default

    def tree(self, lang: str | None = None) -> LanguageTree:
        lang = self.default_lang if lang is None else lang
        tree = self._trees.get(lang)
        if tree is None:
            with self._lock:
                tree = self._trees.get(lang)
                if tree is None:
                    with bulk_allocation():
                        tree = LanguageTree(self, lang)
                    self._trees[lang] = tree
                    self._store_dates()
        return tree

    def html_lang(self, lang: str) -> str:
        return lang or str(self.config.get("site.default_lang") or "en")

    # --- content -------------------------------------------------------------------
    def content(self, page: Page) -> RenderedContent:
        self.depends_on(page)
        return self.renderer.content(page)

    def depends_on(self, page: Page) -> None:
        """Note that what is being rendered shows ``page``'s content or dates (the static export
        records it per URL, to re-render only what one changed file affects: build/export.py)."""
        if self.dependencies is not None and page.filename:
            self.dependencies.add(page.file_rel)

    def listing(self, page: Page, params: dict | None = None) -> Listing | None:
        return collection(page, self.now(), params=params, cache=self._listings)

    def translations(self, page: Page) -> dict[str, Page]:
        """The same folder in every language that has its own (published, routable) file for it."""
        out = {}
        now = self.now()
        for code in self.languages.supported:
            other = self.tree(code).pages.get(page.node.rel)
            if other is not None and other.has_file and other.file_lang in (code, "") and other.routable(now):
                out[code] = other
        return out

    # --- dispatch --------------------------------------------------------------------
    def resolve(self, raw_path: str, *, accept_language: str | None = None) -> Resolution:
        """What a request path leads to (Grav's dispatch order; see :meth:`_resolve`).

        Every redirect goes to a path on this site (urlpaths.local_location): ``//evil.example/``
        is not turned into ``Location: //evil.example``. Only an absolute http(s) address the
        site's owner wrote (a page's ``redirect:``/``external_url``, a ``site.redirects`` target
        whose host is literal) leads elsewhere.
        """
        res = self._resolve(raw_path, accept_language=accept_language)
        if res.kind == "redirect" and res.location is not None:
            res.location = _safe_location(res.location)
        return res

    def _resolve(self, raw_path: str, *, accept_language: str | None = None) -> Resolution:
        """Map a request path to a page, redirect, media file or 404 (Pages::dispatch)."""
        path = urllib.parse.unquote(raw_path or "/")
        if "\x00" in path:
            return Resolution("not_found", status=404)
        if path != "/" and path.endswith("/") and int(self.config.get("system.pages.redirect_trailing_slash") or 0):
            return Resolution("redirect", location=_quote(path.rstrip("/") or "/"), status=301)
        if path.startswith("/user/pages/"):
            return self._static_media(path[len("/user/pages/"):])

        # Language from the path prefix, then the default (or Accept-Language if enabled).
        lang, rest, had_prefix, script = self._split_language(path)
        if script:
            res = self._resolve_in(lang, rest)
            res.script = script
            return res
        if lang is None:
            lang = self._preferred_language(accept_language)
            needs_prefix = bool(self.languages.prefix(lang))
            if needs_prefix:
                # Like Grav, which dispatches an unprefixed path before adding the language: an old URL
                # listed in site.redirects is answered at once (one 301, not a 302 and then the 301).
                early = self._unprefixed_redirect(lang, rest)
                if early is not None:
                    return early
                target = self.languages.prefix(lang) + ("" if rest == "/" else rest)
                return Resolution("redirect", lang=lang, location=_quote(target), status=302)
        elif not self.languages.prefix(lang) and had_prefix:
            return Resolution("redirect", lang=lang, location=_quote(rest), status=302)
        return self._resolve_in(lang, rest)

    def _resolve_in(self, lang: str, rest: str) -> Resolution:
        """Resolve a path below the language prefix in that language's tree."""
        route, params = self._split_params(rest)
        tree = self.tree(lang)
        now = self.now()
        page = tree.home if route == "/" else tree.find(route)
        if page is not None:
            return self._page_resolution(page, route, lang, params, now)

        target = self._site_route(route)
        if target is not None:
            # A target may carry URL parameters too (`/events/category:x`).
            target_route, target_params = self._split_params(target)
            page = tree.home if target_route == "/" else tree.find(target_route)
            if page is not None:
                return self._page_resolution(page, page.route, lang, {**target_params, **params}, now)
        redirect = self._site_redirect(route)
        if redirect is not None:
            location, status = redirect
            return Resolution("redirect", lang=lang, location=self._redirect_location(location, lang), status=status)

        media = self._page_media(tree, route)
        if media is not None:
            return Resolution("media", lang=lang, file=media)
        return Resolution("not_found", lang=lang, status=404)

    def _unprefixed_redirect(self, lang: str, rest: str) -> Resolution | None:
        """A ``site.redirects`` answer for a path without a language prefix that is no page or route."""
        route, _params = self._split_params(rest)
        if route == "/" or self.tree(lang).find(route) is not None or self._site_route(route) is not None:
            return None
        redirect = self._site_redirect(route)
        if redirect is None:
            return None
        location, status = redirect
        return Resolution("redirect", lang=lang, location=self._redirect_location(location, lang), status=status)

    def _redirect_location(self, location: str, lang: str) -> str:
        """An internal redirect target gets the request's language prefix, unless it names a language
        itself (``/ru/news/x``: how imported pages in another language are redirected to)."""
        if location.startswith("/") and not location.startswith("//"):
            first = location.split("/", 2)[1].split("?", 1)[0].lower()
            if not (self.languages.enabled and first in {c.lower() for c in self.languages.supported}):
                location = self.languages.prefix(lang) + location
        return location

    def _split_language(self, path: str) -> tuple[str | None, str, bool, str]:
        """(language or None, rest of the path, prefix present, script of an edition)."""
        if not self.languages.enabled:
            return "", path, False, ""
        m = re.match(r"^/([^/?]+)(/.*)?$", path)
        if m:
            seg = m.group(1).lower()
            for code in self.languages.supported:
                if code.lower() == seg:
                    return code, m.group(2) or "/", True, ""
                if code in LATIN_EDITIONS and seg == f"{code.lower()}-latn":
                    return code, m.group(2) or "/", True, "latn"
        return None, path, False, ""

    def latin_edition(self, lang: str) -> bool:
        """Whether pages of ``lang`` also have a Latin-script edition."""
        return self.languages.enabled and lang in LATIN_EDITIONS and lang in self.languages.supported

    def latin_url(self, url: str, lang: str = "kk") -> str:
        """The Latin-edition URL of a page URL of ``lang`` (`/kk/news/x` -> `/kk-latn/news/x`)."""
        prefix = self.languages.prefix(lang)
        if prefix and (url == prefix or url.startswith(prefix + "/")):
            return f"/{lang}-latn" + url[len(prefix):]
        if not prefix and url.startswith("/") and not url.startswith("//"):
            first = url.split("/", 2)[1].split("?", 1)[0].lower()
            others = {c.lower() for c in self.languages.supported} | {f"{c.lower()}-latn" for c in LATIN_EDITIONS}
            if first in others or first in ("user", "_qalam", "api") or ":" in first:
                return url
            return f"/{lang}-latn" + (url if url != "/" else "")
        return url

    def _preferred_language(self, accept_language: str | None) -> str:
        if accept_language and truthy(self.config.get("system.languages.http_accept_language")):
            for part in accept_language.split(","):
                code = part.split(";")[0].strip().lower()
                for cand in (code, code.split("-")[0]):
                    for lang in self.languages.supported:
                        if lang.lower() == cand:
                            return lang
        return self.default_lang

    def _split_params(self, path: str) -> tuple[str, dict[str, str]]:
        sep = str(self.config.get("system.param_sep") or ":")
        segs, params = [], {}
        for seg in path.split("/"):
            if sep in seg:
                key, _, value = seg.partition(sep)
                params[key] = value
            elif seg:
                segs.append(seg)
        return "/" + "/".join(segs), params

    def _page_resolution(self, page: Page, route: str, lang: str, params: dict, now: datetime) -> Resolution:
        if page.redirect:
            location, status = _redirect_target(page.redirect, int(self.config.get("system.pages.redirect_default_code") or 302))
            if location.startswith("/") and not location.startswith("//"):
                location = self.languages.prefix(lang) + location
            return Resolution("redirect", lang=lang, page=page, location=location, status=status)
        if page.private:
            # Grav access rules: not for anonymous readers; the web layer may show it to an account.
            return Resolution("not_found", lang=lang, status=404, params=params,
                              private=page if page.routable_if_public(now) else None)
        if not page.routable(now):  # includes unpublished pages (routable() is routable && published)
            # A folder without a routable page redirects to its first visible, routable child.
            for child in page.children:
                if child.visible(now) and child.routable(now):
                    return Resolution("redirect", lang=lang, location=_quote(child.url()), status=302)
            return Resolution("not_found", lang=lang, status=404)
        main = page.route if not page.is_home else "/"
        if (
            route not in (main, page.route)
            and truthy(page.header.get("redirect_default_route", self.config.get("system.pages.redirect_default_route")))
        ):
            return Resolution("redirect", lang=lang, location=_quote(page.url()), status=301)
        return Resolution("page", lang=lang, page=page, params=params)

    def _site_route(self, route: str) -> str | None:
        routes = self.config.get("site.routes") or {}
        if not isinstance(routes, dict):
            return None
        if route in routes:
            return str(routes[route])
        for key in reversed(list(routes)):
            try:
                m = re.match("^" + str(key) + "$", route)
            except re.error:
                continue
            if m:
                return m.expand(_php_refs(str(routes[key])))
        return None

    def _site_redirect(self, route: str) -> tuple[str, int] | None:
        redirects = self.config.get("site.redirects") or {}
        if not isinstance(redirects, dict):
            return None
        default = int(self.config.get("system.pages.redirect_default_code") or 302)
        if route in redirects:
            return _redirect_target(str(redirects[route]), default)
        for key, pattern, length in self._redirect_patterns(redirects):
            if length is not None and length != len(route):
                continue  # only '.' wildcards: it can only match a route of its own length
            m = pattern.match(route)
            if m:
                template = str(redirects[key])
                location, status = _redirect_target(m.expand(_php_refs(template)), default)
                if not _AUTHORED_ABSOLUTE.match(template):
                    # The host part would come from the request: keep it a path of this site.
                    location = local_location(location)
                return location, status
        return None

    def _redirect_patterns(self, redirects: dict) -> list[tuple[object, re.Pattern[str], int | None]]:
        """The keys of site.redirects that are regular expressions, compiled once per config.

        A key without any regex character matches only itself, which the dictionary lookup has
        checked already; so an archive with thousands of imported redirects costs a 404 nothing.
        """
        cached = getattr(self, "_redirect_cache", None)
        if cached is not None and cached[0] is redirects:
            return cached[1]
        compiled = []
        for key in redirects:
            text = str(key)
            if not _REGEX_CHARS.search(text):
                continue
            try:
                pattern = re.compile("^" + text + "$")
            except re.error:
                continue
            compiled.append((key, pattern, len(text) if not _REGEX_CHARS_BUT_DOT.search(text) else None))
        self._redirect_cache = (redirects, compiled)
        return compiled

    def _static_media(self, rel: str) -> Resolution:
        """``/user/pages/<folder path>/<file>``: only media files inside the pages folder."""
        path = self.safe_media_path(rel)
        if path is None:
            return Resolution("not_found", status=404)
        return Resolution("media", file=path)

    def safe_media_path(self, rel: str) -> Path | None:
        parts = [p for p in rel.split("/") if p]
        if not parts or any(p in (".", "..") or p.startswith(".") or "\\" in p for p in parts):
            return None
        folder = "/".join(parts[:-1])
        node = self.scan.nodes.get(folder)
        if node is None or parts[-1] not in node.media or self.node_private(node):
            return None
        path = (self.pages_dir / folder / parts[-1]).resolve()
        try:
            path.relative_to(self.pages_dir.resolve())
        except ValueError:
            return None
        return path

    def node_private(self, node) -> bool:
        """Whether a page file of this folder, in any language, has Grav access rules: its media
        are then as private as the page (docs/security.md)."""
        from .pages import access_rules

        for name, _template in node.files.values():
            entry = self.index.entries.get(node.file_rel(name))
            if entry is not None and any(access_rules(entry.header.get("access")).values()):
                return True
        fm = self.index.entries.get(node.frontmatter.rel) if node.frontmatter else None
        return bool(fm and any(access_rules(fm.header.get("access")).values()))

    def _page_media(self, tree: LanguageTree, route: str) -> Path | None:
        """``/route/of/page/file.jpg`` (Grav::fallbackUrl): the medium of the page at the dirname."""
        dirname, _, name = route.rpartition("/")
        page = tree.find(dirname) if dirname else tree.home
        if page is None or name not in page.node.media:
            return None
        return self.safe_media_path(page.node.file_rel(name))

    def media_url(self, page: Page, name: str) -> str:
        return "/user/pages/" + urllib.parse.quote(page.node.file_rel(name))

    # --- checking ---------------------------------------------------------------------
    def problems(self) -> list[Problem]:
        """Every problem in config and content (for `qalam check`)."""
        out = list(self.config.problems)
        for rel, reason in sorted(self.scan.refused.items()):
            out.append(Problem(f"pages/{rel}", None, f"not served: {reason} — replace it with an ordinary file "
                               "inside the pages folder, or remove it"))
        for entry in sorted(self.index.entries.values(), key=lambda e: e.rel):
            for problem in entry.problems:
                msg = problem["message"] + (f" — {problem['hint']}" if problem.get("hint") else "")
                out.append(Problem(f"pages/{entry.rel}", problem.get("line"), msg, problem.get("severity", "error")))
        for lang in self.language_codes:
            for page in self.tree(lang).iter_pages():
                if not page.has_file or page.file_lang not in (lang, ""):
                    continue
                if page.error:
                    continue
                rel = f"pages/{page.file_rel}"
                for key, message in page.header_problems:
                    out.append(Problem(rel, key_line(self.pages_dir / page.file_rel, key), message + " — fix it "
                                       "(docs/content-fields.md, docs/grav-compatibility.md)"))
                if page.private:
                    out.append(Problem(rel, key_line(self.pages_dir / page.file_rel, "access"),
                                       "private: the page has Grav access rules (" + ", ".join(
                                           k for k, v in page.access.items() if v) + "); it is shown only to logged-in "
                                       "newsroom accounts whose role meets them, and never listed, searched, put "
                                       "in feeds or sitemaps, or exported — remove `access:` to publish it",
                                       "warning"))
                    continue
                if page.path_problem:
                    out.append(Problem(rel, key_line(self.pages_dir / page.file_rel, "slug")
                                       or key_line(self.pages_dir / page.file_rel, "routes"),
                                       f"not served or exported: {page.path_problem} — "
                                       "use a slug of letters, digits and dashes, and routes without '.' or '..'"))
                    continue
                for key in ("date", "publish_date", "unpublish_date"):
                    if page.header.get(key) not in (None, "") and getattr(page, "date_from_header" if key == "date" else key) is None:
                        out.append(Problem(rel, key_line(self.pages_dir / page.file_rel, key), f"{key}: cannot read {page.header[key]!r} as a date (write it as 'd-m-Y H:i', e.g. '20-07-2022 10:00')"))
                try:
                    rendered = self.content(page)
                    if content_spec(page) is not None:
                        self.listing(page)
                except Exception:  # noqa: BLE001 — a check must report, not crash
                    log.exception("pages/%s cannot be rendered", page.file_rel)
                    out.append(Problem(rel, None, "cannot be rendered: Qalam failed on this page (the log above "
                                                  "has the details); readers get an error page for it — please "
                                                  "report it with the page file"))
                    continue
                for warning in rendered.warnings:
                    m = re.match(r"missing media file '(.+?)'", warning)
                    line = text_line(self.pages_dir / page.file_rel, m.group(1)) if m else None
                    out.append(Problem(rel, line, warning, "warning"))
        seen = set()
        unique = []
        for p in out:
            if (p.path, p.line, p.message) not in seen:
                seen.add((p.path, p.line, p.message))
                unique.append(p)
        return unique

    def close(self) -> None:
        self.index.close()


def _structure_digest(scan: ScanResult) -> str:
    """Every folder with its page files and media (name, time, size), as a short digest."""
    key = tuple(
        (rel, tuple(sorted(node.files.items())), tuple(sorted((k, v.mtime_ns, v.size) for k, v in node.media.items())))
        for rel, node in scan.nodes.items()
    )
    return hashlib.blake2b(repr(key).encode("utf-8", "surrogateescape"), digest_size=12).hexdigest()


_REGEX_CHARS = re.compile(r"[.^$*+?{}\[\]\\|()]")
_REGEX_CHARS_BUT_DOT = re.compile(r"[\^$*+?{}\[\]\\|()]")


#: An absolute address whose scheme and host are written out (no `$1` from the request in them).
_AUTHORED_ABSOLUTE = re.compile(r"^https?://[^/$\\]+(?:[/?#]|$)", re.I)
_ABSOLUTE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def _safe_location(location: str) -> str:
    """A redirect target: an authored absolute http(s) address, else a path on this site."""
    if _ABSOLUTE.match(location):
        return location if _AUTHORED_ABSOLUTE.match(location) and "\n" not in location else "/"
    return local_location(location)


def _redirect_target(value: str, default: int) -> tuple[str, int]:
    m = re.match(r"^(.*?)\[(30[0-8])\]$", value.strip())
    if m:
        return m.group(1).strip(), int(m.group(2))
    return value.strip(), default


def _php_refs(template: str) -> str:
    return re.sub(r"\$(\d+)", r"\\g<\1>", template)


def _quote(path: str) -> str:
    return urllib.parse.quote(path, safe="/:@!$&'()*+,;=-._~%")
