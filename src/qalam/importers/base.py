"""What every importer produces (:class:`ImportedArticle`) and the writer that puts it into a site.

The writer (:class:`ImportSession`):

* puts each article in ``pages/<NN.section>/<YYYY-MM-DD-slug>/item.<lang>.md``: an
  unnumbered folder, so thousands of archive articles sort by date in the file manager and
  in ``@self.children`` listings ordered by date, and do not crowd the menus (Grav shows
  only numbered folders in menus);
* never touches an existing page: an article already imported (same source bytes, same
  WordPress post, or same old URL) is skipped, and a folder name already taken gets
  ``-2``, ``-3``; running the same import twice changes nothing;
* writes each page atomically: the page file and its images go into a hidden temporary
  folder beside the final one, which is renamed into place in one step, so a page is
  either complete or absent, even when the run is interrupted;
* records old URL -> new route in ``config/site.yaml`` (:mod:`.redirects`) once, at the end;
* collects a report: imported, skipped (why), failed (why), warnings (what to check);
* in dry-run mode does all of the above except writing.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from qalam.content.config import load_config
from qalam.content.site import SiteError, find_user_dir
from qalam.lang.detect import detect_language
from qalam.lang.slug import slugify

from .furniture import Furniture, FurnitureConfigError, load_furniture
from .markup import MEDIA
from .redirects import RedirectBook, RedirectError, redirect_key, redirect_target

__all__ = [
    "ImageRef",
    "ImportedArticle",
    "ImportSession",
    "ImportSetupError",
    "Outcome",
    "Report",
    "sha256_hex",
    "safe_media_name",
    "attach_image",
    "IMAGE_EXTENSIONS",
    "image_kind",
]

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "webp", "avif")
_IMAGE_MAGIC = [
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
]
MAX_IMAGE_BYTES = 50 * 1024 * 1024
SECTION_TITLES = {"news": {"kk": "Жаңалықтар", "ru": "Новости", "en": "News"}}


class ImportSetupError(Exception):
    """The import cannot start (no such site, broken config): a usage problem, exit code 2."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def image_kind(path: Path) -> str | None:
    """'jpeg', 'png', 'gif', 'webp', 'avif' when the file really is such an image, else None.

    Only regular files count (a FIFO named like an image would block the import: safefs)."""
    from qalam.content.safefs import open_regular

    try:
        with open_regular(path, os.path.dirname(os.path.realpath(path))) as fh:
            head = fh.read(16)
    except OSError:  # UnsafeFile included
        return None
    for magic, kind in _IMAGE_MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:12] in (b"ftypavif", b"ftypavis"):
        return "avif"
    return None


def safe_media_name(name: str) -> str:
    """A file name that is safe in a page folder and a URL: the base name, ``[A-Za-z0-9._-]``."""
    base = urllib.parse.unquote(name).replace("\\", "/").rsplit("/", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", stem or "") is None:
        stem = slugify(stem or "image", max_length=60)
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)[:5]
    return f"{stem}.{ext}" if ext else stem


@dataclass
class ImageRef:
    name: str  # file name in the page folder, as the body refers to it
    source: Path | None  # the file to copy; None when it is not on disk
    original: str  # as written in the input (file name or URL)


def attach_image(images: list[ImageRef], found: Path, original: str) -> str:
    """The page-folder name of the image file ``found``, adding it to ``images`` once.

    The same file reached by two addresses (og:image and an ``<img>``, a resized copy's URL)
    is copied once; two different files with one name get ``-2``, ``-3`` ... suffixes.
    """
    same = next((i for i in images if i.source == found), None)
    if same is not None:
        return same.name
    safe = safe_media_name(found.name)
    stem, dot, ext = safe.rpartition(".")
    k = 2
    while any(i.name.lower() == safe.lower() for i in images):
        safe = f"{stem}-{k}{dot}{ext}"
        k += 1
    images.append(ImageRef(safe, found, original))
    return safe


