"""Limits and errors of Twig-in-content (the caps every producer is held to)."""

from __future__ import annotations

import logging

from jinja2.exceptions import SecurityError


_LOG = logging.getLogger("qalam.content.twig")


_FILENAME = "<qalam-twig>"


MAX_SOURCE_CHARS = 1_000_000


MAX_OUTPUT_CHARS = 2_000_000


MAX_RANGE = 10_000


MAX_ITEMS = 100_000


MAX_STEPS = 200_000


TIME_LIMIT = 5.0


MAX_NESTING = 100


MAX_JSON_NODES = 100_000


MAX_FORMAT_WIDTH = 1000


MAX_INT_BITS = 4096


#: Work budget of one render: characters of every string and items of every list or hash that
#: filters, functions, methods and ``~`` produce, added up. One value is capped by
#: MAX_OUTPUT_CHARS / MAX_ITEMS; this caps their sum, so a loop cannot build 100 values just
#: under the cap (memory), nor grow a list by merging it into itself (quadratic time).
MAX_WORK_CHARS = 20_000_000


MAX_WORK_ITEMS = 1_000_000


#: Methods of strings a template may call: each returns at most about its input's size.
#: (``ljust``, ``center``, ``zfill``, ``expandtabs``, ``format``, ``join`` ... could build any
#: size before a check could see it; the Twig filters do those jobs with limits.)
SAFE_STR_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isascii",
    "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace", "istitle",
    "isupper", "lower", "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex",
    "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title",
    "upper",
})


class TwigSyntaxError(Exception):
    """A Twig construct the pre-pass cannot translate (or refuses)."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.lineno = lineno


class TwigLimitError(SecurityError):
    """A resource limit was hit while rendering."""
