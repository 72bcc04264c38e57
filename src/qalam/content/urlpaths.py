"""URL and output-path safety: the one place that decides whether a slug, a route, a redirect
target or a file path written by the static export is safe (docs/security.md).

* :func:`slug_problem` / :func:`route_problem` — what a page header (``slug``, ``routes:``) or the
  config (``home.alias``, ``site.routes``, ``site.redirects``) may name. A page whose slug or route
  fails is reported by ``qalam check`` and is neither served nor exported.
* :func:`local_location` — every redirect Qalam derives from a request goes to a path on the same
  site: ``//evil.example``, ``/\\evil.example`` and ``/%2F%2Fevil.example`` become one-slash paths.
* :class:`OutputFolder` — every file the export writes or deletes is proven to lie inside the
  output folder, after normalisation and on the real file system (no ``..``, no link out).

Pure Python, no Django.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import urllib.parse
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DOT_SEGMENT = {".", ".."}


class PathEscape(ValueError):
    """A path that would leave the folder it must stay in."""


def _segments(path: str) -> list[str]:
    return path.replace("\\", "/").split("/")


def _decoded(text: str) -> str:
    """``text`` percent-decoded until it no longer changes (``%252e`` is ``%2e`` is ``.``)."""
    for _ in range(4):
        decoded = urllib.parse.unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot be a page's slug (one URL segment), or None."""
    text = _decoded(str(slug))
    if _CONTROL.search(text):
        return "contains a control character"
    if "/" in text or "\\" in text:
        return "contains a slash; a slug is one segment of the URL (use `routes:` for another path)"
    if text.strip() in _DOT_SEGMENT:
        return f"is {text.strip()!r}, which names a folder above the page"
    return None


def route_problem(route: str) -> str | None:
    """Why ``route`` (a site path such as ``/news/item``) is not safe to serve or write, or None."""
    text = _decoded(str(route))
    if _CONTROL.search(text):
        return "contains a control character"
    if "\\" in text:
        return "contains a backslash"
    if any(seg.strip() in _DOT_SEGMENT for seg in _segments(text)):
        return "has a '.' or '..' segment (it would name a folder above the site)"
    if text.startswith("//"):
        return "starts with '//', which browsers read as another site's address"
    return None


def local_location(location: str) -> str:
    """A redirect target taken from a request: always a path on this site.

    Leading slashes and backslashes collapse to one slash (``//evil.example`` and ``/\\evil``
    are other hosts to a browser), a scheme or host is dropped, control characters removed.
    """
    text = _CONTROL.sub("", str(location)).replace("\\", "/")
    if re.match(r"^[a-z][a-z0-9+.-]*:", text, re.I) and not text.startswith("/"):
        parts = urllib.parse.urlsplit(text)  # an absolute address: keep only its path and query
        text = (parts.path or "/") + (("?" + parts.query) if parts.query else "")
    path, sep, query = text.partition("?")
    path = "/" + path.lstrip("/")
    # An encoded slash at the start would decode to another host on some proxies.
    while path.lower().startswith(("/%2f", "/%5c")):
        path = "/" + path[4:].lstrip("/")
    return path + sep + query


def is_local(location: str) -> bool:
    """Whether a redirect target is a path on this site (not another host)."""
    text = str(location)
    if _CONTROL.search(text) or "\\" in text:
        return False
    return text.startswith("/") and not text.startswith("//") and not text.lower().startswith(("/%2f", "/%5c"))


def normalise_rel(name: str) -> str:
    """A relative output path, normalised; :class:`PathEscape` if it leaves its folder."""
    text = str(name)
    if "\x00" in text or "\\" in text:
        raise PathEscape(f"{name!r}: a NUL byte or a backslash in an output path")
    if text.startswith("/"):
        raise PathEscape(f"{name!r}: an absolute output path")
    norm = posixpath.normpath(text)
    if norm in ("", ".") or norm == ".." or norm.startswith("../") or any(s == ".." for s in norm.split("/")):
        raise PathEscape(f"{name!r}: leaves the output folder")
    return norm