@dataclass
class ImportedArticle:
    """One article as an importer read it; the writer turns it into a page."""

    source_name: str  # for the report and import.source_file: the input file (or export#post-id)
    sha256: str  # identity of the source: the same bytes are never imported twice
    title: str
    blocks: list[str]  # Markdown blocks of the body, in order
    lang: str | None = None  # None: from --lang or detected
    date: datetime | None = None  # aware
    date_text: str = ""  # the date as written in the source
    has_time: bool = True
    old_urls: list[str] = field(default_factory=list)
    template: str = "item"
    section: str | None = None  # None: the run's --section; "" : the top level of pages/
    slug: str | None = None  # None: from the title
    views: int | None = None
    lead_image: dict[str, str] = field(default_factory=dict)  # file, caption, credit
    dateline: dict[str, str] = field(default_factory=dict)  # city, agency, text
    related_candidates: list[dict[str, str]] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    description: str = ""
    published: bool = True
    publish_date: datetime | None = None
    images: list[ImageRef] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    import_extra: dict[str, Any] = field(default_factory=dict)
    summary_after: int | None = None  # the summary divider goes after this block
    identity: str | None = None  # another identity (a WordPress guid) that marks it as imported
    dated_folder: bool = True  # folder name YYYY-MM-DD-slug (articles) or just the slug (pages)


@dataclass
class Outcome:
    source: str
    status: str  # "imported" | "skipped" | "failed"
    page: str = ""  # pages/... (relative to the site folder)
    url: str = ""
    reason: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class Report:
    dry_run: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the whole run
    redirects_added: int = 0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def warnings(self) -> int:
        return sum(len(o.warnings) for o in self.outcomes) + len(self.notes)

    @property
    def exit_code(self) -> int:
        return 1 if self.count("failed") else 0

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        redirect_verb = "would add" if self.dry_run else "added"
        return (f"{verb} {self.count('imported')}, skipped {self.count('skipped')}, "
                f"failed {self.count('failed')}; {self.warnings} warning(s); "
                f"{redirect_verb} {self.redirects_added} redirect(s)" + (" (dry run: nothing written)" if self.dry_run else ""))

    def lines(self) -> list[str]:
        out: list[str] = []
        for o in self.outcomes:
            if o.status == "imported":
                verb = "would import" if self.dry_run else "imported"
                out.append(f"{verb}: {o.source} -> {o.page}  ({o.url})")
            elif o.status == "skipped":
                out.append(f"skipped: {o.source}: {o.reason}")
            else:
                out.append(f"failed: {o.reason}")
            out.extend(f"  warning: {w}" for w in o.warnings)
        out.extend(f"warning: {n}" for n in self.notes)
        return out


# ---------------------------------------------------------------------------------------


_IMPORT_BLOCK = re.compile(r"^import:[ \t]*\n((?:[ \t]+.*\n?)+)", re.M)
_HEADER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_PREFIX = re.compile(r"^\d+\.")


