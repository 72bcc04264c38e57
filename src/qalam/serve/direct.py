"""Page-cache misses rendered by the pipeline itself, without Django (docs/serving.md).

An anonymous GET without a cookie (all the page cache lets through to a render, with or
without a query string) needs nothing Django has: no session, no form, no account. :class:`PipelineASGI`
answers it with ``render/pipeline.answer`` and the headers the server's middleware would add
(``render/hosts.add_policy_headers``), and skips the framework's request and middleware work,
a third of an article's first render (docs/benchmarks.md). Renders run in worker threads, as
Django runs each request's view in a thread of its own (its ASGI handler gives every request a
``ThreadSensitiveContext``): a slow page never holds up the others. No Django is imported here.
"""

from __future__ import annotations

import urllib.parse

from asgiref.sync import sync_to_async

from qalam.news.counter import BEACON_PATH
from qalam.render.hosts import add_policy_headers
from qalam.render.pipeline import answer
from qalam.render.reply import Request

#: Bytes per body message when a large medium is streamed.
CHUNK = 256 * 1024


#: Paths the Django app owns (web/urls.py): the content API, the editor, the search API, the beacon.
FRAMEWORK_PREFIXES = ("/api/v1/", "/editor/")
FRAMEWORK_PATHS = frozenset({"/editor", "/api/search"})


def query_args(query: bytes) -> dict[str, str]:
    """The query, last value of each name, as Django's ``request.GET.get`` reads it."""
    args: dict[str, str] = {}
    if query:
        for name, value in urllib.parse.parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True,
                                                  encoding="utf-8", errors="replace"):
            args[name] = value
    return args


def framework_path(path: str) -> bool:
    return path in FRAMEWORK_PATHS or path == BEACON_PATH or path.startswith(FRAMEWORK_PREFIXES)


class PipelineASGI:
    """An ASGI app answering GET/HEAD of public URLs through the render pipeline; the paths
    Django owns go to ``framework`` (the Django app)."""

    def __init__(self, site, framework):
        self.site = site
        self.framework = framework
        self._render = sync_to_async(self.render, thread_sensitive=False)

    def render(self, request: Request):
        reply = answer(self.site, request)
        add_policy_headers(self.site, reply)
        return reply

    async def __call__(self, scope, receive, send):
        if scope.get("method") not in ("GET", "HEAD") or framework_path(scope.get("path") or "/"):
            return await self.framework(scope, receive, send)
        host = accept = ""
        for name, value in scope.get("headers") or ():
            name = name.lower()
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"accept-language":
                accept = value.decode("latin-1")
        request = Request(path=scope.get("path") or "/", args=query_args(scope.get("query_string") or b""),
                          scheme=scope.get("scheme", "http"), host=host,
                          method=scope.get("method", "GET"), accept_language=accept or None)
        reply = await self._render(request)
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers()]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        if reply.file is None:
            await send({"type": "http.response.body", "body": reply.body})
            return
        try:
            while chunk := reply.file.read(CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            reply.file.close()
