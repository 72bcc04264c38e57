"""The newsroom's work on pages: who may do what, and every change as a file write plus a commit.

This is the one place the editor (web/editor/) and the content API (web/api.py) go through, so
the rules are the same for both and are enforced on the server. No Django here: the caller says
who is acting (:class:`Actor`) and receives the audit entries through a callback.

Workflow state lives in the page header, in Grav's fields (``published``, ``publish_date``,
``unpublish_date``, which Grav honours too) and Qalam's (``status: draft|review|published``,
``owner``, ``reviewer``, ``review_note``). See docs/editor.md.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from qalam.content.files import atomic_write_bytes

from . import documents
from .documents import DocumentError, PageDoc
from .gitstore import GitStore, Version

ROLES = ("author", "editor", "admin")
#: Header keys only an editor or admin sets; an author's save keeps what the page has.
EDITORIAL_KEYS = ("status", "published", "publish_date", "unpublish_date", "owner", "reviewer", "review_note",
                  "featured")


@dataclass(frozen=True)
class Actor:
    """Who is acting: an account's name, display name, email and role."""

    username: str
    name: str
    email: str
    role: str

    @property
    def editor(self) -> bool:
        return self.role in ("editor", "admin")


class Forbidden(PermissionError):
    """The actor's role does not allow this."""


class NotFound(LookupError):
    """No page with this language and route."""


class PreconditionRequired(Exception):
    """A change of an existing page without the version it was based on (If-Match)."""


class Conflict(Exception):
    """The page changed since the version the change was based on."""

    def __init__(self, current: PageDoc):
        super().__init__("the page was changed by someone else since you opened it")
        self.current = current


