"""Small text helpers for templates and metadata."""

from __future__ import annotations

import html
import re

_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain_text(markup: str) -> str:
    """HTML fragment -> one line of plain text (for descriptions and share texts)."""
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", markup or ""))).strip()
