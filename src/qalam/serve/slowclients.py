"""A request-header read timeout for uvicorn (docs/security.md, docs/serving.md).

uvicorn closes idle keep-alive connections but has no limit on how long a client may take to
send its request line and headers: a client that sends one byte a minute holds a connection
(and a file descriptor) forever, and enough of them exhaust the server. This protocol closes a
connection whose headers are not complete ``header_timeout`` seconds after it opened, or after
the first byte of a following request on a kept-alive connection. Other clients are never
blocked by a slow one (the event loop serves them meanwhile); the timeout bounds what a slow
one can hold. granian has the same limit built in (``HTTP1Settings.header_read_timeout``),
which ``qalam serve --server granian`` sets to the same value.
"""

from __future__ import annotations

import os

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: Environment variable carrying ``qalam serve --header-timeout`` to worker processes.
ENV_HEADER_TIMEOUT = "QALAM_HEADER_TIMEOUT"
DEFAULT_HEADER_TIMEOUT = 10.0


def header_timeout() -> float:
    try:
        value = float(os.environ.get(ENV_HEADER_TIMEOUT, DEFAULT_HEADER_TIMEOUT))
    except ValueError:
        value = DEFAULT_HEADER_TIMEOUT
    return value if value > 0 else DEFAULT_HEADER_TIMEOUT


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections whose headers take too long."""

    _header_timer = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._timeout = header_timeout()
        self._arm()

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self._timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # the next request on a kept-alive connection

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)