class Newsroom:
    """The workflow of one site. Get it with :func:`for_site`."""

    def __init__(self, site, audit: Callable[[Actor, str, str, str], None] | None = None):
        self.site = site
        self.git = GitStore(site.user_dir, site.state_dir)
        self.audit = audit or (lambda actor, action, target, detail: None)

    # --- reading -----------------------------------------------------------------------------
    def get(self, lang: str, route: str) -> PageDoc:
        code = documents.site_lang(self.site, lang)
        doc = documents.read(self.site, code, documents.normal_route(route))
        if doc is None:
            raise NotFound(f"no page {route} in {lang}")
        return doc

    def _writable(self, doc: PageDoc) -> PageDoc:
        if doc.error:
            raise DocumentError("header", f"the page's header cannot be read ({doc.error}); fix "
                                          f"pages/{doc.path.relative_to(self.site.pages_dir).as_posix()} first "
                                          "(`qalam check` shows the problem)")
        return doc

    def pages(self, lang: str | None = None, status: str | None = None, q: str | None = None,
              owner: str | None = None) -> list[PageDoc]:
        """Every page with its own file, newest first, filtered (for dashboards and the list API)."""
        out: list[PageDoc] = []
        codes = [documents.site_lang(self.site, lang)] if lang else self.site.language_codes
        needle = (q or "").casefold().strip()
        for code in codes:
            for page in self.site.tree(code).iter_pages():
                if not page.filename or (page.file_lang or "") != code or page.is_module:
                    continue
                header = page.header
                if status and documents.status_of(header) != status:
                    continue
                if owner and header.get("owner") != owner:
                    continue
                if needle and needle not in str(page.title).casefold() and needle not in page.route:
                    continue
                out.append(_light_doc(self.site, page, code))
        out.sort(key=lambda d: d.header.get("_sort", ""), reverse=True)
        return out

    # --- permissions ----------------------------------------------------------------------------
    def may_edit(self, actor: Actor, doc: PageDoc) -> bool:
        if actor.editor:
            return True
        return (actor.role == "author" and doc.header.get("owner") == actor.username
                and doc.status in ("draft", "review"))

    def may_read(self, actor: Actor, doc: PageDoc) -> bool:
        """Editors read everything; authors read published pages and their own."""
        return actor.editor or doc.status == "published" or doc.header.get("owner") == actor.username

    def _require(self, allowed: bool, message: str) -> None:
        if not allowed:
            raise Forbidden(message)

    # --- changes --------------------------------------------------------------------------------
    def create(self, actor: Actor, lang: str, route: str, template: str, header: dict, body: str) -> PageDoc:
        self._require(actor.role in ROLES, "only newsroom accounts write pages")
        code = documents.site_lang(self.site, lang)
        route = documents.normal_route(route)
        header = dict(header or {})
        if not actor.editor:
            for key in EDITORIAL_KEYS:
                header.pop(key, None)
        header.setdefault("title", route.rsplit("/", 1)[-1])
        header["owner"] = header.get("owner") or actor.username
        if "status" not in header:
            header["status"] = "draft"
        if header["status"] not in documents.STATUSES:
            raise DocumentError("header.status", f"use one of {', '.join(documents.STATUSES)}")
        header["published"] = header["status"] == "published"
        _check_lead_photo(header, {})
        with self._writing():
            path = documents.path_for_new(self.site, code, route, template)
            new_folder = not path.parent.exists()
            self._write(path, header, body)
            if new_folder:
                self.site.add_page_folder(path.parent)  # in place: no walk over every folder
            else:
                self.site.refresh()  # a translation beside another language's file
            self.git.commit([path], f"Create {route} ({documents.public_lang(self.site, code)}): {header['title']}",
                            name=actor.name, email=actor.email)
        self.audit(actor, "create", self._target(code, route), header["status"])
        return self.get(documents.public_lang(self.site, code), route)

    def update(self, actor: Actor, lang: str, route: str, header: dict, body: str, if_match: str | None,
               *, message: str | None = None) -> PageDoc:
        doc = self._writable(self.get(lang, route))
        self._require(self.may_edit(actor, doc), "you may edit only your own drafts; an editor can edit this page")
        if not if_match:
            raise PreconditionRequired("send the version you edited (If-Match: <ETag>)")
        if if_match.strip() not in (doc.etag, "W/" + doc.etag):
            raise Conflict(doc)
        header = dict(header or {})
        if not actor.editor:
            changed = [k for k in EDITORIAL_KEYS if header.get(k) != doc.header.get(k)]
            if changed:
                raise Forbidden(f"only an editor changes {', '.join(changed)}")
        _check_lead_photo(header, doc.header)
        with self._writing():
            current = self.get(lang, route)  # under the lock: nobody wrote in between
            if current.etag != doc.etag:
                raise Conflict(current)
            self._write(doc.path, header, body)
            self.git.commit([doc.path], message or f"Edit {doc.route} ({lang}): {header.get('title', '')}",
                            name=actor.name, email=actor.email)
        self.audit(actor, "edit", self._target(doc.lang, doc.route), "")
        return self.get(lang, doc.route)

    def submit(self, actor: Actor, lang: str, route: str, note: str = "") -> PageDoc:
        doc = self.get(lang, route)
        self._require(self.may_edit(actor, doc), "you may submit only your own drafts")
        if doc.status == "published":
            raise Forbidden("the page is published already")
        return self._transition(actor, doc, "submit", {"status": "review", "published": False,
                                                       **({"review_note": note} if note else {})},
                                f"Submit {doc.route} ({lang}) for review")

    def publish(self, actor: Actor, lang: str, route: str, at: datetime | None = None) -> PageDoc:
        self._require(actor.editor, "only an editor or an admin publishes")
        doc = self.get(lang, route)
        changes: dict = {"status": "published", "published": True, "reviewer": actor.username}
        now = self.site.now()
        if at is not None and at > now:
            # Grav applies publish_date only to a header without `published` (which would win).
            changes["published"] = None
            changes["publish_date"] = _grav_date(at, self.site.tz)
            what = f"Schedule {doc.route} ({lang}) for {changes['publish_date']}"
        else:
            changes["publish_date"] = None
            what = f"Publish {doc.route} ({lang})"
        if "date" not in doc.header:
            changes["date"] = _grav_date(at if at is not None and at > now else now, self.site.tz)
        changes["review_note"] = None
        return self._transition(actor, doc, "schedule" if "Schedule" in what else "publish", changes, what)

    def unpublish(self, actor: Actor, lang: str, route: str) -> PageDoc:
        self._require(actor.editor, "only an editor or an admin unpublishes")
        doc = self.get(lang, route)
        return self._transition(actor, doc, "unpublish", {"status": "draft", "published": False, "publish_date": None},
                                f"Unpublish {doc.route} ({lang})")

    def send_back(self, actor: Actor, lang: str, route: str, note: str) -> PageDoc:
        """An editor returns a page in review to its author, with a note."""
        self._require(actor.editor, "only an editor or an admin reviews")
        doc = self.get(lang, route)
        return self._transition(actor, doc, "send back", {"status": "draft", "published": False,
                                                          "review_note": note or None, "reviewer": actor.username},
                                f"Send {doc.route} ({lang}) back to its author")

    def history(self, actor: Actor, lang: str, route: str) -> list[Version]:
        doc = self.get(lang, route)
        return self.git.log(doc.path)

    def version(self, lang: str, route: str, version: str) -> PageDoc:
        doc = self.get(lang, route)
        raw = self.git.show(version, doc.path)
        if raw is None:
            raise NotFound(f"{route} has no version {version}")
        from qalam.content.frontmatter import parse_page_text

        source = parse_page_text(raw.decode("utf-8", "replace"))
        error = None
        if source.error is not None:
            error = source.error.get("message") if isinstance(source.error, dict) else str(source.error)
        return PageDoc(doc.lang, doc.route, doc.template, source.header if error is None else {}, source.body,
                       doc.path, raw, error=error)

    def restore(self, actor: Actor, lang: str, route: str, version: str) -> PageDoc:
        self._require(actor.editor, "only an editor or an admin restores versions")
        old = self._writable(self.version(lang, route, version))
        current = self.get(lang, route)
        # The text comes back; the workflow stays as it is now (restoring the words of a
        # published article does not take it off the site, nor publish a draft).
        header = {k: v for k, v in old.header.items() if k not in EDITORIAL_KEYS}
        header.update({k: v for k, v in current.header.items() if k in EDITORIAL_KEYS})
        with self._writing():
            self._write(old.path, header, old.body)
            self.git.commit([old.path], f"Restore {old.route} ({lang}) to version {version[:10]}",
                            name=actor.name, email=actor.email)
        self.audit(actor, "restore", self._target(old.lang, old.route), version)
        return self.get(lang, route)

    def upload(self, actor: Actor, lang: str, route: str, filename: str, data: bytes) -> StoredMedia:
        """An image checked by :func:`qalam.newsroom.media.check_upload`, written beside the page
        (a new name when one is taken: nothing is overwritten) and committed."""
        from .media import check_upload

        doc = self.get(lang, route)
        self._require(self.may_edit(actor, doc), "you may add images only to pages you may edit")
        image = check_upload(data, filename)
        with self._writing():
            folder = doc.path.parent
            stem, _, ext = image.name.rpartition(".")
            name, n = image.name, 1
            while (folder / name).exists() or (folder / name).is_symlink():
                n += 1
                name = f"{stem}-{n}.{ext}"
            atomic_write_bytes(folder / name, image.data)
            self.site.add_media_file(folder / name)
            self.git.commit([folder / name], f"Add image {name} to {doc.route}", name=actor.name, email=actor.email)
        return StoredMedia(name, f"{documents.site_url(self.site, doc.lang, doc.route)}/{name}", image.width, image.height, image.format,
                           image.gps_removed)

    # --- internals ------------------------------------------------------------------------------
    def _transition(self, actor: Actor, doc: PageDoc, action: str, changes: dict, message: str) -> PageDoc:
        with self._writing():
            current = self._writable(self.get(documents.public_lang(self.site, doc.lang), doc.route))
            header = dict(current.header)
            for key, value in changes.items():
                if value is None:
                    header.pop(key, None)
                else:
                    header[key] = value
            self._write(current.path, header, current.body)
            self.git.commit([current.path], message, name=actor.name, email=actor.email)
        self.audit(actor, action, self._target(doc.lang, doc.route), str(changes.get("publish_date") or ""))
        return self.get(documents.public_lang(self.site, doc.lang), doc.route)

    def _writing(self):
        """The repository exists (created before the first write, so the first change is a commit
        of its own) and this process is the one writer."""
        self.git.ensure()
        return self.git.locked()

    def _write(self, path: Path, header: dict, body: str) -> None:
        data = documents.page_text(header, body).encode("utf-8")
        limit = self.site.config.max_page_bytes
        if len(data) > limit:
            raise DocumentError("body", f"the page is {len(data)} bytes; the site's limit is {limit} (qalam.max_page_bytes)")
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
        if existed:
            # The site reads it at once, before the commit: readers see the save sooner, and the
            # file watcher (200 ms later) finds the site already current instead of walking
            # every folder again.
            self._refresh(path)

    def _refresh(self, path: Path) -> None:
        self.site.refresh_changed([path])

    def _target(self, code: str, route: str) -> str:
        return f"{documents.public_lang(self.site, code)}:{route}"


