"""Twig-in-content for Grav pages (``process: twig: true``), run in a Jinja2 sandbox.

Grav runs a page body (after Markdown) as a Twig template.  Qalam translates the
Twig source to Jinja2 with a small, tested pre-pass and renders it in
:class:`jinja2.sandbox.ImmutableSandboxedEnvironment`, with Twig-compatible
filters, tests, functions and PHP-like operators.  Content authors cannot reach
Python internals, mutate the objects passed in, read files or include templates.

Public API
----------
``TwigRenderer(*, extra_filters=None, extra_functions=None, logger=None, ...)``
    ``render(source, context, *, name="<page>", lang="en") -> str`` never raises
    for template problems; see :meth:`TwigRenderer.render`.
``TwigDict``
    A ``dict`` with attribute access and dotted ``get('a.b.c')``, for wrapping
    Grav-style configuration before passing it in a context.
``translate(source) -> str``
    The Twig -> Jinja2 pre-pass on its own (for debugging and tests).

Twig support and limits (for the docs)
--------------------------------------
Syntax:

* ``{{ }}``, ``{% %}``, ``{# #}``, whitespace control ``-`` and ``~`` (``~``
  trims spaces and tabs only, as in Twig), the first newline after a tag is
  dropped (Twig behaviour), the final newline is kept.
* ``{% for v in hash %}`` iterates the *values* of a mapping and
  ``{% for k, v in x %}`` its items (index/value pairs for lists), as Twig does;
  ``{% for ... else %}`` works.  ``loop.index`` etc. as in Twig (no
  ``loop.parent``).  Jinja's ``recursive`` loops are refused.
* Variables set inside a ``for`` loop persist after the loop (Twig scoping).
  Implemented by moving such names to a namespace; tuple assignments
  (``{% set a, b = ... %}``) and names also used as loop variables or macro
  parameters keep Jinja's loop-local scoping.
* ``a ? b : c``, ``a ? b``, ``a ?: b``, ``a ?? b`` (right-associative, binds
  tighter than other binary operators as in Twig), ``1..5`` and ``'a'..'e'``
  (inclusive ranges), ``starts with``, ``ends with``, ``<=>``, ``is same as(x)``,
  ``is divisible by(n)``, ``is null``, ``is empty``, ``is iterable``, ``is
  even/odd``, ``is not ...``, ``not/and/or``, ``~``, ``**``, ``//``,
  ``"#{interpolation}"`` in double-quoted strings, hash literals with bare keys
  (``{a: 1}``, ``{a}``), ``x[1:2]`` (Twig's start/length slice), arrow
  functions for ``filter``/``map``/``reduce``/``sort`` (``v => v.x``,
  ``(a, b) => a <=> b``), ``null``/``TRUE``/``FALSE`` constants, named
  arguments ``f(a=1)`` and ``f(a: 1)``.
* Tags: ``if/elseif/else``, ``for``, ``set`` (also block form), ``apply``,
  ``filter``, ``spaceless``, ``markdown`` (Grav), ``verbatim``/``raw``,
  ``autoescape``, ``do``, ``macro`` (``_self.name()`` and ``{% import _self as
  m %}`` work), ``block``, ``switch/case/default`` (Grav), ``flush`` and
  ``deprecated`` (ignored).
* Refused with an error box: ``include``, ``extends``, ``embed``, ``import``
  and ``from`` of anything but ``_self``, ``use``, ``sandbox``, the functions
  ``include()``, ``source()``, ``template_from_string()``, the ``matches``
  operator (no user-supplied regular expressions: ReDoS), ``with`` with
  variables, unknown tags.

Semantics:

* Comparisons (``== != < > <= >= in``) and arithmetic follow PHP 8 loose rules
  (``1 == '1'``, ``null == false``, ``'abc' * 2 == 0``, ``-7 % 3 == -1``,
  ``'a' in {'k': 'a'}`` checks values).  Printing follows PHP: ``null`` and
  ``false`` print nothing, ``true`` prints ``1``, ``2.0`` prints ``2``, arrays
  print ``Array``.
* Known differences: the string ``'0'`` is truthy (PHP: falsy); ``and``/``or``
  return an operand rather than a boolean; chained comparisons use Python
  semantics; ``\\r\\n`` in the template becomes ``\\n``.
* Undefined variables and attributes are empty (``strict_variables`` off); an
  undefined variable equals ``null``.  ``obj.name`` calls a method ``name()``,
  ``getName()``, ``isName()`` or ``hasName()`` when there is no attribute, as
  Twig does; keys of mappings win over mapping methods; ``mapping.get('a.b')``
  does a dotted lookup on any mapping.
* Calling an unknown function renders
  ``<span class="qalam-missing-function" data-function="f">[f()]</span>`` and
  logs one warning per function per render.  Unknown filters pass the value
  through and unknown tests are false (Grav's ``undefined_filters``), each with
  one warning.
* ``autoescape`` is on by default (Grav 1.7 default): use ``|raw`` for HTML.
  ``json_encode`` returns a plain string (escaped on output unless ``|raw``),
  compact, non-ASCII kept as is (Kazakh stays readable), with ``< > & '``
  and U+2028/U+2029 written as ``\\u`` escapes so ``{{ x|json_encode|raw }}`` is
  valid JSON and safe inside ``<script>``.  ``escape`` strategies: ``html``,
  ``html_attr``, ``js``, ``css``, ``url``.
* ``date`` uses :func:`qalam.lang.dates.format_php_date` in the page language;
  ``truncate`` pads with ``…`` (Grav uses ``&hellip;``, which autoescape would
  show literally).  ``t``/``trans`` return the key unless ``extra_filters``
  provides a translator; ``markdown`` escapes unless ``extra_filters`` provides
  one.

Limits (hostile input): source at most ``max_source_chars`` (1 000 000),
output and any intermediate string at most ``max_output_chars`` (2 000 000),
a range at most ``max_range`` items (10 000), lists/hashes built by ``merge``
at most ``max_items`` (100 000), loop iterations plus calls at most
``max_steps`` (200 000) per render, ``time_limit`` seconds (5) of wall time per
render, bracket nesting at most 100, ``json_encode`` at most 100 000 nodes,
``format`` widths at most 1000.  Integer arithmetic that would exceed 4096 bits
becomes floating point (PHP overflows to float too).  Python recursion limits
stop runaway macro recursion.  All of these end in an error box, not an
exception.

Objects in the context: the sandbox blocks ``_private`` attributes, Python
internals and the mutating methods of ``dict``/``list``/``set``; methods of your
own objects are callable unless marked ``alters_data = True`` or with
:func:`jinja2.sandbox.unsafe`, so pass read-only snapshots (as
``qalam.content.render`` does).
"""

from __future__ import annotations

import base64
import calendar
import contextvars
import functools
import hashlib
import html
import inspect
import json
import logging
import math
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable
from urllib.parse import quote

from jinja2 import nodes as jnodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Namespace, Undefined, missing
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_eval_context
from markupsafe import Markup, escape

from qalam.lang.dates import format_php_date, zone

__all__ = ["TwigRenderer", "TwigDict", "TwigSyntaxError", "translate"]

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


# ===========================================================================
# TwigDict
# ===========================================================================


class TwigDict(dict):
    """``dict`` with attribute access and Grav-style dotted ``get``.

    ``TwigDict.wrap(data)`` converts nested mappings (also inside lists) so
    ``config.site.title`` and ``config.get('site.title')`` both work from
    Python and from templates.
    """

    __slots__ = ()

    @classmethod
    def wrap(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return cls({k: cls.wrap(v) for k, v in value.items()})
        if isinstance(value, list):
            return [cls.wrap(v) for v in value]
        if isinstance(value, tuple):
            return tuple(cls.wrap(v) for v in value)
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, key: Any, default: Any = None) -> Any:  # type: ignore[override]
        return _dotted_get(self, key, default)


def _dotted_get(obj: Mapping, key: Any, default: Any = None, getattr_: Callable | None = None) -> Any:
    if isinstance(obj, dict):
        try:
            if dict.__contains__(obj, key):
                return dict.__getitem__(obj, key)
        except TypeError:  # unhashable key
            return default
    else:
        try:
            if key in obj:
                return obj[key]
        except TypeError:
            return default
    if not isinstance(key, str) or "." not in key:
        return default
    cur: Any = obj
    for part in key.split("."):
        if isinstance(cur, Mapping):
            try:
                cur = cur[part]
                continue
            except (KeyError, TypeError):
                return default
        if isinstance(cur, (list, tuple)) and part.lstrip("-").isdigit():
            idx = int(part)
            if -len(cur) <= idx < len(cur):
                cur = cur[idx]
                continue
            return default
        if getattr_ is not None and cur is not None and not part.startswith("_"):
            val = getattr_(cur, part)
            if isinstance(val, Undefined):
                return default
            cur = val
            continue
        return default
    return cur


# ===========================================================================
# Pre-pass: Twig source -> Jinja2 source
# ===========================================================================


@dataclass
class _Tok:
    kind: str  # name | num | str | op
    text: str
    ws: str = ""
    line: int = 1
    role: str = ""  # "kw": keyword-argument / filter name / parameter, never rewritten


@dataclass
class _Group:
    open: _Tok
    items: list
    close: _Tok
    slice: tuple | None = None  # (start_nodes, length_nodes) for x[a:b]

    @property
    def ws(self) -> str:
        return self.open.ws

    @ws.setter
    def ws(self, value: str) -> None:
        self.open.ws = value

    @property
    def line(self) -> int:
        return self.open.line


