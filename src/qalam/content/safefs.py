"""The one way Qalam opens files it did not write: regular files only, inside a root, never blocking.

Every reader of a site's files (the folder scan, the page index, config, UI strings, media,
the importers and the watcher through them) goes through this module (docs/security.md):

* the path is resolved (symbolic links followed) and must lie inside ``root`` — a page that is
  a link to ``/etc/passwd`` or ``/proc/self/environ`` is refused, not read;
* it must be a regular file: a FIFO would block the reader forever, a device (``/dev/zero``)
  never ends, a socket cannot be read — each is refused before it is opened;
* it is opened with ``O_NONBLOCK | O_NOFOLLOW`` and checked again with ``fstat`` on the open
  descriptor, so a file swapped for a FIFO or a link between the check and the open is refused
  too, never waited on;
* at most ``max_bytes`` are read; a bigger file is refused with its size and the limit.

Refusals raise :class:`UnsafeFile` (an ``OSError``, so callers that already report "cannot read"
keep working) whose ``reason`` says what is wrong and ``hint`` how to fix it.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat

#: Largest page file read by default (``qalam.max_page_bytes``): far above any real article
#: (the longest pages of the fixture sites are under 200 KB), far below what hurts a server.
DEFAULT_MAX_PAGE_BYTES = 4 * 1024 * 1024
#: Largest config or language YAML file read.
MAX_CONFIG_BYTES = 4 * 1024 * 1024

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


class UnsafeFile(OSError):
    """A file Qalam will not read: outside its root, not a regular file, or too big."""

    def __init__(self, path: str | os.PathLike, reason: str, hint: str = ""):
        super().__init__(errno.EPERM, reason, os.fspath(path))
        self.path = os.fspath(path)
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        return self.reason + (f" — {self.hint}" if self.hint else "")


class FileTooLarge(UnsafeFile):
    """A regular file bigger than the limit (``size`` and ``limit`` in bytes)."""

    def __init__(self, path, size: int, limit: int, hint: str = ""):
        super().__init__(path, f"the file is {human_size(size)}, larger than the limit of {human_size(limit)}", hint)
        self.size = size
        self.limit = limit


def human_size(n: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def parse_size(value) -> int:
    """``4194304``, ``"4MB"``, ``"200 MiB"``, ``"500k"`` -> bytes (config sizes, --max-size options)."""
    if isinstance(value, bool):
        raise ValueError(f"not a size: {value!r} (write e.g. 5MB, 200MB, 500KB)")
    if isinstance(value, (int, float)):
        return int(value)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*", str(value), re.I)
    if not m:
        raise ValueError(f"not a size: {value!r} (write e.g. 5MB, 200MB, 500KB)")
    return int(float(m.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()])


def kind_of(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)" ...), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def real_root(root: str | os.PathLike) -> str:
    """The resolved root folder, remembered (resolving it again for each of 10,000 files costs a
    walk of its path each time). Should the root be re-linked while running, files then resolve
    outside the remembered root and are refused: it fails closed."""
    return _real_root(os.fspath(root))


@functools.lru_cache(maxsize=256)
def _real_root(root: str) -> str:
    return os.path.realpath(root)


def inside(path: str, root_real: str) -> bool:
    """Whether the (already resolved) ``path`` is ``root_real`` or below it."""
    return path == root_real or path.startswith(root_real.rstrip(os.sep) + os.sep)


def check_path(path: str | os.PathLike, root: str | os.PathLike, *, root_is_real: bool = False) -> str:
    """Resolve ``path``; return the real path if it is a regular file inside ``root``, else raise
    :class:`UnsafeFile`. Never opens the file (so never blocks)."""
    name = os.fspath(path)
    root_real = os.fspath(root) if root_is_real else real_root(root)
    real = os.path.realpath(name)
    if not inside(real, root_real):
        linked = os.path.islink(name) or real != os.path.abspath(name)
        raise UnsafeFile(
            name,
            "a symbolic link that leads outside the site" if linked else "outside the site folder",
            "Qalam reads only files inside the site; copy the file into the site instead of linking to it",
        )
    try:
        st = os.lstat(real)
    except FileNotFoundError:
        raise UnsafeFile(name, "a symbolic link to a file that does not exist", "remove the link") from None
    kind = kind_of(st.st_mode)
    if kind is not None:
        raise UnsafeFile(name, f"{kind}, not a regular file", "pages, config and media must be ordinary files")
    return real


def read_bytes(
    path: str | os.PathLike,
    root: str | os.PathLike,
    *,
    max_bytes: int,
    too_large_hint: str = "",
    root_is_real: bool = False,
) -> bytes:
    """The bytes of a regular file inside ``root``, at most ``max_bytes`` of them (see module doc)."""
    real = check_path(path, root, root_is_real=root_is_real)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(real, flags)
    except OSError as err:
        if err.errno == errno.ELOOP:  # became a link after the check
            raise UnsafeFile(path, "a symbolic link that changed while it was read", "try again") from None
        raise
    try:
        st = os.fstat(fd)
        kind = kind_of(st.st_mode)
        if kind is not None:
            raise UnsafeFile(path, f"{kind}, not a regular file", "pages, config and media must be ordinary files")
        if st.st_size > max_bytes:
            raise FileTooLarge(path, st.st_size, max_bytes, too_large_hint)
        chunks = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:  # grew while we read it
            raise FileTooLarge(path, len(data), max_bytes, too_large_hint)
        return data
    finally:
        os.close(fd)


def entry_problem(entry: os.DirEntry, root_real: str) -> str | None:
    """Why a folder entry (a file, not a folder) must not be used, or None when it is fine.

    Cheap enough for the folder scan: an ``lstat`` (already cached by ``scandir``) for ordinary
    files, a ``realpath`` only for symbolic links.
    """
    try:
        if entry.is_symlink():
            real = os.path.realpath(entry.path)
            if not inside(real, root_real):
                return "a symbolic link that leads outside the site"
            st = os.stat(real)
        else:
            st = entry.stat(follow_symlinks=False)
    except OSError:
        return "a symbolic link to a file that does not exist"
    kind = kind_of(st.st_mode)
    return f"{kind}, not a regular file" if kind else None


def safe_dir(path: str, root_real: str, seen: set[str]) -> str | None:
    """The real path of a sub-folder to walk, or None when it leads outside ``root_real`` or
    back into a folder already walked (a link loop)."""
    real = os.path.realpath(path)
    if not inside(real, root_real) or real in seen:
        return None
    seen.add(real)
    return real


def open_regular(path: str | os.PathLike, root: str | os.PathLike):
    """A binary file object for a regular file inside ``root`` (for streaming big media)."""
    real = check_path(path, root)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(real, flags)
    try:
        st = os.fstat(fd)
        if kind_of(st.st_mode) is not None:
            raise UnsafeFile(path, "not a regular file", "media must be ordinary files")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


__all__ = [
    "DEFAULT_MAX_PAGE_BYTES", "MAX_CONFIG_BYTES", "UnsafeFile", "FileTooLarge", "check_path", "read_bytes",
    "entry_problem", "safe_dir", "open_regular", "human_size", "parse_size", "inside", "real_root",
]