@dataclass(frozen=True)
class StoredMedia:
    name: str
    url: str
    width: int
    height: int
    format: str
    gps_removed: bool


def _check_lead_photo(header: dict, before: dict) -> None:
    """A new or changed lead photo needs its photographer's credit (docs/content-fields.md)."""
    lead = header.get("lead_image")
    if not isinstance(lead, dict) or not lead.get("file"):
        return
    old = before.get("lead_image") if isinstance(before.get("lead_image"), dict) else {}
    if lead.get("file") == old.get("file"):
        return
    if not str(lead.get("credit") or header.get("photo_credit") or "").strip():
        raise DocumentError("header.lead_image.credit", "a lead photo needs its credit (who took it)")


def _grav_date(value: datetime, tz) -> str:
    """``d-m-Y H:i`` in the site's time zone: how Grav pages write dates (read day first)."""
    return value.astimezone(tz).strftime("%d-%m-%Y %H:%M")


def _light_doc(site, page, code: str) -> PageDoc:
    """A list entry: the indexed header, no file read (the list API and dashboards)."""
    header = dict(page.header)
    # Dated pages newest first, then the undated ones (sections, "About"), whose file time says nothing.
    header["_sort"] = page.date_from_header.isoformat() if page.date_from_header else ""
    return PageDoc(code, page.route, (page.filename or "default").split(".", 1)[0], header, "",
                   site.pages_dir / page.file_rel, b"")


