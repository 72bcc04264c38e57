"""Problems found in a site's files: one shape for `qalam check`, logs and the web layer."""

from __future__ import annotations

from dataclasses import dataclass


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