_CLOSERS = {"(": ")", "[": "]", "{": "}"}

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
   |(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
   |(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
   |(?P<name>[^\W\d]\w*)
   |(?P<op><=>|\.\.\.|\?\?|\?:|\.\.|\*\*|//|==|!=|<=|>=|=>|[-+*/%~|.,:?()\[\]{}<>=])
    """,
    re.X | re.S,
)

_KEYWORDS = {"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "null", "recursive"}
_CONSTANTS = {"null": "none", "none": "none", "true": "true", "false": "false"}
_LOW_NAMES = {"or", "and", "not", "in", "matches", "is"}
_CMP_OPS = {"==", "!=", "<", ">", "<=", ">=", "<=>", "starts with", "ends with"}

_ALLOWED_TAGS = {
    "if", "elseif", "elif", "else", "endif", "for", "endfor", "set", "endset",
    "block", "endblock", "macro", "endmacro", "filter", "endfilter", "apply",
    "endapply", "spaceless", "endspaceless", "markdown", "endmarkdown",
    "autoescape", "endautoescape", "do", "with", "endwith", "switch", "case",
    "default", "endswitch", "import", "from", "flush", "deprecated",
}  # fmt: skip
_FORBIDDEN_TAGS = {"include", "extends", "embed", "use", "sandbox", "import", "from"}


def _is_op(node: Any, *texts: str) -> bool:
    return isinstance(node, _Tok) and node.kind == "op" and node.text in texts


def _is_name(node: Any, *texts: str) -> bool:
    return isinstance(node, _Tok) and node.kind == "name" and (not texts or node.text in texts)


def _operand_end(node: Any) -> bool:
    """Can ``node`` end an operand (so a following ``(``/``[`` is a call/subscript)?"""
    if isinstance(node, _Group):
        return node.open.text in "([" or node.open.text == "{"
    if isinstance(node, _Tok):
        if node.kind in ("str", "num"):
            return True
        if node.kind == "name":
            return node.text.lower() not in _KEYWORDS or node.role == "kw" or node.text in ("true", "false", "none")
    return False


def _emit(nodes: Iterable) -> str:
    out: list[str] = []
    for n in nodes:
        if isinstance(n, _Group):
            out.append(n.open.ws + n.open.text)
            out.append(_emit(n.items))
            out.append(n.close.ws + n.close.text)
        else:
            out.append(n.ws + n.text)
    return "".join(out)


def _split(nodes: list, sep: str = ",") -> list[list]:
    parts: list[list] = [[]]
    for n in nodes:
        if _is_op(n, sep):
            parts.append([])
        else:
            parts[-1].append(n)
    return parts


def _join(parts: list[list], sep: str = ",") -> list:
    out: list = []
    for i, p in enumerate(parts):
        if i:
            out.append(_Tok("op", sep))
        out.extend(p)
    return out


def _paren(nodes: list, ws: str = "") -> _Group:
    if nodes and nodes[0].ws:
        nodes = list(nodes)
    return _Group(_Tok("op", "(", ws), list(nodes), _Tok("op", ")"))


def _call(fname: str, args: list[list], ws: str = "") -> list:
    return [_Tok("name", fname, ws, role="kw"), _Group(_Tok("op", "("), _join(args), _Tok("op", ")"))]


def _jinja_str(text: str) -> str:
    body = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return "'" + body + "'"


def _lineno(source: str, pos: int) -> int:
    return source.count("\n", 0, pos) + 1


class _Part:
    __slots__ = ("kind", "text", "nodes", "lmod", "rmod", "line", "tag", "orig_newlines")

    def __init__(self, kind: str, text: str = "", nodes: list | None = None, lmod: str = "", rmod: str = "",
                 line: int = 1, tag: str = "", orig_newlines: int = 0) -> None:  # fmt: skip
        self.kind, self.text, self.nodes, self.lmod, self.rmod = kind, text, nodes or [], lmod, rmod
        self.line, self.tag, self.orig_newlines = line, tag, orig_newlines


@dataclass
class Translation:
    source: str
    rename: frozenset = frozenset()
    arrows: list = field(default_factory=list)  # (body, line)


class _Translator:
    def __init__(self, source: str) -> None:
        self.src = source
        self.arrows: list[tuple[str, int]] = []
        self.self_aliases: set[str] = {"_self"}
        self.rename: set[str] = set()

    # ---- pass 1: lexing ---------------------------------------------------
    def _tokenize(self, pos: int, end: str, line: int) -> tuple[list, int, str]:
        """Tokenize an expression from ``pos`` until ``end`` (``}}``, ``%}`` or
        ``}`` for string interpolation) at bracket depth 0.  Returns nodes,
        the position after the closing delimiter and the right modifier."""
        src = self.src
        stack: list[tuple[_Tok, list]] = []
        items: list = []
        ws = ""
        n = len(src)
        while True:
            if pos >= n:
                raise TwigSyntaxError(f"unclosed tag (expected {end!r})", line)
            if not stack:
                for mod in ("-", "~", ""):
                    if end != "}" and src.startswith(mod + end, pos):
                        return items, pos + len(mod) + len(end), mod
                if end == "}" and src.startswith("}", pos):
                    return items, pos + 1, ""
            m = _TOKEN_RE.match(src, pos)
            if not m:
                raise TwigSyntaxError(f"unexpected character {src[pos]!r}", line)
            kind = m.lastgroup
            text = m.group()
            pos = m.end()
            if kind == "ws":
                ws += text
                line += text.count("\n")
                continue
            tok = _Tok(kind, text, ws, line)
            ws = ""
            if kind == "str":
                line += text.count("\n")
            if kind == "op" and text in _CLOSERS:
                if len(stack) >= MAX_NESTING:
                    raise TwigSyntaxError("expression nested too deeply", line)
                stack.append((tok, items))
                items = []
                continue
            if kind == "op" and text in (")", "]", "}"):
                if not stack:
                    if text == "}" and end != "}":
                        raise TwigSyntaxError("unexpected '}'", line)
                    raise TwigSyntaxError(f"unexpected {text!r}", line)
                open_tok, outer = stack.pop()
                if _CLOSERS[open_tok.text] != text:
                    raise TwigSyntaxError(f"unclosed {open_tok.text!r} (found {text!r})", line)
                group = _Group(open_tok, items, tok)
                items = outer
                items.append(group)
                continue
            items.append(tok)

    def _scan(self) -> list[_Part]:
        src = self.src
        parts: list[_Part] = []
        pos = 0
        n = len(src)
        opener = re.compile(r"\{[{%#]")
        while pos < n:
            m = opener.search(src, pos)
            if not m:
                parts.append(_Part("text", src[pos:]))
                break
            if m.start() > pos:
                parts.append(_Part("text", src[pos : m.start()]))
            start = m.start()
            line = _lineno(src, start)
            kind = m.group()[1]
            p = m.end()
            lmod = ""
            if p < n and src[p] in "-~":
                lmod = src[p]
                p += 1
            if kind == "#":
                close = src.find("#}", p)
                if close < 0:
                    raise TwigSyntaxError("unclosed comment", line)
                rmod = src[close - 1] if close > p and src[close - 1] in "-~" else ""
                raw = src[start : close + 2]
                parts.append(_Part("comment", raw, lmod=lmod, rmod=rmod, line=line))
                pos = close + 2
                continue
            end = "}}" if kind == "{" else "%}"
            nodes, after, rmod = self._tokenize(p, end, line)
            orig = src[start:after]
            part = _Part("var" if kind == "{" else "tag", "", nodes, lmod, rmod, line, orig_newlines=orig.count("\n"))
            pos = after
            if kind == "%":
                if not nodes or not _is_name(nodes[0]):
                    raise TwigSyntaxError("expected a tag name", line)
                part.tag = nodes[0].text
                if part.tag in ("verbatim", "raw"):
                    endre = re.compile(r"\{%([-~]?)\s*end" + part.tag + r"\s*([-~]?)%\}")
                    em = endre.search(src, pos)
                    if not em:
                        raise TwigSyntaxError(f"unclosed {part.tag!r} block", line)
                    parts.append(_Part("raw", src[pos : em.start()], lmod=lmod, rmod=rmod, line=line))
                    parts.append(_Part("endraw", "", lmod=em.group(1), rmod=em.group(2), line=_lineno(src, em.start())))
                    pos = em.end()
                    continue
            parts.append(part)
        return parts

    # ---- analysis --------------------------------------------------------
    def _analyse(self, parts: list[_Part]) -> None:
        for_depth = macro_depth = 0
        in_loop: set[str] = set()
        excluded: set[str] = {"loop", "_self", "_twig_vars", "_context"}
        for part in parts:
            if part.kind != "tag":
                continue
            tag, rest = part.tag, part.nodes[1:]
            if tag == "for":
                for_depth += 1
                for n in rest:
                    if _is_name(n, "in"):
                        break
                    if _is_name(n):
                        excluded.add(n.text)
            elif tag == "endfor":
                for_depth = max(0, for_depth - 1)
            elif tag == "macro":
                macro_depth += 1
                for n in rest:
                    if isinstance(n, _Group):
                        for p in _split(n.items):
                            if p and _is_name(p[0]):
                                excluded.add(p[0].text)
            elif tag == "endmacro":
                macro_depth = max(0, macro_depth - 1)
            elif tag == "import":
                # {% import _self as m %}
                if len(rest) >= 3 and _is_name(rest[0], "_self") and _is_name(rest[1], "as"):
                    self.self_aliases.add(rest[2].text)
            elif tag == "set":
                targets = []
                for n in rest:
                    if _is_op(n, "="):
                        break
                    targets.append(n)
                names = [t for t in targets if _is_name(t)]
                if len(targets) != 1:
                    excluded.update(t.text for t in names)
                elif names and for_depth > 0 and macro_depth == 0:
                    in_loop.add(names[0].text)
        self.rename = in_loop - excluded

    # ---- pass 2: expressions -------------------------------------------------
    def _seg(self, nodes: list, ctx: dict) -> list:
        """Rewrite one comma-free expression."""
        if not nodes:
            return nodes
        arrow = self._arrow(nodes, ctx)
        if arrow is not None:
            return arrow
        nodes = self._groups(nodes, ctx)
        nodes = self._merge_words(nodes)
        nodes = self._slices(nodes)
        return self._ternary(nodes, ctx)

    def _expr_list(self, nodes: list, ctx: dict) -> list:
        return _join([self._seg(p, ctx) if p else p for p in _split(nodes)])

    def _groups(self, nodes: list, ctx: dict) -> list:
        out: list = []
        for i, n in enumerate(nodes):
            prev = out[-1] if out else None
            if isinstance(n, _Tok) and n.kind == "str" and n.text.startswith('"') and "#{" in n.text:
                out.append(self._interpolate(n, ctx))
                continue
            if not isinstance(n, _Group):
                out.append(n)
                continue
            op = n.open.text
            if op == "(":
                if prev is not None and _operand_end(prev) and not _is_op(prev, "|") and not (
                    isinstance(prev, _Tok) and prev.kind in ("num",)
                ):
                    n.items = self._call_args(n.items, ctx)
                else:
                    n.items = self._expr_list(n.items, ctx)
            elif op == "[":
                if prev is not None and _operand_end(prev):
                    colon = [j for j, x in enumerate(n.items) if _is_op(x, ":")]
                    has_q = any(_is_op(x, "?", "?:") for x in n.items)
                    if colon and not has_q:
                        c = colon[0]
                        start = self._seg(n.items[:c], ctx) or [_Tok("num", "0")]
                        length = self._seg(n.items[c + 1 :], ctx) or [_Tok("name", "none")]
                        n.slice = (start, length)
                    else:
                        n.items = self._seg(n.items, ctx)
                else:
                    n.items = self._expr_list(n.items, ctx)
            else:  # hash literal
                n.items = self._hash(n.items, ctx)
            out.append(n)
        return out

    def _call_args(self, items: list, ctx: dict) -> list:
        parts = []
        for p in _split(items):
            if len(p) >= 2 and _is_name(p[0]) and _is_op(p[1], "=", ":"):
                p[0].role = "kw"
                p[1] = _Tok("op", "=", p[1].ws, p[1].line)
                parts.append(p[:2] + self._seg(p[2:], ctx))
            else:
                parts.append(self._seg(p, ctx))
        return _join(parts)

    def _hash(self, items: list, ctx: dict) -> list:
        parts = []
        for p in _split(items):
            if not p:
                parts.append(p)
                continue
            colon = None
            for j, x in enumerate(p):
                if _is_op(x, "?", "?:", "??"):
                    break
                if _is_op(x, ":"):
                    colon = j
                    break
            if colon is None:
                if len(p) == 1 and _is_name(p[0]):  # {a} == {a: a}
                    key = _Tok("str", _jinja_str(p[0].text), p[0].ws, p[0].line)
                    value = self._seg([_Tok("name", p[0].text, " ", p[0].line)], ctx)
                    parts.append([key, _Tok("op", ":")] + value)
                    continue
                raise TwigSyntaxError("a hash key must be followed by ':'", p[0].line)
            key = p[:colon]
            if len(key) == 1 and isinstance(key[0], _Tok) and key[0].kind == "name":
                key = [_Tok("str", _jinja_str(key[0].text), key[0].ws, key[0].line)]
            else:
                key = self._seg(key, ctx)
            parts.append(key + [p[colon]] + self._seg(p[colon + 1 :], ctx))
        return _join(parts)

    def _interpolate(self, tok: _Tok, ctx: dict) -> _Group:
        body = tok.text[1:-1]
        pieces: list = []
        lit = []
        i = 0
        while i < len(body):
            if body.startswith("\\#{", i):
                lit.append("#{")
                i += 3
                continue
            if body[i] == "\\" and i + 1 < len(body):
                lit.append(body[i : i + 2])
                i += 2
                continue
            if body.startswith("#{", i):
                if lit:
                    pieces.append(_Tok("str", '"' + "".join(lit) + '"'))
                    lit = []
                sub = _Translator(body)
                inner, after, _ = sub._tokenize(i + 2, "}", tok.line)
                if not inner:
                    raise TwigSyntaxError("empty string interpolation", tok.line)
                sub.rename, sub.self_aliases = self.rename, self.self_aliases
                expr = sub._seg(inner, ctx)
                self.arrows.extend(sub.arrows)
                pieces.append(_paren(expr))
                i = after
                continue
            lit.append(body[i])
            i += 1
        if lit:
            pieces.append(_Tok("str", '"' + "".join(lit) + '"'))
        joined: list = []
        for k, p in enumerate(pieces):
            if k:
                joined.append(_Tok("op", "~", " "))
            if isinstance(p, _Tok):
                p.ws = " " if k else ""
            joined.append(p)
        if not joined:
            joined = [_Tok("str", '""')]
        return _Group(_Tok("op", "(", tok.ws, tok.line), joined, _Tok("op", ")"))

    def _merge_words(self, nodes: list) -> list:
        out: list = []
        i = 0
        while i < len(nodes):
            n = nodes[i]
            nxt = nodes[i + 1] if i + 1 < len(nodes) else None
            prev = out[-1] if out else None
            after_is = _is_name(prev, "is") or (
                _is_name(prev, "not") and len(out) >= 2 and _is_name(out[-2], "is")
            )
            if after_is and _is_name(n, "same") and _is_name(nxt, "as"):
                out.append(_Tok("name", "sameas", n.ws, n.line, "kw"))
                i += 2
                continue
            if after_is and _is_name(n, "divisible") and _is_name(nxt, "by"):
                out.append(_Tok("name", "divisibleby", n.ws, n.line, "kw"))
                i += 2
                continue
            if after_is and _is_name(n) and not _is_name(n, "not"):
                n.role = "kw"  # a test name, never a variable
            if _is_name(n, "starts", "ends") and _is_name(nxt, "with") and prev is not None and _operand_end(prev):
                out.append(_Tok("op", n.text + " with", n.ws, n.line))
                i += 2
                continue
            if (
                _is_name(n, "matches")
                and prev is not None
                and _operand_end(prev)
                and not _is_op(prev, ".", "|")
                and not (_is_name(prev) and prev.text.lower() in _KEYWORDS)
            ):
                raise TwigSyntaxError("the 'matches' operator is not supported", n.line)
            if _is_name(n) and n.text in self.self_aliases and _is_op(nxt, ".") and not _is_op(prev, ".", "|"):
                i += 2  # _self.macro() -> macro()
                if i < len(nodes) and isinstance(nodes[i], _Tok):
                    nodes[i].ws = n.ws
                continue
            if _is_name(n) and (n.text == "b" and _is_op(nxt, "-")):
                raise TwigSyntaxError("bitwise operators (b-and, b-or, b-xor) are not supported", n.line)
            out.append(n)
            i += 1
        return out

    def _slices(self, nodes: list) -> list:
        i = 0
        while i < len(nodes):
            n = nodes[i]
            if isinstance(n, _Group) and n.slice is not None:
                start = _chain_start(nodes, i)
                if start == i:
                    raise TwigSyntaxError("slice without a value", n.line)
                chain = nodes[start:i]
                ws = chain[0].ws
                chain[0].ws = ""
                repl = _call("_twig_slice", [chain, n.slice[0], n.slice[1]], ws)
                nodes = nodes[:start] + repl + nodes[i + 1 :]
                i = start + len(repl)
                continue
            i += 1
        return nodes

    def _ternary(self, nodes: list, ctx: dict) -> list:
        for i, n in enumerate(nodes):
            if _is_op(n, "?:"):
                left, right = nodes[:i], nodes[i + 1 :]
                if not left or not right:
                    raise TwigSyntaxError("incomplete '?:' expression", n.line)
                return [_paren(self._rest(left, ctx), left[0].ws), _Tok("name", "or", " "),
                        _paren(self._ternary(right, ctx), " ")]  # fmt: skip
            if _is_op(n, "?"):
                cond = nodes[:i]
                depth = 0
                colon = None
                for j in range(i + 1, len(nodes)):
                    if _is_op(nodes[j], "?"):
                        depth += 1
                    elif _is_op(nodes[j], ":"):
                        if depth == 0:
                            colon = j
                            break
                        depth -= 1
                then = nodes[i + 1 : colon] if colon is not None else nodes[i + 1 :]
                other = nodes[colon + 1 :] if colon is not None else [_Tok("str", "''")]
                if not cond or not then or not other:
                    raise TwigSyntaxError("incomplete '?' expression", n.line)
                ws = cond[0].ws
                return [_Group(_Tok("op", "(", ws), [
                    _paren(self._ternary(then, ctx)), _Tok("name", "if", " "),
                    _paren(self._rest(cond, ctx), " "), _Tok("name", "else", " "),
                    _paren(self._ternary(other, ctx), " "),
                ], _Tok("op", ")"))]  # fmt: skip
            if _is_op(n, ":"):
                raise TwigSyntaxError("unexpected ':'", n.line)
        return self._rest(nodes, ctx)

    def _rest(self, nodes: list, ctx: dict) -> list:
        if nodes and isinstance(nodes[0], _Tok):
            nodes[0].ws = nodes[0].ws or ""
        nodes = self._coalesce(nodes)
        nodes = self._binop(nodes, {".."}, _LOW_NAMES | {"is"} - {"is"}, _CMP_OPS | {".."}, "_twig_range")
        for op, fname in (("starts with", "_twig_starts_with"), ("ends with", "_twig_ends_with"), ("<=>", "_twig_cmp")):
            nodes = self._binop(nodes, {op}, _LOW_NAMES - {"is"}, _CMP_OPS, fname)
        return self._names(nodes, ctx)

    def _coalesce(self, nodes: list) -> list:
        while True:
            idx = None
            for i in range(len(nodes) - 1, -1, -1):
                if _is_op(nodes[i], "??"):
                    idx = i
                    break
            if idx is None:
                return nodes
            start = _chain_start(nodes, idx)
            end = _chain_end(nodes, idx + 1)
            if end is None:
                end = len(nodes)
            left, right = nodes[start:idx], nodes[idx + 1 : end]
            if not left or not right:
                raise TwigSyntaxError("incomplete '??' expression", nodes[idx].line)
            ws = left[0].ws
            left[0].ws = ""
            right[0].ws = " "
            nodes = nodes[:start] + _call("_twig_coalesce", [left, right], ws) + nodes[end:]

    def _binop(self, nodes: list, ops: set, stop_names: set, stop_ops: set, fname: str) -> list:
        def boundary(x: Any) -> bool:
            if isinstance(x, _Tok) and x.kind == "op" and x.text in stop_ops:
                return True
            return isinstance(x, _Tok) and x.kind == "name" and x.role != "kw" and x.text.lower() in stop_names

        while True:
            idx = next((i for i, x in enumerate(nodes) if isinstance(x, _Tok) and x.kind == "op" and x.text in ops), None)
            if idx is None:
                return nodes
            start = idx
            while start > 0 and not boundary(nodes[start - 1]):
                start -= 1
            end = idx + 1
            while end < len(nodes) and not boundary(nodes[end]):
                end += 1
            left, right = nodes[start:idx], nodes[idx + 1 : end]
            if not left or not right:
                raise TwigSyntaxError(f"incomplete {nodes[idx].text!r} expression", nodes[idx].line)
            ws = left[0].ws
            left[0].ws = ""
            right[0].ws = " "
            nodes = nodes[:start] + _call(fname, [left, right], ws) + nodes[end:]

    def _names(self, nodes: list, ctx: dict) -> list:
        out: list = []
        rename = ctx.get("rename", ())
        free = ctx.get("free")
        for i, n in enumerate(nodes):
            if not (isinstance(n, _Tok) and n.kind == "name") or n.role == "kw":
                out.append(n)
                continue
            prev = nodes[i - 1] if i else None
            if _is_op(prev, ".", "|"):
                out.append(n)
                continue
            low = n.text.lower()
            if low in _CONSTANTS and n.text in (low, low.upper(), low.capitalize()):
                out.append(_Tok("name", _CONSTANTS[low], n.ws, n.line, "kw"))
                continue
            if low in _KEYWORDS or n.text.startswith("_twig_"):
                out.append(n)
                continue
            if free is not None:
                free.add(n.text)
            if n.text in rename:
                out.extend([_Tok("name", "_twig_vars", n.ws, n.line, "kw"), _Tok("op", "."),
                            _Tok("name", n.text, "", n.line, "kw")])  # fmt: skip
                continue
            out.append(n)
        return out

    def _arrow(self, nodes: list, ctx: dict) -> list | None:
        if len(nodes) >= 3 and _is_name(nodes[0]) and _is_op(nodes[1], "=>"):
            params = [nodes[0].text]
            body = nodes[2:]
        elif len(nodes) >= 3 and isinstance(nodes[0], _Group) and nodes[0].open.text == "(" and _is_op(nodes[1], "=>"):
            params = []
            for p in _split(nodes[0].items):
                if len(p) != 1 or not _is_name(p[0]):
                    raise TwigSyntaxError("arrow function parameters must be names", nodes[0].line)
                params.append(p[0].text)
            body = nodes[2:]
        else:
            return None
        free: set[str] = set()
        sub_ctx = {"rename": (), "free": free}
        translated = _emit(self._seg(body, sub_ctx)).strip()
        line = nodes[0].line
        self.arrows.append((translated, line))
        captured = sorted(free - set(params) - {"loop"})
        args: list[list] = [[_Tok("str", _jinja_str(",".join(params)))], [_Tok("str", _jinja_str(translated), " ")]]
        for name in captured:
            value = self._names([_Tok("name", name, "", line)], ctx)
            args.append([_Tok("name", name, " ", line, "kw"), _Tok("op", "=")] + value)
        return _call("_twig_arrow", args, nodes[0].ws)

    # ---- pass 2: tags ---------------------------------------------------------
    def _tag(self, part: _Part, state: dict) -> str:
        tag = part.tag
        rest = part.nodes[1:]
        line = part.line
        ctx = {"rename": self.rename if state["macro"] == 0 else ()}
        lm = "-" if part.lmod == "-" else ""
        rm = "-" if part.rmod == "-" else ""

        def wrap(body: str) -> str:
            return "{%" + lm + " " + body + " " + rm + "%}"

        if tag not in _ALLOWED_TAGS:
            if tag in _FORBIDDEN_TAGS:
                raise TwigSyntaxError(f"the {tag!r} tag is not allowed in page content", line)
            raise TwigSyntaxError(f"unknown tag {tag!r}", line)
        if tag in ("import", "from"):
            if rest and _is_name(rest[0], "_self"):
                return "{#" + "\n" * part.orig_newlines + "#}"
            raise TwigSyntaxError(f"the {tag!r} tag is not allowed in page content", line)
        if tag in ("flush", "deprecated"):
            return "{#" + "\n" * part.orig_newlines + "#}"
        if tag in ("if", "elseif", "elif"):
            if not rest:
                raise TwigSyntaxError(f"{tag!r} needs a condition", line)
            return wrap(("if " if tag == "if" else "elif ") + _emit(self._expr_list(rest, ctx)).strip())
        if tag == "for":
            state["for"] += 1
            return wrap(self._for(rest, ctx, line))
        if tag == "endfor":
            state["for"] = max(0, state["for"] - 1)
            return wrap("endfor")
        if tag == "set":
            return wrap(self._set(rest, ctx, line))
        if tag == "macro":
            state["macro"] += 1
            return wrap("macro " + _emit(self._macro_head(rest, line)).strip())
        if tag == "endmacro":
            state["macro"] = max(0, state["macro"] - 1)
            return wrap("endmacro")
        if tag in ("apply", "filter"):
            if not rest or not _is_name(rest[0]):
                raise TwigSyntaxError(f"{tag!r} needs a filter", line)
            rest[0].role = "kw"
            return wrap("filter " + _emit(self._seg(rest, ctx)).strip())
        if tag in ("spaceless", "markdown"):
            return wrap("filter " + tag)
        if tag in ("endapply", "endspaceless", "endmarkdown", "endfilter"):
            return wrap("endfilter")
        if tag == "autoescape":
            value = "false" if rest and _is_name(rest[0]) and rest[0].text.lower() == "false" else "true"
            return wrap("autoescape " + value)
        if tag == "do":
            return wrap("do " + _emit(self._expr_list(rest, ctx)).strip())
        if tag == "with":
            if rest:
                raise TwigSyntaxError("'with' with variables is not supported", line)
            return wrap("with")
        if tag == "switch":
            state["switch"].append(True)
            return wrap("with _twig_switch = " + _emit(self._seg(rest, ctx)).strip()) + wrap("if false")
        if tag == "case":
            values = [self._seg(p, ctx) for p in _split(rest)]
            if not values or not values[0]:
                raise TwigSyntaxError("'case' needs a value", line)
            if len(values) == 1:
                cond = "_twig_switch == (" + _emit(values[0]).strip() + ")"
            else:
                cond = "_twig_switch in [" + _emit(_join(values)).strip() + "]"
            return wrap("elif " + cond)
        if tag == "default":
            return wrap("else")
        if tag == "endswitch":
            if state["switch"]:
                state["switch"].pop()
            return wrap("endif") + wrap("endwith")
        if rest and tag not in ("block",):
            return wrap(tag + " " + _emit(self._expr_list(rest, ctx)).strip())
        return wrap(tag + ("" if not rest else " " + _emit(rest).strip()))

    def _for(self, rest: list, ctx: dict, line: int) -> str:
        idx = next((i for i, x in enumerate(rest) if _is_name(x, "in") and x.role != "kw"), None)
        if idx is None or idx == 0:
            raise TwigSyntaxError("expected 'for <name> in <expression>'", line)
        targets = rest[:idx]
        names = [t for t in targets if _is_name(t)]
        if not names or any(not (_is_name(t) or _is_op(t, ",")) for t in targets):
            raise TwigSyntaxError("invalid loop variables", line)
        expr = rest[idx + 1 :]
        cond = None
        for j, x in enumerate(expr):
            if _is_name(x, "recursive"):
                raise TwigSyntaxError("recursive loops are not supported", line)
            if _is_name(x, "if"):
                expr, cond = expr[:j], expr[j + 1 :]
                break
        if not expr:
            raise TwigSyntaxError("missing loop sequence", line)
        helper = "_twig_items" if len(names) == 2 else "_twig_iter"
        body = "for " + ", ".join(t.text for t in names) + " in " + helper + "(" + _emit(self._seg(expr, ctx)).strip() + ")"
        if cond:
            body += " if " + _emit(self._seg(cond, ctx)).strip()
        return body

    def _set(self, rest: list, ctx: dict, line: int) -> str:
        eq = next((i for i, x in enumerate(rest) if _is_op(x, "=")), None)
        targets = rest if eq is None else rest[:eq]
        if not targets or any(not (_is_name(t) or _is_op(t, ",")) for t in targets):
            raise TwigSyntaxError("invalid 'set' target", line)
        names = [t.text for t in targets if _is_name(t)]
        rename = ctx.get("rename", ())
        if len(names) == 1 and names[0] in rename:
            target = "_twig_vars." + names[0]
        else:
            target = ", ".join(names)
        if eq is None:
            return "set " + target
        values = rest[eq + 1 :]
        if not values:
            raise TwigSyntaxError("missing value in 'set'", line)
        return "set " + target + " = " + _emit(self._expr_list(values, ctx)).strip()

    def _macro_head(self, rest: list, line: int) -> list:
        if len(rest) != 2 or not _is_name(rest[0]) or not isinstance(rest[1], _Group) or rest[1].open.text != "(":
            raise TwigSyntaxError("expected 'macro name(arguments)'", line)
        group = rest[1]
        parts = []
        for p in _split(group.items):
            if not p:
                continue
            if not _is_name(p[0]):
                raise TwigSyntaxError("invalid macro argument", line)
            p[0].role = "kw"
            if len(p) > 1:
                if not _is_op(p[1], "=", ":"):
                    raise TwigSyntaxError("invalid macro argument", line)
                p = [p[0], _Tok("op", "=")] + self._seg(p[2:], {"rename": ()})
            parts.append(p)
        group.items = _join(parts)
        rest[0].role = "kw"
        return rest

    # ---- driver -----------------------------------------------------------------
    def translate(self) -> Translation:
        parts = self._scan()
        self._analyse(parts)
        out: list[str] = []
        state = {"for": 0, "macro": 0, "switch": []}
        # Twig's "~" modifier trims spaces and tabs (not newlines) next to the tag.
        for i, part in enumerate(parts):
            if part.kind == "text":
                text = part.text
                if i + 1 < len(parts) and parts[i + 1].lmod == "~":
                    text = text.rstrip(" \t\0\x0b")
                if i > 0 and parts[i - 1].rmod == "~":
                    text = text.lstrip(" \t\0\x0b")
                out.append(text)
                continue
            lm = "-" if part.lmod == "-" else ""
            rm = "-" if part.rmod == "-" else ""
            if part.kind == "comment":
                out.append("{#" + lm + "\n" * part.text.count("\n") + rm + "#}")
                continue
            if part.kind == "raw":
                out.append("{%" + lm + " raw " + rm + "%}" + part.text)
                continue
            if part.kind == "endraw":
                out.append("{%" + lm + " endraw " + rm + "%}")
                continue
            if part.kind == "var":
                if not part.nodes:
                    raise TwigSyntaxError("empty expression", part.line)
                ctx = {"rename": self.rename if state["macro"] == 0 else ()}
                text = "{{" + lm + " " + _emit(self._expr_list(part.nodes, ctx)).strip() + " " + rm + "}}"
            else:
                text = self._tag(part, state)
            missing_nl = part.orig_newlines - text.count("\n")
            if missing_nl > 0:  # keep line numbers: pad inside the last tag
                close = len(text) - 2 - (1 if text[-3] == "-" else 0)
                text = text[:close] + "\n" * missing_nl + text[close:]
            out.append(text)
        return Translation("".join(out), frozenset(self.rename), list(self.arrows))


def _chain_start(nodes: list, end: int) -> int:
    """Index where the postfix chain (``a.b[c](d)|f(e)``) ending before ``end`` starts."""
    j = end - 1
    while j >= 0:
        n = nodes[j]
        if isinstance(n, _Group):
            if n.open.text in "([" and j > 0 and _operand_end(nodes[j - 1]) and not _is_op(nodes[j - 1], "|"):
                j -= 1
                continue
            return j
        if isinstance(n, _Tok) and n.kind in ("name", "str", "num") and (
            n.kind != "name" or n.role == "kw" or n.text.lower() not in _KEYWORDS - {"true", "false", "none", "null"}
        ):
            if j >= 2 and _is_op(nodes[j - 1], ".", "|"):
                j -= 2
                continue
            return j
        return j + 1
    return 0


def _chain_end(nodes: list, start: int) -> int | None:
    j = start
    n = len(nodes)
    while j < n and _is_op(nodes[j], "-", "+"):
        j += 1
    if j >= n:
        return None
    first = nodes[j]
    if isinstance(first, _Tok) and first.kind == "name" and first.role != "kw" and first.text.lower() in (
        _KEYWORDS - {"true", "false", "none", "null"}
    ):
        return None
    if not (isinstance(first, _Group) or (isinstance(first, _Tok) and first.kind in ("name", "str", "num"))):
        return None
    j += 1
    while j < n:
        x = nodes[j]
        if isinstance(x, _Group) and x.open.text in "([":
            j += 1
        elif _is_op(x, ".", "|") and j + 1 < n and isinstance(nodes[j + 1], _Tok) and nodes[j + 1].kind in ("name", "num"):
            j += 2
        else:
            break
    return j


def translate(source: str) -> str:
    """Translate Twig ``source`` to Jinja2 source (raises :class:`TwigSyntaxError`)."""
    return _Translator(source).translate().source


# ===========================================================================
# PHP-like values
# ===========================================================================

_NUMERIC_RE = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def _undef(v: Any) -> Any:
    return None if isinstance(v, Undefined) else v


def _php_float_str(v: float) -> str:
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INF" if v > 0 else "-INF"
    s = f"{v:.14G}"
    if "E" in s:
        mant, exp = s.split("E")
        if "." not in mant:
            mant += ".0"
        e = int(exp)
        return f"{mant}E{'+' if e >= 0 else '-'}{abs(e)}"
    return "-0" if s == "-0" else s


def _php_str(v: Any) -> str:
    """Twig's string conversion (echo)."""
    if v is None or isinstance(v, Undefined):
        return ""
    if isinstance(v, str):
        return v
    if v is True:
        return "1"
    if v is False:
        return ""
    if isinstance(v, float):
        return _php_float_str(v)
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, (Mapping, list, tuple, set, frozenset)):
        return "Array"
    if inspect.isroutine(v):
        return ""
    return str(v)


