"""Shared page parts, rendered once and reused by every page that shows them.

Every page of a news site repeats the same sidebar ("latest", "most read", sections): rendering
it again for each of 10,000 pages was a tenth of a static build. A theme marks such a part::

    {% shared "sidebar", lang %} ... {% endshared %}

and it is rendered once per key (here: the language), content version, next scheduled
publication and state of the view counter, then the same HTML is reused. Only what is the
same on every page with that key may go inside: a part that depends on the page (its title,
its active menu entry) must stay outside or put what it depends on into the key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

from jinja2 import nodes
from jinja2.ext import Extension

#: Entries kept per environment (a few per language and theme); older stamps are dropped.
MAX_ENTRIES = 256


class SharedFragments(Extension):
    """The ``{% shared key, ... %}`` tag (see the module doc)."""

    tags = {"shared"}

    def __init__(self, environment):
        super().__init__(environment)
        # stamp() -> (hashable state, when it expires) or None (then nothing is shared)
        environment.extend(shared_stamp=None, shared_cache={})

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        key = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            key.append(parser.parse_expression())
        body = parser.parse_statements(("name:endshared",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_shared", [nodes.List(key)]), [], [], body).set_lineno(lineno)

    def _shared(self, key: list[Any], caller: Callable[[], str]) -> str:
        stamp_of: Callable[[], tuple[Hashable, datetime | None, datetime] | None] | None = \
            self.environment.shared_stamp
        state = stamp_of() if stamp_of is not None else None
        try:
            full = (state[0] if state else None, *key)
            hash(full)
        except TypeError:
            return caller()
        if state is None:
            return caller()
        _stamp, expires, now = state
        cache: dict = self.environment.shared_cache
        hit = cache.get(full)
        if hit is not None and (hit[1] is None or now < hit[1]):
            return hit[0]
        html = caller()
        if len(cache) >= MAX_ENTRIES or any(k[0] != full[0] for k in cache):
            cache.clear()
        cache[full] = (html, expires)
        return html