@dataclass
class _Known:
    """What is already in the site: imported sources, old URLs, folder names."""

    by_sha: dict[str, str] = field(default_factory=dict)
    by_url: dict[str, str] = field(default_factory=dict)
    by_identity: dict[str, str] = field(default_factory=dict)
    lang_of: dict[str, str] = field(default_factory=dict)  # page file -> language
    urls_of: dict[str, list[str]] = field(default_factory=dict)  # page file -> its old URLs

    @classmethod
    def scan(cls, user_dir: Path, languages) -> _Known:
        from ruamel.yaml import YAML

        known = cls()
        yaml = YAML(typ="safe", pure=False)
        pages = user_dir / "pages"
        for dirpath, dirnames, filenames in os.walk(pages):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if not name.endswith(".md"):
                    continue
                path = Path(dirpath) / name
                try:
                    with open(path, "rb") as fh:
                        head = fh.read(65536).decode("utf-8", errors="replace")
                except OSError:
                    continue
                if "\nimport:" not in head:
                    continue
                m = _HEADER.match(head)
                block = _IMPORT_BLOCK.search(m.group(1) + "\n") if m else None
                if not block:
                    continue
                try:
                    data = (yaml.load("import:\n" + block.group(1)) or {}).get("import") or {}
                except Exception:  # noqa: BLE001 — a hand-edited header; it is just not known as imported
                    continue
                if not isinstance(data, dict):
                    continue
                rel = path.relative_to(user_dir).as_posix()
                parts = name.split(".")
                known.lang_of[rel] = parts[-2] if len(parts) == 3 else ""
                if data.get("sha256"):
                    known.by_sha.setdefault(str(data["sha256"]), rel)
                urls = _as_list(data.get("old_url")) + _as_list(data.get("old_urls"))
                known.urls_of[rel] = urls
                for url in urls:
                    known.by_url.setdefault(_url_identity(url), rel)
                if data.get("id"):
                    known.by_identity.setdefault(str(data["id"]), rel)
        return known


def _as_list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)]


def _url_identity(url: str) -> str:
    """Old URLs compare without scheme, 'www.', trailing slash and letter case of the host."""
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = urllib.parse.unquote(parts.path).rstrip("/") or "/"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def _clean(value: str) -> str:
    return " ".join(str(value).split())


class _Quoted(str):
    """A value written single-quoted."""


def _quoted(value: Any) -> Any:
    """String values single-quoted (Grav style: nothing in a title can turn into YAML syntax)."""
    if isinstance(value, str):
        return _Quoted(_clean(value))
    if isinstance(value, dict):
        return {k: _quoted(v) for k, v in value.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_quoted(v) for v in value]
    return value


def grav_date(value: datetime, tz, *, with_time: bool = True) -> str:
    """``d-m-Y H:i`` in the site's time zone (how Grav pages write dates; read day first)."""
    local = value.astimezone(tz) if value.tzinfo else value
    return local.strftime("%d-%m-%Y %H:%M" if with_time else "%d-%m-%Y")