def _safe_float(x: Any) -> float:
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _php_bool(v: Any) -> bool:
    v = _undef(v)
    if v is None:
        return False
    if isinstance(v, str):
        return v not in ("", "0")
    if isinstance(v, (int, float)):
        return v != 0
    if isinstance(v, (Mapping, list, tuple, set)):
        return len(v) > 0
    return bool(v)


def _numeric_str(s: str) -> int | float | None:
    if not _NUMERIC_RE.match(s):
        return None
    t = s.strip()
    try:
        return int(t)
    except ValueError:
        return float(t)


def _to_number(v: Any, strict: bool = False) -> int | float:
    """PHP numeric conversion for arithmetic (non-numeric strings give 0)."""
    v = _undef(v)
    if v is None:
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, str):
        num = _numeric_str(v)
        if num is None:
            m = re.match(r"^\s*[+-]?\d+(\.\d+)?", v)
            if m:
                return _numeric_str(m.group()) or 0
            if strict:
                raise TypeError(f"unsupported operand: non-numeric string {v[:40]!r}")
            return 0
        return num
    if isinstance(v, (Mapping, list, tuple)):
        raise TypeError("unsupported operand types: array")
    raise TypeError(f"unsupported operand type: {type(v).__name__}")


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def _php_cmp(a: Any, b: Any) -> int:
    """PHP 8 ``<=>``."""
    a, b = _undef(a), _undef(b)
    if a is None and b is None:
        return 0
    if a is None and isinstance(b, str):
        return _cmp("", b)
    if b is None and isinstance(a, str):
        return _cmp(a, "")
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return _cmp(_php_bool(a), _php_bool(b))
    num = (int, float, Decimal)
    if isinstance(a, num) and isinstance(b, num):
        return _cmp(a, b)
    if isinstance(a, str) and isinstance(b, str):
        na, nb = _numeric_str(a), _numeric_str(b)
        if na is not None and nb is not None:
            return _cmp(na, nb)
        return _cmp(str(a), str(b))
    if isinstance(a, num) and isinstance(b, str):
        nb = _numeric_str(b)
        return _cmp(a, nb) if nb is not None else _cmp(_php_str(a), str(b))
    if isinstance(a, str) and isinstance(b, num):
        return -_php_cmp(b, a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return _cmp(len(a), len(b))
        for x, y in zip(a, b):
            c = _php_cmp(x, y)
            if c:
                return c
        return 0
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if len(a) != len(b):
            return _cmp(len(a), len(b))
        for k, x in a.items():
            if k not in b:
                return 1
            c = _php_cmp(x, b[k])
            if c:
                return c
        return 0
    if isinstance(a, (datetime, date)) and isinstance(b, (datetime, date)):
        try:
            return _cmp(a, b)
        except TypeError:
            pass
    if isinstance(a, (Mapping, list, tuple)):
        return 1
    if isinstance(b, (Mapping, list, tuple)):
        return -1
    try:
        return _cmp(a, b)
    except TypeError:
        return _cmp(_php_str(a), _php_str(b))


def _php_eq(a: Any, b: Any) -> bool:
    """PHP 8 loose ``==``."""
    a, b = _undef(a), _undef(b)
    if a is None or b is None:
        other = b if a is None else a
        if other is None:
            return True
        if isinstance(other, str):
            return other == ""
        return not _php_bool(other)
    if isinstance(a, bool) or isinstance(b, bool):
        return _php_bool(a) == _php_bool(b)
    num = (int, float, Decimal)
    if isinstance(a, str) and isinstance(b, str):
        na, nb = _numeric_str(a), _numeric_str(b)
        if na is not None and nb is not None:
            return na == nb
        return str(a) == str(b)
    if isinstance(a, num) and isinstance(b, str):
        nb = _numeric_str(b)
        return a == nb if nb is not None else _php_str(a) == str(b)
    if isinstance(b, num) and isinstance(a, str):
        return _php_eq(b, a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_php_eq(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return len(a) == len(b) and all(k in b and _php_eq(v, b[k]) for k, v in a.items())
    try:
        return bool(a == b)
    except Exception:
        return False


def _twig_in(needle: Any, haystack: Any) -> bool:
    needle, haystack = _undef(needle), _undef(haystack)
    if haystack is None:
        return False
    if isinstance(haystack, str):
        if isinstance(needle, (str, int, float)) and not isinstance(needle, bool):
            return _php_str(needle) in haystack
        return False
    if isinstance(haystack, Mapping):
        return any(_php_eq(needle, v) for v in haystack.values())
    if isinstance(haystack, (list, tuple, set, frozenset)):
        return any(_php_eq(needle, v) for v in haystack)
    if isinstance(haystack, Iterable):
        return any(_php_eq(needle, v) for v in _limited(haystack))
    return False


def _limited(iterable: Iterable, limit: int = MAX_ITEMS) -> Iterable:
    """Items of ``iterable``, at most ``limit``; the render's time limit is checked as they go
    (a filter's own loop over 10,000 items, called 1,000 times, is long without a template step)."""
    state = _STATE.get()
    for i, item in enumerate(iterable):
        if i >= limit:
            raise TwigLimitError(f"sequence longer than {limit} items")
        if not i & 1023 and state is not None:
            state.check_time()
            state.items += 1024
            if state.items > MAX_WORK_ITEMS * 10:
                raise TwigLimitError("template went through too many list items in all")
        yield item


def _is_empty(v: Any) -> bool:
    v = _undef(v)
    if v is None or v is False or v == "" and isinstance(v, str):
        return True
    if isinstance(v, (Mapping, list, tuple, set)):
        return len(v) == 0
    if isinstance(v, _MissingCall):
        return True
    if hasattr(v, "__len__") and not isinstance(v, (int, float)):
        try:
            return len(v) == 0
        except TypeError:
            return False
    return False


# ===========================================================================
# Render state, undefined values, placeholders
# ===========================================================================


@dataclass
class _State:
    name: str
    lang: str
    logger: logging.Logger
    max_steps: int
    deadline: float | None
    steps: int = 0
    warned: set = field(default_factory=set)
    chars: int = 0  # work budget used (MAX_WORK_CHARS / MAX_WORK_ITEMS)
    items: int = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise TwigLimitError(f"too many loop iterations or calls (limit {self.max_steps})")
        if self.deadline is not None and not self.steps & 63 and time.monotonic() > self.deadline:
            raise TwigLimitError("template took too long to render")

    def check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TwigLimitError("template took too long to render")

    def warn_once(self, key: tuple, msg: str, *args: Any) -> None:
        if key in self.warned:
            return
        self.warned.add(key)
        self.logger.warning(msg, *args)


_STATE: contextvars.ContextVar[_State | None] = contextvars.ContextVar("qalam_twig_state", default=None)


def _tick() -> None:
    state = _STATE.get()
    if state is not None:
        state.tick()


def _account(value: Any) -> Any:
    """Check a value a filter, function, method or operator produced against the caps; count it
    against the render's work budget. Every producer goes through here (one rule, not one check
    per filter)."""
    if isinstance(value, str):
        n = len(value)
        if n > MAX_OUTPUT_CHARS:
            raise TwigLimitError(f"string longer than {MAX_OUTPUT_CHARS} characters")
        state = _STATE.get()
        if state is not None:
            state.chars += n
            if state.chars > MAX_WORK_CHARS:
                raise TwigLimitError(f"template built more than {MAX_WORK_CHARS} characters in all")
    elif isinstance(value, (list, tuple, dict, set, frozenset)):
        n = len(value)
        if n > MAX_ITEMS:
            raise TwigLimitError(f"list longer than {MAX_ITEMS} items")
        state = _STATE.get()
        if state is not None:
            state.items += n
            if state.items > MAX_WORK_ITEMS:
                raise TwigLimitError(f"template built more than {MAX_WORK_ITEMS} list items in all")
    return value


def _capped(fn: Callable) -> Callable:
    """``fn`` whose every result goes through :func:`_account` (Jinja's pass_* marks are kept)."""
    if getattr(fn, "_qalam_capped", False):
        return fn

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _account(fn(*args, **kwargs))

    wrapper._qalam_capped = True  # type: ignore[attr-defined]
    return wrapper


def _warn_once(key: tuple, msg: str, *args: Any) -> None:
    state = _STATE.get()
    if state is not None:
        state.warn_once(key, msg, *args, state.name)
    else:
        _LOG.warning(msg, *args, "<unknown>")


class _MissingCall(Markup):
    """Placeholder printed for a call to an unknown function (falsy, empty)."""

    def __bool__(self) -> bool:
        return False

    def __iter__(self):  # type: ignore[override]
        return iter(())


def _missing_function(name: str) -> _MissingCall:
    _warn_once(("function", name), "Unknown Twig function %s() in %s; rendered a placeholder", name)
    safe = escape(name)
    return _MissingCall(
        f'<span class="qalam-missing-function" data-function="{safe}">[{safe}()]</span>'
    )


class _TwigUndefined(Undefined):
    """Twig's non-strict undefined: prints empty, chains, equals null."""

    __slots__ = ()
    unsafe_callable = False
    alters_data = False
    jinja_pass_arg = None

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        return _TwigUndefined(obj=self, name=name)

    def __getitem__(self, key: Any) -> Any:
        return _TwigUndefined(obj=self, name=str(key))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self

    def __html__(self) -> str:
        return ""

    def __contains__(self, item: Any) -> bool:
        return False

    def __eq__(self, other: Any) -> bool:
        return _php_eq(None, other)

    def __ne__(self, other: Any) -> bool:
        return not _php_eq(None, other)

    __hash__ = Undefined.__hash__

    def __lt__(self, other: Any) -> bool:
        return _php_cmp(None, other) < 0

    def __le__(self, other: Any) -> bool:
        return _php_cmp(None, other) <= 0

    def __gt__(self, other: Any) -> bool:
        return _php_cmp(None, other) > 0

    def __ge__(self, other: Any) -> bool:
        return _php_cmp(None, other) >= 0

    def __int__(self) -> int:
        return 0

    def __float__(self) -> float:
        return 0.0


def _is_missing_name(obj: Any) -> bool:
    return (
        isinstance(obj, Undefined)
        and obj._undefined_obj is missing
        and obj._undefined_hint is None
        and isinstance(obj._undefined_name, str)
    )


class _Budget:
    """Wraps a loop sequence: counts iterations against the render budget."""

    __slots__ = ("_seq",)

    def __init__(self, seq: Any) -> None:
        self._seq = seq

    def __iter__(self):
        for item in self._seq:
            _tick()
            yield item

    def __len__(self) -> int:
        return len(self._seq)


class _Arrow:
    """A Twig arrow function compiled to a sandboxed Jinja expression."""

    __slots__ = ("_expr", "_params", "_captured")

    def __init__(self, expr: Any, params: list[str], captured: dict) -> None:
        self._expr, self._params, self._captured = expr, params, captured

    def __call__(self, *args: Any) -> Any:
        _tick()
        values = dict(self._captured)
        values.update(zip(self._params, args))
        return self._expr(**values)


def _require_arrow(fn: Any, filter_name: str) -> _Arrow:
    if not isinstance(fn, _Arrow):
        raise TypeError(f"the {filter_name!r} filter expects an arrow function (v => ...)")
    return fn


# ===========================================================================
# Code generator and environment
# ===========================================================================


class _TwigCodeGenerator(CodeGenerator):
    """Routes ``~``, comparisons and property-style attribute access through
    Twig-compatible helpers on the environment."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._callees: set[int] = set()

    def visit_Call(self, node: jnodes.Call, frame: Any, forward_caller: bool = False) -> None:  # noqa: N802
        if isinstance(node.node, jnodes.Getattr):
            self._callees.add(id(node.node))
        super().visit_Call(node, frame, forward_caller=forward_caller)

    def visit_Getattr(self, node: jnodes.Getattr, frame: Any) -> None:  # noqa: N802
        if id(node) in self._callees:
            self.write("environment.getattr(")
        else:
            self.write("environment.twig_getattr(")
        self.visit(node.node, frame)
        self.write(f", {node.attr!r})")

    def visit_Concat(self, node: jnodes.Concat, frame: Any) -> None:  # noqa: N802
        if frame.eval_ctx.volatile:
            flag = "context.eval_ctx.autoescape"
        else:
            flag = repr(bool(frame.eval_ctx.autoescape))
        self.write(f"environment.twig_concat({flag}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_Compare(self, node: jnodes.Compare, frame: Any) -> None:  # noqa: N802
        self.write("environment.twig_compare(")
        self.visit(node.expr, frame)
        for op in node.ops:
            self.write(f", {op.op!r}, ")
            self.visit(op.expr, frame)
        self.write(")")


class _Registry(dict):
    """Filter/test table whose unknown names resolve to a logging fallback."""

    def __init__(self, data: Mapping, kind: str) -> None:
        super().__init__(data)
        self.kind = kind

    def __missing__(self, key: str) -> Callable:
        return _unknown_filter(key) if self.kind == "filter" else _unknown_test(key)

    def get(self, key: Any, default: Any = None) -> Any:  # type: ignore[override]
        return self[key]


def _unknown_filter(name: str) -> Callable:
    def fallback(value: Any = None, *args: Any, **kwargs: Any) -> Any:
        _warn_once(("filter", name), "Unknown Twig filter %r in %s; value passed through", name)
        return value

    return fallback


def _unknown_test(name: str) -> Callable:
    def fallback(value: Any = None, *args: Any, **kwargs: Any) -> bool:
        _warn_once(("test", name), "Unknown Twig test %r in %s; evaluated as false", name)
        return False

    return fallback


_COMPARE = {
    "eq": _php_eq,
    "ne": lambda a, b: not _php_eq(a, b),
    "lt": lambda a, b: _php_cmp(a, b) < 0,
    "lteq": lambda a, b: _php_cmp(a, b) <= 0,
    "gt": lambda a, b: _php_cmp(a, b) > 0,
    "gteq": lambda a, b: _php_cmp(a, b) >= 0,
    "in": _twig_in,
    "notin": lambda a, b: not _twig_in(a, b),
}


class _TwigEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = _TwigCodeGenerator
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"-", "+"})

    max_output_chars = MAX_OUTPUT_CHARS
    max_items = MAX_ITEMS

    # -- strings -------------------------------------------------------------
    def concat(self, parts: Iterable[Any]) -> str:  # type: ignore[override]
        parts = list(parts)
        total = 0
        for p in parts:
            total += len(p)
        if total > self.max_output_chars:
            raise TwigLimitError(f"string longer than {self.max_output_chars} characters")
        return _account("".join(parts))

    def twig_concat(self, autoescape: bool, parts: tuple) -> str:
        strs = []
        markup = False
        for p in parts:
            if hasattr(p, "__html__") and not isinstance(p, Undefined):
                markup = True
            strs.append(p if isinstance(p, str) else _php_str(p))
        if sum(len(s) for s in strs) > self.max_output_chars:
            raise TwigLimitError(f"string longer than {self.max_output_chars} characters")
        if markup and autoescape:
            return _account(Markup("").join(escape(s) if not hasattr(s, "__html__") else s for s in strs))
        return _account("".join(str(s) for s in strs))

    # -- operators -------------------------------------------------------------
    def twig_compare(self, first: Any, *rest: Any) -> bool:
        left = first
        for i in range(0, len(rest), 2):
            op, right = rest[i], rest[i + 1]
            if not _COMPARE[op](left, right):
                return False
            left = right
        return True

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "+" and isinstance(_undef(left), (list, tuple)) and isinstance(_undef(right), (list, tuple)):
            if len(left) + len(right) > self.max_items:
                raise TwigLimitError(f"list longer than {self.max_items} items")
            return _account(list(left) + list(right))
        a, b = _to_number(left), _to_number(right)
        if operator == "+":
            return a + b
        if operator == "-":
            return a - b
        if operator == "*":
            if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
                return _safe_float(a) * _safe_float(b)
            return a * b
        if operator == "/":
            if b == 0:
                raise ZeroDivisionError("division by zero")
            result = a / b
            return int(result) if isinstance(a, int) and isinstance(b, int) and a % b == 0 else result
        if operator == "//":
            if b == 0:
                raise ZeroDivisionError("division by zero")
            return int(math.floor(a / b)) if not (isinstance(a, int) and isinstance(b, int)) else a // b
        if operator == "%":
            ia, ib = int(a), int(b)
            if ib == 0:
                raise ZeroDivisionError("modulo by zero")
            r = abs(ia) % abs(ib)
            return -r if ia < 0 else r
        if operator == "**":
            if isinstance(a, int) and isinstance(b, int) and b >= 0:
                if a.bit_length() * b <= MAX_INT_BITS:
                    return a**b
                try:
                    return _safe_float(a) ** b
                except OverflowError:
                    return math.inf if a > 0 or b % 2 == 0 else -math.inf
            try:
                return _safe_float(a) ** _safe_float(b)
            except OverflowError:
                return math.inf
            except ZeroDivisionError:
                return math.inf
        raise SecurityError(f"operator {operator!r} is not allowed")

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        n = _to_number(arg)
        return -n if operator == "-" else +n

    # -- attributes ------------------------------------------------------------
    def getattr(self, obj: Any, attribute: str) -> Any:  # type: ignore[override]
        if isinstance(obj, Mapping) and not isinstance(obj, Undefined):
            try:
                return obj[attribute]
            except (KeyError, TypeError, IndexError):
                pass
            if attribute == "get":
                env = self

                def get(key: Any, default: Any = None) -> Any:
                    return _dotted_get(obj, key, default, env.twig_getattr)

                return get
        return super().getattr(obj, attribute)

    def twig_getattr(self, obj: Any, attribute: str) -> Any:
        value = self.getattr(obj, attribute)
        if isinstance(obj, (Mapping, Undefined, type)) or isinstance(obj, (str, int, float, list, tuple)):
            return value
        if inspect.ismethod(value) and self.is_safe_callable(value):
            _tick()
            return value()
        if isinstance(value, Undefined) and isinstance(attribute, str) and attribute[:1].isalpha():
            cap = attribute[0].upper() + attribute[1:]
            for prefix in ("get", "is", "has"):
                method = getattr(obj, prefix + cap, None)
                if inspect.ismethod(method) and self.is_safe_callable(method):
                    _tick()
                    return method()
        return value

    def wrap_str_format(self, value: Any) -> Any:  # type: ignore[override]
        """``'{:>99999999}'.format(x)`` builds any size before a check could see it: refused
        (Twig has the ``format`` filter, with limits)."""
        if super().wrap_str_format(value) is None:
            return None

        def refused(*args: Any, **kwargs: Any) -> Any:
            raise SecurityError("the string method 'format' is not available in templates (use the format filter)")

        return refused

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:  # type: ignore[override]
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _tick()
        if isinstance(__obj, Undefined):
            if _is_missing_name(__obj):
                return _missing_function(__obj._undefined_name)
            return __obj
        if isinstance(getattr(__obj, "__self__", None), (str, bytes)) and callable(__obj):
            name = getattr(__obj, "__name__", "")
            if name not in SAFE_STR_METHODS:
                raise SecurityError(f"the string method {name!r} is not available in templates "
                                    "(use the Twig filters, which have size limits)")
            if name == "replace" and len(args) >= 2:
                s, old, new = __obj.__self__, args[0], args[1]
                if isinstance(old, str) and isinstance(new, str) and old and \
                        len(s) + s.count(old) * (len(new) - len(old)) > MAX_OUTPUT_CHARS:
                    raise TwigLimitError("replace result too long")
                if isinstance(old, str) and not old and len(s) * (len(new) + 1) > MAX_OUTPUT_CHARS:
                    raise TwigLimitError("replace result too long")
        return _account(super().call(__context, __obj, *args, **kwargs))


@pass_eval_context
def _finalize(eval_ctx: Any, value: Any) -> Any:
    if isinstance(value, str):
        return value
    return _php_str(value)


# ===========================================================================
# Helpers called by translated templates
# ===========================================================================


def _twig_coalesce(value: Any, default: Any) -> Any:
    if isinstance(value, Undefined) or value is None:
        return default
    return value


def _twig_iter(value: Any) -> _Budget:
    value = _undef(value)
    if value is None or isinstance(value, (str, bytes, int, float, bool)):
        return _Budget(())
    if isinstance(value, Mapping):
        return _Budget(list(value.values()))
    return _Budget(value)


def _twig_items(value: Any) -> _Budget:
    value = _undef(value)
    if value is None or isinstance(value, (str, bytes, int, float, bool)):
        return _Budget(())
    if isinstance(value, Mapping):
        return _Budget(list(value.items()))
    if isinstance(value, Sequence):
        return _Budget(list(enumerate(value)))
    return _Budget(enumerate(value))


def _make_range(max_range: int) -> Callable:
    def twig_range(low: Any, high: Any, step: Any = 1) -> list:
        low, high, step = _undef(low), _undef(high), _undef(step)
        if isinstance(low, str) and isinstance(high, str) and len(low) == 1 and len(high) == 1 and not (
            low.isdigit() and high.isdigit()
        ):
            a, b = ord(low), ord(high)
            s = max(1, abs(int(_to_number(step))))
            count = abs(b - a) // s + 1
            if count > max_range:
                raise TwigLimitError(f"range larger than {max_range} items")
            return [chr(c) for c in (range(a, b + 1, s) if a <= b else range(a, b - 1, -s))]
        a, b, s = _to_number(low), _to_number(high), abs(_to_number(step))
        if s == 0:
            raise ValueError("range() step must not be 0")
        if any(isinstance(x, float) and not float(x).is_integer() for x in (a, b, s)):
            count = int(abs(b - a) / s) + 1
            if count > max_range:
                raise TwigLimitError(f"range larger than {max_range} items")
            sign = 1 if b >= a else -1
            return [a + sign * i * s for i in range(count)]
        a, b, s = int(a), int(b), int(s)
        count = abs(b - a) // s + 1
        if count > max_range:
            raise TwigLimitError(f"range larger than {max_range} items ({count} requested)")
        return list(range(a, b + 1, s)) if a <= b else list(range(a, b - 1, -s))

    return twig_range


def _twig_starts_with(value: Any, prefix: Any) -> bool:
    return _php_str(value).startswith(_php_str(prefix))


def _twig_ends_with(value: Any, suffix: Any) -> bool:
    return _php_str(value).endswith(_php_str(suffix))


# ===========================================================================
# Filters
# ===========================================================================


def _keep_markup(original: Any, result: str) -> str:
    return Markup(result) if isinstance(original, Markup) else result


def f_raw(value: Any) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(_php_str(value))


_JS_SHORT = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", "/": "\\/", "\\": "\\\\", '"': '\\"'}


def f_escape(value: Any, strategy: str = "html", charset: Any = None) -> Markup:
    if strategy in ("html", None):
        return escape(_php_str(value) if not hasattr(value, "__html__") else value)
    s = _php_str(value)
    if strategy == "html_attr":
        out = []
        for ch in s:
            if ch.isalnum() or ch in ",.-_":
                out.append(ch)
            elif ch in "&<>\"":
                out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[ch])
            else:
                out.append(f"&#x{ord(ch):02X};")
        return Markup("".join(out))
    if strategy == "js":
        out = []
        for ch in s:
            if (ch.isascii() and ch.isalnum()) or ch in ",._":
                out.append(ch)
            elif ch in _JS_SHORT:
                out.append(_JS_SHORT[ch])
            else:
                code = ord(ch)
                if code > 0xFFFF:
                    code -= 0x10000
                    out.append(f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}")
                else:
                    out.append(f"\\u{code:04X}")
        return Markup("".join(out))
    if strategy == "css":
        return Markup("".join(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):X} " for ch in s))
    if strategy == "url":
        return Markup(quote(s, safe="-_.~"))
    raise ValueError(f"invalid escaping strategy {strategy!r} (html, html_attr, js, css, url)")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Undefined):
        return None
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, Decimal):
        return float(obj)
    return str(obj)


def _json_count(value: Any, budget: list[int], depth: int = 0) -> None:
    """Count values (``budget[0]``) and, in ``budget[1]`` if given, the characters of the strings
    (a JSON text is at least that long): both checked before anything is encoded."""
    budget[0] -= 1
    if budget[0] < 0:
        raise TwigLimitError(f"json_encode: more than {MAX_JSON_NODES} values")
    if depth > MAX_NESTING:
        raise TwigLimitError("json_encode: structure nested too deeply")
    if len(budget) > 1 and isinstance(value, str):
        budget[1] -= len(value) + 2
        if budget[1] < 0:
            raise TwigLimitError(f"json_encode result longer than {MAX_OUTPUT_CHARS} characters")
    if isinstance(value, Mapping):
        for k, v in value.items():
            if len(budget) > 1:
                budget[1] -= len(str(k)) + 4
            _json_count(v, budget, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            _json_count(v, budget, depth + 1)


def f_json_encode(value: Any, options: Any = 0) -> str:
    value = _undef(value)
    _json_count(value, [MAX_JSON_NODES, MAX_OUTPUT_CHARS])
    pretty = isinstance(options, int) and options & 128
    text = json.dumps(
        value,
        ensure_ascii=False,
        default=_json_default,
        indent=4 if pretty else None,
        separators=None if pretty else (",", ":"),
    )
    for ch, rep in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(ch, rep)
    return text


def f_json_decode(value: Any, assoc: Any = True) -> Any:
    try:
        return json.loads(_php_str(value))
    except ValueError:
        return None


def f_trans(value: Any, *args: Any, **kwargs: Any) -> str:
    return _php_str(value)


def f_striptags(value: Any, allowed: Any = None) -> str:
    s = _php_str(value)
    allowed_tags: set[str] = set()
    if allowed:
        allowed_tags = {t.lower() for t in re.findall(r"<\s*([a-zA-Z0-9]+)", _php_str(allowed))}
    s = re.sub(r"<!--.*?-->", "", s, flags=re.S)

    def repl(m: re.Match) -> str:
        name = (m.group(1) or "").lower()
        return m.group(0) if name in allowed_tags else ""

    return re.sub(r"</?\s*([a-zA-Z0-9]*)[^>]*>?", repl, s)


def f_upper(value: Any) -> str:
    return _keep_markup(value, _php_str(value).upper())


def f_lower(value: Any) -> str:
    return _keep_markup(value, _php_str(value).lower())


def f_capitalize(value: Any) -> str:
    s = _php_str(value)
    return _keep_markup(value, s[:1].upper() + s[1:].lower())


def f_title(value: Any) -> str:
    s = _php_str(value)
    return _keep_markup(value, re.sub(r"\w+", lambda m: m.group()[:1].upper() + m.group()[1:].lower(), s))


def f_length(value: Any) -> int:
    value = _undef(value)
    if value is None or isinstance(value, _MissingCall):
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return len(_php_str(value))
    if isinstance(value, bool):
        return len(_php_str(value))
    try:
        return len(value)
    except TypeError:
        if isinstance(value, Iterable):
            return sum(1 for _ in _limited(value))
        return len(_php_str(value))


def f_default(value: Any, default: Any = "", boolean: Any = None) -> Any:
    return default if _is_empty(value) else value


def f_defined(value: Any, default: Any = "") -> Any:
    return default if (isinstance(value, Undefined) or value is None) else value


def f_join(value: Any, glue: Any = "", and_: Any = None, **kwargs: Any) -> str:
    value = _undef(value)
    if value is None:
        return ""
    if "and" in kwargs:
        and_ = kwargs["and"]
    items = list(value.values()) if isinstance(value, Mapping) else list(_limited(value))
    strs = [_php_str(i) for i in items]
    glue_s, and_s = _php_str(glue), (None if and_ is None else _php_str(and_))
    total = sum(len(s) for s in strs) + len(glue_s) * max(0, len(strs) - 1) + len(and_s or "")
    if total > MAX_OUTPUT_CHARS:
        raise TwigLimitError("join result too long")
    if and_s is not None and len(strs) > 1:
        return glue_s.join(strs[:-1]) + and_s + strs[-1]
    return glue_s.join(strs)


def f_split(value: Any, delimiter: Any = "", limit: Any = None) -> list:
    s = _php_str(value)
    d = _php_str(delimiter)
    lim = None if _undef(limit) is None else int(_to_number(limit))
    pieces = (len(s) // max(1, lim or 1) if d == "" else s.count(d) + 1)
    if pieces > MAX_ITEMS and not (d and lim and 0 < lim <= MAX_ITEMS):
        raise TwigLimitError(f"split into more than {MAX_ITEMS} pieces")
    if d == "":
        size = lim if lim and lim > 1 else 1
        return [s[i : i + size] for i in range(0, len(s), size)]
    if lim is None:
        return s.split(d)
    if lim > 0:
        return s.split(d, lim - 1)
    if lim == 0:
        return [s]
    parts = s.split(d)
    return parts[:lim]


def _strtr(s: str, mapping: Mapping) -> str:
    pairs = {_php_str(k): _php_str(v) for k, v in mapping.items() if _php_str(k) != ""}
    if not pairs:
        return s
    if len(pairs) == 1:  # the usual case, in C: a million matches must not be a Python loop
        (old, new), = pairs.items()
        if len(s) + s.count(old) * (len(new) - len(old)) > MAX_OUTPUT_CHARS:
            raise TwigLimitError("replace result too long")
        return s.replace(old, new)
    pattern = re.compile("|".join(re.escape(k) for k in sorted(pairs, key=len, reverse=True)))
    out: list[str] = []
    total = 0
    pos = 0
    for m in pattern.finditer(s):
        piece = s[pos : m.start()] + pairs[m.group()]
        total += len(piece)
        if total > MAX_OUTPUT_CHARS:
            raise TwigLimitError("replace result too long")
        out.append(piece)
        pos = m.end()
    out.append(s[pos:])
    return "".join(out)


def f_replace(value: Any, old: Any = None, new: Any = None, count: Any = None) -> str:
    s = _php_str(value)
    old = _undef(old)
    if isinstance(old, Mapping):
        return _strtr(s, old)
    if old is None:
        return s
    o, n = _php_str(old), _php_str(new)
    if o == "":
        return s
    if len(s) + s.count(o) * (len(n) - len(o)) > MAX_OUTPUT_CHARS:
        raise TwigLimitError("replace result too long")
    return s.replace(o, n) if count is None else s.replace(o, n, int(_to_number(count)))


def _rawurlencode(v: Any) -> str:
    return quote(_php_str(v), safe="-_.~")


def _build_query(data: Mapping | Sequence, prefix: str | None = None, budget: list[int] | None = None,
                 depth: int = 0) -> list[str]:
    """PHP's http_build_query; ``budget`` (characters left) is checked piece by piece, so a list
    of a thousand 1 MB strings is refused before it is encoded, not after."""
    budget = budget if budget is not None else [MAX_OUTPUT_CHARS]
    if depth > MAX_NESTING:
        raise TwigLimitError("url_encode: structure nested too deeply")
    items = data.items() if isinstance(data, Mapping) else enumerate(data)
    out: list[str] = []
    for k, v in _limited(items):
        key = _rawurlencode(k) if prefix is None else f"{prefix}%5B{_rawurlencode(k)}%5D"
        v = _undef(v)
        if v is None:
            continue
        if isinstance(v, (Mapping, list, tuple)):
            out.extend(_build_query(v, key, budget, depth + 1))
        else:
            text = _php_str(1 if v is True else 0 if v is False else v)
            budget[0] -= len(key) + 1 + len(text)  # at least this long once encoded
            if budget[0] < 0:
                raise TwigLimitError(f"url_encode result longer than {MAX_OUTPUT_CHARS} characters")
            piece = f"{key}={_rawurlencode(text)}"
            budget[0] -= len(piece) - len(key) - 1 - len(text)
            if budget[0] < 0:
                raise TwigLimitError(f"url_encode result longer than {MAX_OUTPUT_CHARS} characters")
            out.append(piece)
    return out


def f_url_encode(value: Any) -> str:
    value = _undef(value)
    if isinstance(value, (Mapping, list, tuple)):
        return "&".join(_build_query(value))
    return _rawurlencode(value)


@pass_eval_context
def f_nl2br(eval_ctx: Any, value: Any) -> Markup:
    s = value if hasattr(value, "__html__") else (escape(_php_str(value)) if eval_ctx.autoescape else _php_str(value))
    text = str(s)
    if len(text) + 6 * (text.count("\n") + text.count("\r")) > MAX_OUTPUT_CHARS:
        raise TwigLimitError("nl2br result too long")
    return Markup(re.sub(r"(\r\n|\n|\r)", r"<br />\1", text))


def f_spaceless(value: Any) -> Markup:
    return Markup(re.sub(r">\s+<", "><", str(value) if hasattr(value, "__html__") else _php_str(value)).strip())


def f_trim(value: Any, chars: Any = None, side: str = "both") -> str:
    s = _php_str(value)
    mask = " \t\n\r\0\x0b" if _undef(chars) is None else _php_str(chars)
    if side == "left":
        r = s.lstrip(mask)
    elif side == "right":
        r = s.rstrip(mask)
    elif side == "both":
        r = s.strip(mask)
    else:
        raise ValueError("trim side must be 'left', 'right' or 'both'")
    return _keep_markup(value, r)


def f_ltrim(value: Any, chars: Any = None) -> str:
    return f_trim(value, chars, "left")


def f_rtrim(value: Any, chars: Any = None) -> str:
    return f_trim(value, chars, "right")


def _slice_bounds(n: int, start: int, length: int | None) -> tuple[int, int]:
    if start < 0:
        start = max(0, n + start)
    start = min(start, n)
    if length is None:
        end = n
    elif length < 0:
        end = max(start, n + length)
    else:
        end = min(n, start + length)
    return start, end


def f_slice(value: Any, start: Any = 0, length: Any = None, preserve_keys: Any = False) -> Any:
    value = _undef(value)
    st = int(_to_number(start))
    ln = None if _undef(length) is None else int(_to_number(length))
    if value is None:
        return []
    if isinstance(value, Mapping):
        items = list(value.items())
        a, b = _slice_bounds(len(items), st, ln)
        return dict(items[a:b])
    if isinstance(value, (list, tuple)):
        a, b = _slice_bounds(len(value), st, ln)
        return list(value[a:b])
    if isinstance(value, str) or isinstance(value, (int, float)):
        s = _php_str(value)
        a, b = _slice_bounds(len(s), st, ln)
        return _keep_markup(value, s[a:b])
    seq = list(_limited(value))
    a, b = _slice_bounds(len(seq), st, ln)
    return seq[a:b]


def f_first(value: Any) -> Any:
    value = _undef(value)
    if value is None:
        return None
    if isinstance(value, str):
        return value[:1]
    if isinstance(value, Mapping):
        return next(iter(value.values()), None)
    if isinstance(value, (int, float)):
        return _php_str(value)[:1]
    return next(iter(value), None)


def f_last(value: Any) -> Any:
    value = _undef(value)
    if value is None:
        return None
    if isinstance(value, str):
        return value[-1:]
    if isinstance(value, Mapping):
        return list(value.values())[-1] if value else None
    if isinstance(value, (int, float)):
        return _php_str(value)[-1:]
    seq = list(_limited(value))
    return seq[-1] if seq else None


def f_reverse(value: Any, preserve_keys: Any = False) -> Any:
    value = _undef(value)
    if value is None:
        return []
    if isinstance(value, str):
        return value[::-1]
    if isinstance(value, Mapping):
        return dict(reversed(list(value.items())))
    if isinstance(value, (int, float)):
        return _php_str(value)[::-1]
    return list(reversed(list(_limited(value))))


def f_sort(value: Any, arrow: Any = None) -> Any:
    value = _undef(value)
    if value is None:
        return []
    if arrow is not None:
        fn = _require_arrow(arrow, "sort")

        def cmp(a: Any, b: Any) -> int:
            return int(_to_number(fn(a, b)))

        key = functools.cmp_to_key(cmp)
    else:
        key = functools.cmp_to_key(_php_cmp)
    if isinstance(value, Mapping):
        return dict(sorted(value.items(), key=lambda kv: key(kv[1])))
    return sorted(_limited(value), key=key)


def f_ksort(value: Any) -> Any:
    value = _undef(value)
    if not isinstance(value, Mapping):
        return value
    return dict(sorted(value.items(), key=lambda kv: functools.cmp_to_key(_php_cmp)(kv[0])))


def f_merge(value: Any, other: Any) -> Any:
    value, other = _undef(value), _undef(other)
    if value is None:
        value = []
    if other is None:
        other = []
    if isinstance(value, Mapping) or isinstance(other, Mapping):
        result: dict = {}
        nxt = 0
        for src in (value, other):
            items = src.items() if isinstance(src, Mapping) else enumerate(src)
            for k, v in items:
                if isinstance(k, int) and not isinstance(k, bool):
                    result[nxt] = v
                    nxt += 1
                else:
                    result[k] = v
                if len(result) > MAX_ITEMS:
                    raise TwigLimitError(f"merge result larger than {MAX_ITEMS} items")
        return result
    if not isinstance(value, Iterable) or not isinstance(other, Iterable) or isinstance(value, str) or isinstance(
        other, str
    ):
        raise TypeError("the merge filter only works with arrays or hashes")
    a, b = list(_limited(value)), list(_limited(other))
    if len(a) + len(b) > MAX_ITEMS:
        raise TwigLimitError(f"merge result larger than {MAX_ITEMS} items")
    return a + b


def f_keys(value: Any) -> list:
    value = _undef(value)
    if isinstance(value, Mapping):
        return list(value.keys())
    if isinstance(value, (list, tuple)):
        return list(range(len(value)))
    return []


def f_abs(value: Any) -> Any:
    return abs(_to_number(value))


def _round_half_away(x: float, precision: int) -> float:
    q = Decimal(1).scaleb(-precision)
    try:
        return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))
    except InvalidOperation:
        return float(x)


def f_round(value: Any, precision: Any = 0, method: str = "common") -> Any:
    x = _to_number(value)
    p = int(_to_number(precision))
    if method == "common":
        r = _round_half_away(x, p)
    elif method in ("ceil", "floor"):
        fn = math.ceil if method == "ceil" else math.floor
        r = fn(x * 10**p) / 10**p
    else:
        raise ValueError("round method must be 'common', 'ceil' or 'floor'")
    return int(r) if p <= 0 and not math.isinf(r) and not math.isnan(r) else r


def f_number_format(value: Any, decimals: Any = 0, dec_point: Any = ".", thousands_sep: Any = ",") -> str:
    x = _to_number(value)
    d = max(0, min(100, int(_to_number(decimals))))
    try:
        q = Decimal(repr(float(x)) if isinstance(x, float) else str(x)).quantize(
            Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP
        )
    except InvalidOperation:
        return _php_str(x)
    negative = q < 0
    digits = f"{abs(q):f}"
    whole, _, frac = digits.partition(".")
    groups = []
    while whole:
        groups.append(whole[-3:])
        whole = whole[:-3]
    text = _php_str(thousands_sep).join(reversed(groups)) or "0"
    if d:
        text += _php_str(dec_point) + frac.ljust(d, "0")
    if negative and any(ch not in "0" for ch in digits.replace(".", "")):
        text = "-" + text
    return text


def f_batch(value: Any, size: Any, fill: Any = None, preserve_keys: Any = True) -> list:
    value = _undef(value)
    n = int(math.ceil(_to_number(size)))
    if n < 1:
        raise ValueError("batch size must be at least 1")
    if n > MAX_ITEMS:
        raise TwigLimitError(f"batch size above {MAX_ITEMS}")
    if value is None:
        return []
    if isinstance(value, Mapping):
        items = list(value.items())
        return [dict(items[i : i + n]) for i in range(0, len(items), n)]
    seq = list(_limited(value))
    rows = [seq[i : i + n] for i in range(0, len(seq), n)]
    if fill is not None and rows and len(rows[-1]) < n:
        rows[-1] = rows[-1] + [fill] * (n - len(rows[-1]))
    return rows


def f_starts_with(value: Any, prefix: Any) -> bool:
    return _twig_starts_with(value, prefix)


def f_ends_with(value: Any, suffix: Any) -> bool:
    return _twig_ends_with(value, suffix)


def f_contains(value: Any, needle: Any) -> bool:
    value = _undef(value)
    if isinstance(value, (Mapping, list, tuple, set)):
        return _twig_in(needle, value)
    return _php_str(needle) in _php_str(value)


def f_truncate(value: Any, limit: Any = 150, up_to_break: Any = False, brk: Any = " ", pad: Any = "…") -> str:
    s = _php_str(value)
    lim = int(_to_number(limit))
    if len(s) <= lim:
        return s
    if up_to_break:
        pos = s.find(_php_str(brk), lim)
        if pos < 0:
            return s
        if pos < len(s) - 1:
            return s[:pos] + _php_str(pad)
        return s
    return s[:lim] + _php_str(pad)


def f_safe_truncate(value: Any, limit: Any = 150) -> str:
    return f_truncate(value, limit, True)


_SPRINTF_RE = re.compile(r"%(?:(\d+)\$)?((?:[-+ 0]|'.)*)(\d+)?(?:\.(\d+))?([bcdeEfFgGosuxX%])", re.S)


def _php_exp(x: float, precision: int, upper: bool) -> str:
    s = f"{x:.{precision}e}"
    mant, exp = s.split("e")
    e = int(exp)
    out = f"{mant}e{'+' if e >= 0 else '-'}{abs(e)}"
    return out.upper() if upper else out


def f_format(value: Any, *args: Any) -> str:
    fmt = _php_str(value)
    out: list[str] = []
    pos = 0
    argi = 0
    total = start = 0
    for m in _SPRINTF_RE.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        argnum, flags, width, precision, conv = m.groups()
        if conv == "%":
            out.append("%")
            continue
        if argnum:
            idx = int(argnum) - 1
        else:
            idx = argi
            argi += 1
        if idx < 0 or idx >= len(args):
            raise ValueError(f"format: {idx + 1} arguments are required, {len(args)} given")
        arg = args[idx]
        w = int(width) if width else 0
        p = int(precision) if precision is not None else None
        if w > MAX_FORMAT_WIDTH or (p or 0) > MAX_FORMAT_WIDTH:
            raise TwigLimitError(f"format width/precision above {MAX_FORMAT_WIDTH}")
        left = "-" in flags
        plus = "+" in flags
        pad = " "
        for fm in re.finditer(r"'(.)|0", flags):
            pad = fm.group(1) if fm.group(1) is not None else "0"
        numeric = conv in "bcdeEfFgGouxX"
        if conv == "s":
            s = _php_str(arg)
            if p is not None:
                s = s[:p]
        elif conv == "d":
            n = int(_to_number(arg))
            s = str(n)
            if plus and n >= 0:
                s = "+" + s
        elif conv == "u":
            n = int(_to_number(arg))
            s = str(n if n >= 0 else n + 2**64)
        elif conv in "fF":
            x = float(_to_number(arg))
            s = f"{x:.{6 if p is None else p}f}"
            if plus and x >= 0:
                s = "+" + s
        elif conv in "eE":
            x = float(_to_number(arg))
            s = _php_exp(x, 6 if p is None else p, conv == "E")
            if plus and x >= 0:
                s = "+" + s
        elif conv in "gG":
            x = float(_to_number(arg))
            s = f"{x:.{6 if p is None else max(p, 1)}{conv}}"
        elif conv == "b":
            s = format(int(_to_number(arg)) & (2**64 - 1), "b")
        elif conv == "o":
            s = format(int(_to_number(arg)) & (2**64 - 1), "o")
        elif conv in "xX":
            s = format(int(_to_number(arg)) & (2**64 - 1), conv)
        else:  # c
            s = chr(int(_to_number(arg)) % 0x110000)
            numeric = False
            w = 0
        if w and len(s) < w:
            if left:
                s = s.ljust(w, " " if pad == "0" else pad)
            elif pad == "0" and numeric and s[:1] in "+-":
                s = s[0] + s[1:].rjust(w - 1, "0")
            else:
                s = s.rjust(w, pad)
        out.append(s)
        total += len(s) + m.start() - start
        start = pos
        if total > MAX_OUTPUT_CHARS:  # checked as it grows: 10 arguments of 2 MB are not joined
            raise TwigLimitError(f"format result longer than {MAX_OUTPUT_CHARS} characters")
    out.append(fmt[pos:])
    return "".join(out)


def _to_datetime(value: Any, tz: tzinfo | None) -> datetime:
    value = _undef(value)
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif value is None or (isinstance(value, str) and value.strip().lower() in ("", "now")):
        return datetime.now(tz or timezone.utc)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        dt = datetime.fromtimestamp(value, timezone.utc)
    elif isinstance(value, str):
        text = value.strip()
        low = text.lower()
        now = datetime.now(tz or timezone.utc)
        if low in ("today", "midnight", "tomorrow", "yesterday"):
            base = now.replace(hour=0, minute=0, second=0, microsecond=0)
            return base + timedelta(days={"tomorrow": 1, "yesterday": -1}.get(low, 0))
        rel = re.fullmatch(r"([+-]?\d+)\s*(second|sec|minute|min|hour|day|week|month|year)s?(\s+ago)?", low)
        if rel:
            n = int(rel.group(1)) * (-1 if rel.group(3) else 1)
            unit = rel.group(2)
            if unit in ("month", "year"):
                months = n * (12 if unit == "year" else 1)
                y, mth = divmod(now.month - 1 + months, 12)
                year = now.year + y
                day = min(now.day, calendar.monthrange(year, mth + 1)[1])
                return now.replace(year=year, month=mth + 1, day=day)
            seconds = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "day": 86400, "week": 604800}
            return now + timedelta(seconds=n * seconds[unit])
        if re.fullmatch(r"@?-?\d{9,}", text):
            dt = datetime.fromtimestamp(int(text.lstrip("@")), timezone.utc)
        else:
            parsed = None
            try:
                from qalam.content.dates import parse_grav_date

                parsed = parse_grav_date(text, tz=tz or timezone.utc)
            except ImportError:  # pragma: no cover - sibling module missing
                parsed = None
            if parsed is None:
                try:
                    parsed = datetime.fromisoformat(text)
                except ValueError:
                    raise ValueError(f"failed to parse date {text[:60]!r}") from None
            dt = parsed
    else:
        raise TypeError(f"cannot convert {type(value).__name__} to a date")
    if tz is not None:
        dt = dt.replace(tzinfo=tz) if dt.tzinfo is None else dt.astimezone(tz)
    return dt


def _tz_arg(value: Any, default: tzinfo | None) -> tzinfo | None:
    value = _undef(value)
    if value is None:
        return default
    if value is False:
        return None
    if isinstance(value, tzinfo):
        return value
    return zone(_php_str(value))


def _nicetime(value: Any, long_strings: Any = True, show_tense: Any = True, *, tz: tzinfo | None = None) -> str:
    if _undef(value) in (None, ""):
        return "No date provided"
    dt = _to_datetime(value, tz or timezone.utc)
    now = datetime.now(timezone.utc)
    diff = (now - dt).total_seconds()
    tense = "ago" if diff >= 0 else "from now"
    diff = abs(diff)
    if long_strings:
        periods = ["second", "minute", "hour", "day", "week", "month", "year", "decade"]
    else:
        periods = ["sec", "min", "hr", "day", "wk", "mo", "yr", "dec"]
    lengths = [60, 60, 24, 7, 4.35, 12, 10]
    j = 0
    while j < len(lengths) and diff >= lengths[j]:
        diff /= lengths[j]
        j += 1
    n = int(_round_half_away(diff, 0))
    period = periods[j] + ("" if n == 1 else "s")
    return f"{n} {period} {tense}" if show_tense else f"{n} {period}"


def f_md5(value: Any) -> str:
    return hashlib.md5(_php_str(value).encode("utf-8")).hexdigest()  # noqa: S324 - not security related


def f_base64_encode(value: Any) -> str:
    return base64.b64encode(_php_str(value).encode("utf-8")).decode("ascii")


def f_base64_decode(value: Any) -> str:
    try:
        return base64.b64decode(_php_str(value).encode("ascii"), validate=False).decode("utf-8", "replace")
    except (ValueError, UnicodeEncodeError):
        return ""


def f_nicefilesize(value: Any) -> str:
    size = float(_to_number(value))
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(size) < 1024 or unit == "TB":
            return f"{_round_half_away(size, 2):g} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size} TB"  # pragma: no cover


def f_basename(value: Any) -> str:
    return _php_str(value).rstrip("/").rsplit("/", 1)[-1]


def f_dirname(value: Any) -> str:
    s = _php_str(value).rstrip("/")
    return s.rsplit("/", 1)[0] if "/" in s else "."


def f_safe_email(value: Any) -> Markup:
    return Markup("".join(f"&#{ord(ch)};" for ch in _php_str(value)))


def f_array_unique(value: Any) -> list:
    seen: list = []
    for item in (value.values() if isinstance(value, Mapping) else _limited(_undef(value) or [])):
        if not any(_php_eq(item, s) and type(item) is type(s) for s in seen):
            seen.append(item)
    return seen


def f_string(value: Any) -> str:
    return _php_str(value)


def f_int(value: Any, default: Any = 0) -> int:
    try:
        return int(_to_number(value))
    except (TypeError, ValueError, OverflowError):
        return default


def f_float(value: Any, default: Any = 0.0) -> float:
    try:
        return float(_to_number(value))
    except (TypeError, ValueError):
        return default


def f_bool(value: Any) -> bool:
    return _php_bool(value)


def f_array(value: Any) -> Any:
    value = _undef(value)
    if value is None:
        return []
    if isinstance(value, (Mapping, list)):
        return value
    if isinstance(value, (tuple, set)):
        return list(value)
    return [value]


# ===========================================================================
# Tests
# ===========================================================================


def t_null(value: Any) -> bool:
    return value is None or isinstance(value, Undefined)


def t_iterable(value: Any) -> bool:
    value = _undef(value)
    if isinstance(value, (str, bytes)) or value is None:
        return False
    return isinstance(value, (Mapping, list, tuple, set)) or isinstance(value, Iterable)


def t_even(value: Any) -> bool:
    return int(_to_number(value)) % 2 == 0


def t_odd(value: Any) -> bool:
    return int(_to_number(value)) % 2 == 1


def t_sameas(value: Any, other: Any) -> bool:
    value, other = _undef(value), _undef(other)
    if value is None or other is None or isinstance(value, bool) or isinstance(other, bool):
        return value is other
    if isinstance(value, (int, float, str)) and isinstance(other, (int, float, str)):
        return type(value) is type(other) and value == other
    if isinstance(value, (list, tuple, Mapping)) and isinstance(other, (list, tuple, Mapping)):
        return type(value) is type(other) and value == other
    return value is other


def t_divisibleby(value: Any, num: Any) -> bool:
    n = _to_number(num)
    if n == 0:
        return False
    return _to_number(value) % n == 0


# ===========================================================================
# Renderer
# ===========================================================================

_JINJA_FILTERS_KEPT = (
    "safe", "unique", "dictsort", "groupby", "selectattr", "rejectattr", "select",
    "reject", "attr", "wordcount", "items", "filesizeformat", "min", "max", "list",
    "forceescape",
)  # fmt: skip


@dataclass
class _Compiled:
    template: Any = None
    rename: frozenset = frozenset()
    error: tuple[int | None, str] | None = None
    #: (line, message, until): the template exceeded a resource limit; until `until` (monotonic
    #: time) it is not run again, its error box is returned at once. One hostile or runaway
    #: template then costs one slow render per LIMIT_RETRY seconds, not one per request.
    over_limit: tuple[int | None, str, float] | None = None


#: Seconds a template that exceeded a limit is answered with its error box without running.
LIMIT_RETRY = 300.0


def _error_line(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class TwigRenderer:
    """Render Twig-in-content in a Jinja2 sandbox.  Thread-safe; reuse one instance."""

    def __init__(
        self,
        *,
        extra_filters: dict | None = None,
        extra_functions: dict | None = None,
        logger: logging.Logger | None = None,
        autoescape: bool = True,
        timezone: str | tzinfo | None = None,
        cache_size: int = 256,
        max_source_chars: int = MAX_SOURCE_CHARS,
        max_output_chars: int = MAX_OUTPUT_CHARS,
        max_range: int = MAX_RANGE,
        max_steps: int = MAX_STEPS,
        time_limit: float | None = TIME_LIMIT,
    ) -> None:
        self.logger = logger or _LOG
        self.timezone: tzinfo | None = zone(timezone) if isinstance(timezone, str) else timezone
        self.max_source_chars = max_source_chars
        self.max_output_chars = max_output_chars
        self.max_steps = max_steps
        self.time_limit = time_limit
        self._cache: OrderedDict[bytes, _Compiled] = OrderedDict()
        self._arrow_cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

        env = _TwigEnvironment(
            autoescape=autoescape,
            undefined=_TwigUndefined,
            finalize=_finalize,
            trim_blocks=True,
            keep_trailing_newline=True,
            optimized=False,
            auto_reload=False,
            cache_size=0,
            extensions=["jinja2.ext.do"],
        )
        env.max_output_chars = max_output_chars
        self._env = env
        self._install(env, max_range, extra_filters or {}, extra_functions or {})

    # -- environment setup ------------------------------------------------------
    def _install(self, env: _TwigEnvironment, max_range: int, extra_filters: dict, extra_functions: dict) -> None:
        renderer = self

        def f_date(value: Any = None, fmt: Any = None, tz: Any = None) -> str:
            tzi = _tz_arg(tz, renderer.timezone)
            dt = _to_datetime(value, tzi)
            state = _STATE.get()
            lang = state.lang if state else "en"
            return format_php_date(dt, "F j, Y H:i" if _undef(fmt) is None else _php_str(fmt), lang)

        def f_nicetime(value: Any, long_strings: Any = True, show_tense: Any = True) -> str:
            return _nicetime(value, long_strings, show_tense, tz=renderer.timezone)

        def f_markdown(value: Any, *args: Any) -> Markup:
            return escape(_php_str(value) if not hasattr(value, "__html__") else value)

        def f_filter(value: Any, arrow: Any) -> Any:
            fn = _require_arrow(arrow, "filter")
            value = _undef(value)
            if value is None:
                return []
            if isinstance(value, Mapping):
                return {k: v for k, v in value.items() if _php_bool(fn(v, k))}
            return [v for v in _limited(value) if _php_bool(fn(v))]

        def f_map(value: Any, arrow: Any) -> Any:
            fn = _require_arrow(arrow, "map")
            value = _undef(value)
            if value is None:
                return []
            if isinstance(value, Mapping):
                return {k: fn(v, k) for k, v in value.items()}
            return [fn(v, i) for i, v in enumerate(_limited(value))]

        def f_reduce(value: Any, arrow: Any, initial: Any = None) -> Any:
            fn = _require_arrow(arrow, "reduce")
            acc = initial
            items = value.values() if isinstance(value, Mapping) else _limited(_undef(value) or [])
            for v in items:
                acc = fn(acc, v)
            return acc

        def f_column(value: Any, name: Any, index: Any = None) -> Any:
            rows = value.values() if isinstance(value, Mapping) else _limited(_undef(value) or [])
            out_list, out_map = [], {}
            for row in rows:
                val = env.twig_getattr(row, name) if not isinstance(row, Mapping) else row.get(name, missing)
                if val is missing or isinstance(val, Undefined):
                    continue
                if index is None:
                    out_list.append(val)
                else:
                    out_map[_php_str(env.twig_getattr(row, index))] = val
            return out_list if index is None else out_map

        filters: dict[str, Callable] = {name: env.filters[name] for name in _JINJA_FILTERS_KEPT if name in env.filters}
        filters.update(
            raw=f_raw, escape=f_escape, e=f_escape, json_encode=f_json_encode, json_decode=f_json_decode,
            t=f_trans, trans=f_trans, tu=f_trans, ta=f_trans, tl=f_trans, date=f_date,
            markdown=f_markdown, striptags=f_striptags, upper=f_upper, lower=f_lower,
            capitalize=f_capitalize, title=f_title, length=f_length, count=f_length,
            default=f_default, defined=f_defined, join=f_join, split=f_split, replace=f_replace,
            url_encode=f_url_encode, nl2br=f_nl2br, trim=f_trim, ltrim=f_ltrim, rtrim=f_rtrim,
            slice=f_slice, first=f_first, last=f_last, reverse=f_reverse, sort=f_sort,
            merge=f_merge, keys=f_keys, abs=f_abs, round=f_round, number_format=f_number_format,
            ksort=f_ksort, batch=f_batch, column=f_column, filter=f_filter, map=f_map,
            reduce=f_reduce, format=f_format, nicetime=f_nicetime, truncate=f_truncate,
            safe_truncate=f_safe_truncate, starts_with=f_starts_with, ends_with=f_ends_with,
            contains=f_contains, spaceless=f_spaceless, md5=f_md5, base64_encode=f_base64_encode,
            base64_decode=f_base64_decode, nicefilesize=f_nicefilesize, basename=f_basename,
            dirname=f_dirname, safe_email=f_safe_email, array_unique=f_array_unique,
            string=f_string, int=f_int, float=f_float, bool=f_bool, array=f_array,
        )  # fmt: skip
        filters.update(extra_filters)
        env.filters = _Registry({k: _capped(v) for k, v in filters.items()}, "filter")

        tests = dict(env.tests)
        tests.update(
            null=t_null, none=t_null, empty=_is_empty, iterable=t_iterable, even=t_even, odd=t_odd,
            sameas=t_sameas, divisibleby=t_divisibleby, starts_with=f_starts_with,
            ends_with=f_ends_with,
        )  # fmt: skip
        env.tests = _Registry(tests, "test")

        twig_range = _make_range(max_range)

        def fn_forbidden(name: str) -> Callable:
            def forbidden(*args: Any, **kwargs: Any) -> Any:
                raise SecurityError(f"{name}() is not allowed in page content")

            return forbidden

        def fn_cycle(values: Any, position: Any) -> Any:
            seq = list(values.values()) if isinstance(values, Mapping) else list(_limited(values))
            return seq[int(_to_number(position)) % len(seq)] if seq else None

        def fn_date(value: Any = None, tz: Any = None) -> datetime:
            return _to_datetime(value, _tz_arg(tz, renderer.timezone))

        def _values(args: tuple) -> list:
            if len(args) == 1 and isinstance(args[0], (Mapping, list, tuple, set)):
                a = args[0]
                return list(a.values()) if isinstance(a, Mapping) else list(a)
            return list(args)

        def fn_max(*args: Any) -> Any:
            vals = _values(args)
            return max(vals, key=functools.cmp_to_key(_php_cmp)) if vals else None

        def fn_min(*args: Any) -> Any:
            vals = _values(args)
            return min(vals, key=functools.cmp_to_key(_php_cmp)) if vals else None

        def fn_random(values: Any = None, maximum: Any = None) -> Any:
            values = _undef(values)
            if values is None:
                return random.randint(0, 2**31 - 1) if maximum is None else random.randint(0, int(_to_number(maximum)))
            if isinstance(values, (int, float)) and not isinstance(values, bool):
                lo, hi = (0, int(values)) if maximum is None else (int(values), int(_to_number(maximum)))
                return random.randint(min(lo, hi), max(lo, hi))
            if isinstance(values, str):
                return random.choice(values) if values else ""
            seq = list(values.values()) if isinstance(values, Mapping) else list(_limited(values))
            return random.choice(seq) if seq else None

        def fn_attribute(obj: Any, name: Any, args: Any = None) -> Any:
            value = env.getattr(obj, _php_str(name)) if isinstance(name, str) else env.getitem(obj, name)
            if args is not None and callable(value):
                if not env.is_safe_callable(value):
                    raise SecurityError(f"{name!r} is not safely callable")
                return value(*list(args))
            if inspect.ismethod(value) and env.is_safe_callable(value):
                return value()
            return value

        def fn_arrow(params: str, body: str, **captured: Any) -> _Arrow:
            return _Arrow(renderer._arrow_expr(body), [p for p in params.split(",") if p], captured)

        def fn_slice(value: Any, start: Any, length: Any) -> Any:
            return f_slice(value, start, length)

        def fn_dump(*args: Any) -> str:
            return ""

        globals_: dict[str, Any] = {
            "range": twig_range, "cycle": fn_cycle, "date": fn_date, "max": fn_max, "min": fn_min,
            "random": fn_random, "attribute": fn_attribute, "dump": fn_dump, "t": f_trans,
            "include": fn_forbidden("include"), "source": fn_forbidden("source"),
            "template_from_string": fn_forbidden("template_from_string"),
            "_twig_coalesce": _twig_coalesce, "_twig_range": twig_range, "_twig_slice": fn_slice,
            "_twig_iter": _twig_iter, "_twig_items": _twig_items, "_twig_starts_with": _twig_starts_with,
            "_twig_ends_with": _twig_ends_with, "_twig_cmp": _php_cmp, "_twig_arrow": fn_arrow,
        }  # fmt: skip
        globals_.update(extra_functions)
        env.globals = {k: _capped(v) if callable(v) and not isinstance(v, type) else v for k, v in globals_.items()}

    # -- compilation ------------------------------------------------------------------
    def _arrow_expr(self, body: str) -> Any:
        with self._lock:
            expr = self._arrow_cache.get(body)
            if expr is not None:
                self._arrow_cache.move_to_end(body)
                return expr
        expr = self._env.compile_expression(body, undefined_to_none=False)
        with self._lock:
            self._arrow_cache[body] = expr
            while len(self._arrow_cache) > self._cache_size * 4:
                self._arrow_cache.popitem(last=False)
        return expr

    def _compile(self, source: str) -> _Compiled:
        key = hashlib.sha256(source.encode("utf-8", "surrogatepass")).digest()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        try:
            tr = _Translator(source).translate()
            env = self._env
            code = env.compile(tr.source, filename=_FILENAME)
            template = env.template_class.from_code(env, code, env.make_globals(None))
            for body, line in tr.arrows:
                try:
                    self._arrow_expr(body)
                except TemplateSyntaxError as exc:
                    raise TwigSyntaxError(f"arrow function: {exc.message}", line) from None
            entry = _Compiled(template, tr.rename)
        except TwigSyntaxError as exc:
            entry = _Compiled(error=(exc.lineno, exc.message))
        except TemplateSyntaxError as exc:
            entry = _Compiled(error=(exc.lineno, exc.message or str(exc)))
        except (RecursionError, MemoryError, SyntaxError) as exc:
            entry = _Compiled(error=(None, f"template too complex to compile ({type(exc).__name__})"))
        except Exception as exc:  # noqa: BLE001 - never raise for template problems
            self.logger.exception("Twig compilation failed unexpectedly")
            entry = _Compiled(error=(None, f"cannot compile template ({type(exc).__name__}: {exc})"))
        with self._lock:
            self._cache[key] = entry
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return entry

    # -- rendering ----------------------------------------------------------------------
    def _error(self, source: str, name: str, line: int | None, message: str, kind: str) -> str:
        where = f"{name}:{line}" if line else name
        self.logger.warning("Twig %s in %s: %s", kind, where, message)
        box = (
            '<div class="qalam-twig-error">Twig '
            + html.escape(kind)
            + ": "
            + html.escape(where)
            + ": "
            + html.escape(message)
            + "</div>\n"
        )
        return box + source

    def render(self, source: str, context: Mapping[str, Any], *, name: str = "<page>", lang: str = "en") -> str:
        """Render ``source`` (Twig) with ``context``.

        Never raises for template problems.  A Twig syntax error, or a runtime
        error (including sandbox violations and resource limits), returns the
        *source* with a visible, HTML-escaped error box
        ``<div class="qalam-twig-error">...name:line: message...</div>``
        prepended and logs a warning.  An unknown function call renders a
        ``qalam-missing-function`` placeholder and logs one warning naming the
        function and ``name``.  Undefined variables and attributes render as
        empty.
        """
        if not isinstance(source, str):
            source = _php_str(source)
        if len(source) > self.max_source_chars:
            return self._error(source, name, None, f"template larger than {self.max_source_chars} characters", "error")
        compiled = self._compile(source)
        if compiled.error is not None:
            line, message = compiled.error
            return self._error(source, name, line, message, "syntax error")
        if compiled.over_limit is not None:
            line, message, until = compiled.over_limit
            if time.monotonic() < until:
                return self._error(source, name, line, message, "limit exceeded")
            compiled.over_limit = None
        ctx: dict[str, Any] = {}
        if isinstance(context, Mapping):
            for k, v in context.items():
                if isinstance(k, str):
                    ctx[k] = v
        if compiled.rename:
            ctx["_twig_vars"] = Namespace({n: ctx[n] for n in compiled.rename if n in ctx})
        deadline = time.monotonic() + self.time_limit if self.time_limit else None
        state = _State(name, lang if isinstance(lang, str) else "en", self.logger, self.max_steps, deadline)
        token = _STATE.set(state)
        try:
            out: list[str] = []
            size = 0
            for chunk in compiled.template.generate(ctx):
                size += len(chunk)
                if size > self.max_output_chars:
                    raise TwigLimitError(f"output longer than {self.max_output_chars} characters")
                out.append(chunk)
            return "".join(out)
        except Exception as exc:  # noqa: BLE001 - content errors must never break the page
            message = str(exc) or type(exc).__name__
            if isinstance(exc, RecursionError):
                message = "maximum recursion depth exceeded (runaway macro?)"
            kind = "sandbox error" if isinstance(exc, SecurityError) and not isinstance(exc, TwigLimitError) else "error"
            if isinstance(exc, (TwigLimitError, MemoryError, RecursionError)):
                kind = "limit exceeded"
                compiled.over_limit = (_error_line(exc), message, time.monotonic() + LIMIT_RETRY)
            return self._error(source, name, _error_line(exc), message, kind)
        finally:
            _STATE.reset(token)
