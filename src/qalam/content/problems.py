"""Problems found in a site's files: one shape for `qalam check`, logs and the web layer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .safefs import read_bytes


@dataclass(frozen=True)
class Problem:
    """Something wrong (``error``) or worth a look (``warning``) in one file.

    ``path`` is relative to the site folder when the file is inside it.
    """

    path: str
    line: int | None
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"


def text_line(path: Path, needle: str) -> int | None:
    """The first line of a page file that contains ``needle`` (a link's URL), for `check`."""
    try:
        text = read_bytes(path, path.parent, max_bytes=16 * 1024 * 1024).decode("utf-8-sig", "replace")
    except OSError:
        return None
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    return None


def key_line(path: Path, key: str, root: Path | None = None) -> int | None:
    """The line of a YAML key in a page header or config file (``content.order.custom``: the
    ``custom:`` line below ``order:`` below ``content:``), for `check` messages; the deepest
    key found."""
    try:
        raw = read_bytes(path, root or path.parent, max_bytes=16 * 1024 * 1024)
    except OSError:
        return None
    parts = [p for p in key.split(".") if p] or [key]
    found, depth, indent = None, 0, -1
    for i, line in enumerate(raw.decode("utf-8-sig", errors="replace").splitlines()[:400], 1):
        stripped = line.lstrip(" ")
        here = len(line) - len(stripped)
        if found is not None and depth and stripped and here <= indent and not stripped.startswith("#"):
            break  # left the block of the key found last
        if here > indent and re.match(r"['\"]?" + re.escape(parts[depth]) + r"['\"]?\s*:", stripped):
            found, indent, depth = i, here, depth + 1
            if depth == len(parts):
                break
        if i > 1 and line.rstrip() in ("---", "..."):
            break
    return found