class ImportSession:
    """One run of an importer against one site (see the module doc)."""

    def __init__(
        self,
        site_path: str | os.PathLike,
        *,
        section: str = "news",
        dry_run: bool = False,
        lang: str = "auto",
        source_tz: str = "Asia/Almaty",
    ):
        try:
            self.user_dir = find_user_dir(site_path)
        except SiteError as err:
            raise ImportSetupError(str(err)) from None
        self.pages_dir = self.user_dir / "pages"
        self.config = load_config(self.user_dir)
        self.languages = self.config.languages
        self.site_tz = self.config.timezone
        from qalam.lang.dates import zone

        try:
            self.source_tz = zone(source_tz)
        except Exception:  # noqa: BLE001 — ZoneInfoNotFoundError or a malformed name
            raise ImportSetupError(f"unknown time zone {source_tz!r} (use an IANA name such as Asia/Almaty)") from None
        self.delimiter = str(self.config.get("site.summary.delimiter") or "===")
        try:
            self.furniture: Furniture = load_furniture(self.config)
        except FurnitureConfigError as err:
            raise ImportSetupError(str(err)) from None
        self.lang = (lang or "auto").strip()
        if self.lang != "auto" and self.languages.enabled and self.lang not in self.languages.supported:
            raise ImportSetupError(
                f"--lang {self.lang}: this site serves {', '.join(self.languages.supported)} "
                f"(config/system.yaml languages.supported); use one of them or auto"
            )
        self.section = section.strip().strip("/")
        self.dry_run = dry_run
        self.report = Report(dry_run=dry_run)
        try:
            self.redirects = RedirectBook(self.user_dir / "config")
        except RedirectError as err:
            raise ImportSetupError(str(err)) from None
        self.known = _Known.scan(self.user_dir, self.languages)
        self._taken: set[str] = set()  # folder paths (relative to pages/) planned in this run
        self._sections: dict[str, tuple[Path, str]] = {}
        self._created_sections: list[str] = []

    # --- sections ----------------------------------------------------------------------
    def _section(self, name: str) -> tuple[Path, str]:
        """(folder, route) of a section such as ``news`` or ``news/archive``; created when missing."""
        if name in self._sections:
            return self._sections[name]
        folder = self.pages_dir
        route = ""
        for seg in [s for s in name.split("/") if s]:
            if seg in (".", "..") or seg.startswith("."):
                raise ImportSetupError(f"--section {name!r}: not a usable folder name")
            match = None
            if folder.is_dir():
                for child in sorted(folder.iterdir()):
                    if child.is_dir() and _PREFIX.sub("", child.name).lower() == seg.lower():
                        match = child
                        break
            if match is None:
                match = folder / self._new_section_name(folder, seg)
                self._created_sections.append(match.relative_to(self.user_dir).as_posix())
            folder = match
            route += "/" + _PREFIX.sub("", match.name)
        self._sections[name] = (folder, route)
        return folder, route

    def _new_section_name(self, parent: Path, seg: str) -> str:
        numbers = [int(m.group(0)[:-1]) for c in (parent.iterdir() if parent.is_dir() else [])
                   if (m := _PREFIX.match(c.name))]
        slug = slugify(seg, max_length=40)
        return f"{(max(numbers) + 1) if numbers else 1:02d}.{slug}"

    def _ensure_section_folder(self, folder: Path) -> None:
        if folder.is_dir() or self.dry_run:
            return
        rel = folder.relative_to(self.user_dir).as_posix()
        folder.mkdir(parents=True, exist_ok=True)
        seg = _PREFIX.sub("", folder.name)
        lang = self.languages.default or "kk"
        title = SECTION_TITLES.get(seg, {}).get(lang) or seg.replace("-", " ").capitalize()
        listing = (
            "---\n"
            f"title: '{title.replace(chr(39), chr(39) * 2)}'\n"
            "content:\n"
            "  items: '@self.children'\n"
            "  order:\n"
            "    by: date\n"
            "    dir: desc\n"
            "  limit: 10\n"
            "  pagination: true\n"
            "---\n"
        )
        _atomic_write(folder / "blog.md", listing)
        self.report.notes.append(f"created the section {rel}/ with a listing page blog.md (title '{title}'); "
                                 "rename its folder number or title as you like")

    # --- articles ------------------------------------------------------------------------
    def fail(self, source: str, message: str) -> Outcome:
        outcome = Outcome(source, "failed", reason=message)
        self.report.outcomes.append(outcome)
        return outcome

    def skip(self, source: str, reason: str, warnings: list[str] | None = None) -> Outcome:
        outcome = Outcome(source, "skipped", reason=reason, warnings=list(warnings or []))
        self.report.outcomes.append(outcome)
        return outcome

    def _language(self, article: ImportedArticle) -> str:
        if self.lang != "auto":
            return self.lang
        if article.lang:
            return article.lang
        sample = article.title + "\n" + "\n".join(article.blocks)[:20000]
        return detect_language(sample, default=self.languages.default or "kk")

    def _already(self, article: ImportedArticle) -> str | None:
        for table, key, what in (
            (self.known.by_sha, article.sha256, "the same source"),
            (self.known.by_identity, article.identity, "the same post"),
        ):
            if key and key in table:
                return f"already imported ({what}) as {table[key]}"
        for url in article.old_urls:
            rel = self.known.by_url.get(_url_identity(url))
            if rel:
                return f"already imported from the same old URL {url} as {rel}"
        return None

    def add(self, article: ImportedArticle) -> Outcome:
        """Write (or, in a dry run, plan) one article; never raises for a bad article."""
        source = article.source_name
        warnings = list(article.warnings)
        done = self._already(article)
        if done:
            rel = done.rsplit(" as ", 1)[-1]
            self._repair_redirects(article, rel)
            return self.skip(source, done, warnings)
        if not article.title.strip():
            return self.fail(source, f"{source}: no title (headline) found; nothing imported for it")
        if not any(b.strip() for b in article.blocks):
            return self.fail(source, f"{source}: no article text found (only page furniture or nothing at all)")
        lang = self._language(article)
        if self.languages.enabled and lang not in self.languages.supported:
            return self.fail(
                source,
                f"{source}: the article is in '{lang}', which this site does not serve "
                f"({', '.join(self.languages.supported)}); add it to languages.supported in config/system.yaml "
                f"or pass --lang",
            )
        section_name = self.section if article.section is None else article.section
        section_dir, section_route = self._section(section_name) if section_name else (self.pages_dir, "")
        slug = slugify(article.slug or article.title, lang, max_length=80)
        local_date = article.date.astimezone(self.site_tz) if article.date and article.date.tzinfo else article.date
        base = f"{local_date:%Y-%m-%d}-{slug}" if local_date and article.dated_folder else slug
        folder_name = base
        n = 2
        while (section_dir / folder_name).exists() or self._rel(section_dir / folder_name) in self._taken:
            folder_name = f"{base}-{n}"
            n += 1
        folder = section_dir / folder_name
        folder_rel = self._rel(folder)
        self._taken.add(folder_rel)
        filename = f"{article.template}.{lang}.md" if self.languages.enabled else f"{article.template}.md"
        route = f"{section_route}/{folder_name}"
        page_rel = f"pages/{folder_rel}/{filename}"
        url = self.languages.prefix(lang) + route

        # Images: copy what is on disk, warn about the rest.
        copies: list[tuple[Path, str]] = []
        for image in article.images:
            if image.source is None:
                warnings.append(f"image missing: {image.original} (not found beside {source}); the page shows a "
                                f"broken image until you put the file into {self._rel(folder, user=True)}/ as {image.name}")
                continue
            copies.append((image.source, image.name))

        text = self.page_text(article, lang, folder_rel)
        outcome = Outcome(source, "imported", page=page_rel, url=url, warnings=warnings)
        if not self.dry_run:
            try:
                self._ensure_section_folder(section_dir)
                _write_page_folder(folder, filename, text, copies)
            except OSError as err:
                self._taken.discard(folder_rel)
                return self.fail(source, f"{source}: could not write {page_rel}: {err.strerror or err}; nothing was written")
        # Remember it, so a duplicate later in this run is skipped too.
        self.known.by_sha.setdefault(article.sha256, page_rel)
        if article.identity:
            self.known.by_identity.setdefault(article.identity, page_rel)
        self.known.urls_of[page_rel] = list(article.old_urls)
        for u in article.old_urls:
            self.known.by_url.setdefault(_url_identity(u), page_rel)
        self._record_redirects(article.old_urls, route, lang, outcome.warnings)
        self.report.outcomes.append(outcome)
        return outcome

    def _rel(self, folder: Path, *, user: bool = False) -> str:
        return folder.relative_to(self.user_dir if user else self.pages_dir).as_posix()

    def _record_redirects(self, old_urls: list[str], route: str, lang: str, warnings: list[str]) -> None:
        for url in old_urls:
            key, why = redirect_key(url, self.languages)
            if key is None:
                warnings.append(why)
                continue
            if key.lower() == route.lower():
                continue  # the old URL is the new one
            result = self.redirects.add(key, redirect_target(route, lang, self.languages))
            if result not in ("added", "present"):
                warnings.append(result)

    def already_imported(self, sha256: str) -> bool:
        """Whether a source with these bytes is in the site (readers skip parsing it again)."""
        return sha256 in self.known.by_sha

    def _repair_redirects(self, article: ImportedArticle, page_rel: str) -> None:
        """An article imported before: make sure its old URLs redirect (an interrupted run may have missed that)."""
        old_urls = article.old_urls or self.known.urls_of.get(page_rel, [])
        if not old_urls or not page_rel.startswith("pages/"):
            return
        parts = page_rel[len("pages/"):].split("/")
        route = "/" + "/".join(_PREFIX.sub("", p) for p in parts[:-1])
        name = parts[-1].split(".")
        lang = name[-2] if len(name) == 3 else (self.languages.default or "")
        for url in old_urls:
            key, _why = redirect_key(url, self.languages)
            if key and key.lower() != route.lower() and self.redirects.lookup(key) is None:
                self.redirects.add(key, redirect_target(route, lang, self.languages))

    # --- the page file ---------------------------------------------------------------------
    def front_matter(self, article: ImportedArticle, lang: str) -> dict[str, Any]:
        fm: dict[str, Any] = {"title": article.title}
        if article.date is not None:
            fm["date"] = grav_date(article.date, self.site_tz, with_time=article.has_time)
        if not article.published:
            fm["published"] = False
        if article.publish_date is not None:
            fm["publish_date"] = grav_date(article.publish_date, self.site_tz)
        if article.authors:
            fm["authors"] = list(article.authors)
        taxonomy = {}
        if article.categories:
            taxonomy["category"] = list(dict.fromkeys(article.categories))
        if article.tags:
            taxonomy["tag"] = list(dict.fromkeys(article.tags))
        if taxonomy:
            fm["taxonomy"] = taxonomy
        if article.views is not None:
            fm["views"] = int(article.views)
        lead = {k: v for k, v in article.lead_image.items() if v}
        if lead:
            fm["lead_image"] = lead
        dateline = {k: v for k, v in article.dateline.items() if v and k in ("city", "agency")}
        if dateline:
            fm["dateline"] = dateline
        if article.description:
            fm["metadata"] = {"description": article.description}
        if article.related_candidates:
            fm["related_candidates"] = [dict(c) for c in article.related_candidates]
        imp: dict[str, Any] = {"source_file": article.source_name, "sha256": article.sha256}
        if article.date is not None:
            # The moment as an ISO date with its offset, in the site's time zone (the zone of `date`).
            moment = article.date.astimezone(self.site_tz) if article.date.tzinfo else article.date
            imp["date"] = moment.isoformat(timespec="minutes") if article.has_time else moment.date().isoformat()
        if article.date_text:
            imp["date_text"] = article.date_text
        if article.old_urls:
            imp["old_url"] = article.old_urls[0]
            if len(article.old_urls) > 1:
                imp["old_urls"] = list(article.old_urls[1:])
        if article.dateline.get("text"):
            imp["dateline_text"] = article.dateline["text"]
        imp.update({k: v for k, v in article.import_extra.items() if v not in (None, "", [], {})})
        imp.pop("trusted", None)  # only an editor can say so (docs/security.md)
        fm["import"] = imp
        # Imported text is untrusted: never run as Twig, in Qalam (which also honours the import
        # block itself) or in Grav (which honours this).
        fm["process"] = {"markdown": True, "twig": False}
        return fm

    def page_text(self, article: ImportedArticle, lang: str, folder_rel: str) -> str:
        from io import StringIO

        buf = StringIO()
        _front_matter_yaml().dump(_quoted(self.front_matter(article, lang)), buf)
        blocks = [b.strip("\n") for b in article.blocks if b.strip()]
        if article.summary_after is not None and 0 <= article.summary_after < len(blocks) - 1:
            blocks.insert(article.summary_after + 1, self.delimiter)
        body = "\n\n".join(blocks)
        if MEDIA in body:
            media_url = "/user/pages/" + urllib.parse.quote(folder_rel) + "/"
            body = body.replace(f'src="{MEDIA}', f'src="{media_url}')
        return f"---\n{buf.getvalue()}---\n\n{body}\n"

    # --- the end -------------------------------------------------------------------------------
    def finish(self) -> Report:
        """Write the redirects (unless dry run) and return the report."""
        if self.redirects.added:
            self.report.redirects_added = len(self.redirects.added)
            if not self.dry_run:
                try:
                    self.redirects.save()
                except OSError as err:
                    self.report.notes.append(f"could not update config/site.yaml: {err}; the pages were written, "
                                             "run the same import again to add their redirects")
                    self.report.redirects_added = 0
        if self._created_sections and self.dry_run:
            for rel in dict.fromkeys(self._created_sections):
                self.report.notes.append(f"would create the section {rel}/ with a listing page blog.md")
        return self.report