class OutputFolder:
    """Writes and deletes below one folder, each proven to stay in it on the real file system.

    A folder on the way that is a symbolic link (to anywhere) is refused rather than followed,
    and a file is written by rename, so a link at the target's place is replaced, never written
    through.
    """

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.real = os.path.realpath(root)
        self._dirs: set[str] = {""}
        #: Folders this object created (empty then): a file in one cannot exist yet.
        self._fresh: set[str] = set()

    def path(self, name: str) -> Path:
        """The path of ``name`` below the folder (normalised and checked, nothing created)."""
        return self.root / normalise_rel(name)

    def _ensure_dir(self, rel_dir: str) -> None:
        """Create ``rel_dir`` below the root, each segment checked with ``lstat`` to be a real
        folder (a link is refused, never followed), so the whole chain is proven to stay inside
        without resolving the path again."""
        if rel_dir in self._dirs:
            return
        current = self.root
        built = ""
        for seg in rel_dir.split("/"):
            built = f"{built}/{seg}" if built else seg
            current = current / seg
            if built in self._dirs:
                continue
            try:
                os.mkdir(current)
            except FileExistsError:
                st = os.lstat(current)
                if not stat.S_ISDIR(st.st_mode):
                    raise PathEscape(f"{built}: not a folder (a link or a file) in the output; remove it") from None
            else:
                self._fresh.add(built)  # made by this call: no link can stand in it
            self._dirs.add(built)

    def write(self, name: str, data: bytes) -> Path:
        rel = normalise_rel(name)
        folder, _, base = rel.rpartition("/")
        self._ensure_dir(folder) if folder else None
        target = self.root / rel
        nofollow = getattr(os, "O_NOFOLLOW", 0)
        if folder in self._fresh:
            # A folder this build created holds only what it wrote: the file is new, so it is
            # created exclusively in place (a crash leaves a file the manifest does not list,
            # which the next build writes again).
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow, 0o644)
            except FileExistsError:
                pass  # written already (two names for one file): replace it below
            else:
                try:
                    _write_all(fd, data)
                finally:
                    os.close(fd)
                return target
        tmp = target.with_name(f".{base}.qalam-tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | nofollow, 0o644)
        try:
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return target

    def remove(self, name: str) -> bool:
        """Delete a file this folder holds (a name from an old manifest is untrusted); then the
        folders it leaves empty, never the output folder itself or anything above it."""
        rel = normalise_rel(name)
        target = self.root / rel
        if not _inside(os.path.realpath(target.parent), self.real):
            raise PathEscape(f"{name}: leaves the output folder")
        try:
            st = os.lstat(target)
        except FileNotFoundError:
            return False
        if stat.S_ISDIR(st.st_mode):
            return False
        os.unlink(target)  # a link is removed itself, never what it points at
        folder = target.parent
        while folder != self.root and _inside(os.path.realpath(folder), self.real):
            try:
                os.rmdir(folder)
            except OSError:
                break
            rel_folder = folder.relative_to(self.root).as_posix()
            self._dirs.discard(rel_folder)
            self._fresh.discard(rel_folder)
            folder = folder.parent
        return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _inside(path: str, root_real: str) -> bool:
    return path == root_real or path.startswith(root_real.rstrip(os.sep) + os.sep)


__all__ = ["PathEscape", "slug_problem", "route_problem", "local_location", "is_local", "normalise_rel",
           "OutputFolder"]


# --- absolute URLs ------------------------------------------------------------------------------
#: What Django's iri_to_uri leaves as it is (RFC 3987 section 3.1): reserved and unreserved
#: characters and percent escapes; everything else (Cyrillic, spaces ...) is percent-encoded.
_URI_SAFE = "/#%[]=:;$&()+,!?*@'~"


def iri_to_uri(iri: str) -> str:
    return urllib.parse.quote(iri, safe=_URI_SAFE)


def origin(site, request) -> str:
    """Scheme and host (no trailing slash) of every absolute URL in a response to ``request``."""
    base = site.config.base_url
    if base:
        return base
    return f"{request.scheme}://{request.get_host()}"


def absolute_url(base: str, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return iri_to_uri(path)
    return iri_to_uri(base + (path if path.startswith("/") else "/" + path))


def absolute_for(site, request):
    """``path -> absolute URL`` for templates (what ``request.build_absolute_uri`` was, minus the Host)."""
    base = origin(site, request)
    return lambda path: absolute_url(base, path)