_rooms: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_rooms_lock = threading.Lock()


def for_site(site, audit: Callable | None = None) -> Newsroom:
    with _rooms_lock:
        room = _rooms.get(site)
        if room is None:
            room = _rooms[site] = Newsroom(site, audit)
        elif audit is not None:
            room.audit = audit
        return room


# --- site settings (admin) ------------------------------------------------------------------------------
#: The settings of ``config/site.yaml`` the editor offers to admins (dotted keys).
SITE_SETTINGS = ("title", "metadata.description", "author.name", "author.email")


def site_settings(site) -> dict[str, str]:
    from qalam.content.config import dotted_get

    return {key: str(dotted_get(site.config.get("site") or {}, key, "") or "") for key in SITE_SETTINGS}


def save_site_settings(room: Newsroom, actor: Actor, values: dict[str, str]) -> None:
    """Write the settings into ``config/site.yaml`` (comments and every other key kept), commit it."""
    import io

    from ruamel.yaml import YAML

    if actor.role != "admin":
        raise Forbidden("only an admin changes the site's settings")
    if not str(values.get("title") or "").strip():
        raise DocumentError("title", "the site needs a name")
    path = room.site.user_dir / "config" / "site.yaml"
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.allow_unicode = True
    with room._writing():
        data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
        if data is None:
            data = {}
        for key in SITE_SETTINGS:
            value = str(values.get(key) or "").strip()
            node = data
            parts = key.split(".")
            for part in parts[:-1]:
                if not isinstance(node.get(part), dict):
                    node[part] = {}
                node = node[part]
            if value:
                node[parts[-1]] = value
            else:
                node.pop(parts[-1], None)
        buf = io.StringIO()
        yaml.dump(data, buf)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buf.getvalue().encode("utf-8"))
        room.site.refresh()
        room.git.commit([path], "Change the site's settings", name=actor.name, email=actor.email)
    room.audit(actor, "settings", "config/site.yaml", ", ".join(k for k in SITE_SETTINGS if values.get(k)))