_YAML = None


def _front_matter_yaml():
    """ruamel.yaml with the C emitter: block style, Unicode as is, string values single-quoted."""
    global _YAML
    if _YAML is None:
        from ruamel.yaml import YAML

        yaml = YAML(typ="safe", pure=False)
        yaml.default_flow_style = False
        yaml.allow_unicode = True
        yaml.width = 4096
        yaml.sort_base_mapping_type_on_output = False
        yaml.representer.add_representer(
            _Quoted, lambda rep, data: rep.represent_scalar("tag:yaml.org,2002:str", str(data), style="'")
        )
        _YAML = yaml
    return _YAML


def _atomic_write(path: Path, text: str) -> None:
    from qalam.content.files import atomic_write_text

    atomic_write_text(path, text)


def copy_image(src: Path, dst: Path) -> None:
    """Copy an image into a new page folder: regular files only, never blocking (the image was
    checked when found; safefs checks again as it reads, so a file swapped for a FIFO or a link
    meanwhile is refused)."""
    from qalam.content.safefs import read_bytes as safe_read

    data = safe_read(src, os.path.dirname(os.path.realpath(src)), max_bytes=MAX_IMAGE_BYTES)
    with open(dst, "wb") as fh:
        fh.write(data)


def _write_page_folder(folder: Path, filename: str, text: str, copies: list[tuple[Path, str]]) -> None:
    """Everything in a hidden temporary folder first, then one rename (see the module doc)."""
    if folder.exists():
        raise FileExistsError(17, "the folder exists already", str(folder))
    tmp = Path(tempfile.mkdtemp(prefix=".qalam-import-", dir=folder.parent))
    try:
        with open(tmp / filename, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        for src, name in copies:
            copy_image(src, tmp / name)
        os.chmod(tmp, 0o755)
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def run_import(
    session: ImportSession,
    sources: list[Any],
    read: Callable[[Any, ImportSession], ImportedArticle | list[ImportedArticle]],
    *,
    name: Callable[[Any], str] = str,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Read every source with ``read`` (which raises ImportProblem for a bad one) and add what it gives."""
    from .source import ImportProblem

    total = len(sources)
    try:
        for i, src in enumerate(sources, 1):
            try:
                result = read(src, session)
            except ImportProblem as err:
                session.fail(name(src), str(err))
            except Exception as err:  # noqa: BLE001 — one unreadable input never stops the others
                session.fail(name(src), f"{name(src)}: could not be read ({type(err).__name__}: {err}); "
                                        "nothing was written for it")
            else:
                for article in result if isinstance(result, list) else [result]:
                    try:
                        session.add(article)
                    except Exception as err:  # noqa: BLE001 — as above
                        session.fail(article.source_name, f"{article.source_name}: could not be imported "
                                                          f"({type(err).__name__}: {err}); nothing was written for it")
            if progress is not None:
                progress(i, total)
    except KeyboardInterrupt:
        # The pages written so far are complete; give them their redirects before stopping.
        session.report.notes.append("interrupted: the articles imported so far are complete; run the same "
                                    "import again to import the rest")
        session.finish()
        raise
    return session.finish()
