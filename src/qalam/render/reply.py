"""What the render pipeline is asked and what it answers, without a web framework.

:class:`Request` is the little a public page depends on (path, query, scheme, host, method,
``Accept-Language``); :class:`Reply` is status, headers and bytes (or an open file for a large
medium). The static export (build/export.py) makes Requests itself; the server's Django views
translate both ways in web/replies.py; the page cache (serve/hotpath.py) stores what a Reply
became. Nothing here imports Django.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import BinaryIO


@dataclass
class Request:
    """A GET (or HEAD) of a public URL: what rendering may read of it."""

    path: str  # decoded (``/kk/жаңалықтар``)
    args: Mapping[str, str] = field(default_factory=dict)  # the query, last value of each name (as Django)
    scheme: str = "http"
    host: str = "localhost"
    method: str = "GET"
    accept_language: str | None = None

    @classmethod
    def for_url(cls, url: str, *, scheme: str = "http", host: str = "localhost") -> Request:
        """A GET of a site-absolute URL (``/kk/news?page=2``; percent escapes decoded)."""
        parts = urllib.parse.urlsplit(url)
        args: dict[str, str] = {}
        for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
            args[name] = value
        return cls(urllib.parse.unquote(parts.path) or "/", args, scheme, host)

    # The two names urlpaths.origin and the search form read (the same as Django's request).
    def get_host(self) -> str:
        return self.host

    @property
    def GET(self) -> Mapping[str, str]:  # noqa: N802 — the name Django's request uses
        return self.args


class Reply:
    """Status, headers and body of an answer. Header names keep their case; lookups ignore it."""

    __slots__ = ("status", "body", "file", "_headers")

    def __init__(self, body: bytes | str = b"", status: int = 200, content_type: str | None = None,
                 headers: Mapping[str, str] | None = None, file: BinaryIO | None = None):
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.file = file  # a large medium, streamed by the server (the body is then empty)
        self._headers: dict[str, tuple[str, str]] = {}
        if content_type is not None:
            self["Content-Type"] = content_type
        for name, value in (headers or {}).items():
            self[name] = value

    def __setitem__(self, name: str, value: str) -> None:
        self._headers[name.lower()] = (name, str(value))

    def __getitem__(self, name: str) -> str:
        return self._headers[name.lower()][1]

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._headers

    def get(self, name: str, default: str | None = None) -> str | None:
        found = self._headers.get(name.lower())
        return found[1] if found is not None else default

    def pop(self, name: str, default: str | None = None) -> str | None:
        found = self._headers.pop(name.lower(), None)
        return found[1] if found is not None else default

    def headers(self) -> list[tuple[str, str]]:
        """(name, value) pairs in the order they were first set."""
        return list(self._headers.values())

    @property
    def content_type(self) -> str:
        return self.get("Content-Type") or ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.content_type!r} {len(self.body)} bytes>"


HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location})


def not_allowed(*methods: str) -> Reply:
    return Reply(status=405, headers={"Allow": ", ".join(methods)})


def http_date(timestamp: float) -> str:
    """RFC 9110 date (``Wed, 02 Dec 2026 10:00:00 GMT``), as in ``Last-Modified``."""
    return formatdate(timestamp, usegmt=True)
