"""Split Grav page files into YAML front matter and Markdown body, and parse the YAML.

Splitting follows rockettheme/toolbox ``MarkdownFile::decode`` (used by Grav 1.7/2.0):

* CR LF and lone CR become LF;
* leading whitespace (PHP ``ltrim``: space, tab, LF, CR, NUL, VT) is ignored when
  looking for the header;
* the header is ``^---\\n(.+?)\\n---\\n*(.*)$`` (dot matches newline, case-insensitive):
  it ends at the first line that *starts* with ``---`` (anything after those three
  dashes on that line belongs to the body), and the newlines right after the closing
  line are dropped;
* no match (this includes an empty header ``---\\n---``) means the whole file is body.

YAML is read with ruamel.yaml using the YAML 1.2 core schema, as Grav's Symfony YAML 4.4
does: ``yes``/``no``/``on``/``off`` stay strings, ``014`` is the integer 14, ``0o14`` is 12.
The libyaml-based C parser of ``ruamel.yaml.clib`` is used when installed (about four
times faster); a document it rejects is read again by the pure-Python parser, which gives
the error messages, so both parsers accept the same documents.

Grav leniencies reproduced here:

* **Leading tabs.** Grav replaces ``"\\n\\t"`` in the header with four spaces. We expand
  *every* tab of a line's leading run of tabs to four spaces (Grav only the first one),
  so ``\\t\\tkey: v`` is indented by eight spaces.
* **Reserved first characters.** Symfony YAML 4.4 rejects plain scalars that start with
  ``@`` (also a backtick or ``%``); Grav then falls back to an older, lenient parser that reads
  them as strings, so ``items: @self.children`` works. We do the same: where the YAML
  parser stops at such a character, the plain scalar that starts there is wrapped in
  single quotes and the document is parsed again (the edit never adds or removes a line,
  so error line numbers stay right). Text inside block scalars (``|``/``>``) and quoted
  strings is never touched, because the parser never stops there.
* **Duplicate keys** are accepted and the *first* value wins (unless it is null). Symfony
  YAML 4.4 throws "Duplicate key" for them, Grav then falls back to its Symfony 2.8 based
  parser (rockettheme/toolbox ``Compat\\Yaml``), which keeps the first value
  ("Keys MUST be unique; first one wins", tested with PHP's ``isset``). With the PECL
  ``yaml`` extension installed Grav would use libyaml instead, where the last one wins.
* Key order is kept.

Deliberate differences from Grav:

* **Unquoted dates stay readable.** Symfony turns ``date: 2022-01-06`` or an unquoted YAML
  timestamp into an integer epoch, which Grav's date parser then rejects, so the page
  falls back to the file mtime (grav#3812). We return an ISO 8601 string instead:
  ``'2022-01-06'``, ``'2022-01-06T10:00:00'``, ``'2022-01-06T10:00:00.500000+06:00'``
  (``Z`` is written ``+00:00``, fractions are padded to six digits). A calendar-invalid
  value such as ``2022-02-30`` is kept as the string written.
* **A UTF-8 BOM is removed** before splitting. Older rockettheme/toolbox releases keep it,
  so a BOM makes the whole file, header included, body; newer ones strip it (with a
  byte-wise ``ltrim($var, "\xef\xbb\xbf")``, which can also eat the first bytes of a
  leading U+F000–U+FFFF character; we remove exactly one U+FEFF).
* **Mapping keys are always strings.** PHP cannot tell ``1`` from ``'1'`` as an array
  key; we write integer keys in decimal (``0x1A: x`` gives the key ``'26'``). Keys that
  Symfony refuses (``true:``, ``null:``, ``1.5:``, dates) are accepted and kept as written.
  A list or mapping used as a key is an error.
* ``!!binary`` values are decoded to text (UTF-8, bad bytes replaced) so that the header
  stays JSON-serialisable; ``!!set`` gives a list; unknown ``!tags`` are an error.
* YAML 1.2 integers: ``014`` is 14 and ``0o14`` is 12. Symfony 4.4 reads ``014`` as octal
  (12) and ``0o14`` as a string.
* Control characters that YAML forbids (e.g. U+0008, U+001B, C1 controls) are reported
  as an error with their line; PHP would accept them.
* Headers nested deeper than a few hundred levels, or whose aliases expand to more than
  a million values, are reported as errors instead of exhausting memory or the stack.
* A header that cannot be parsed: Grav replaces the page body with the error message;
  :func:`parse_page_text` returns ``header={}``, the real body and the error, and the
  caller decides what to show.
* Grav's fallback parser also accepts some other invalid YAML (for example an unquoted
  ``": "`` inside a value, ``title: a: b``). We report those as errors with the file line
  and a hint such as ``quote the value: title: "a: b"``; the caller decides what to show.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import ConstructorError, SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import Resolver

try:  # the libyaml-based parser; optional
    from ruamel.yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - depends on the installation
    _CParser = None

__all__ = [
    "FrontMatterError",
    "PageSource",
    "split_front_matter",
    "parse_yaml",
    "parse_page_text",
    "read_page_file",
    "load_yaml_file",
]


# ---------------------------------------------------------------------------
# Public types
# ---------------------------------------------------------------------------


class FrontMatterError(ValueError):
    """A header or YAML file that cannot be read.

    ``str(err)`` is ``"path:line: message — hint"`` (``"path: message"`` when the line is
    unknown, without ``" — hint"`` when there is no hint).
    """

    path: str
    line: int | None
    message: str
    hint: str | None
    source_line: str | None
    column: int | None

    def __init__(
        self,
        path: str,
        line: int | None,
        message: str,
        hint: str | None = None,
        source_line: str | None = None,
        *,
        column: int | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        self.hint = hint
        self.source_line = source_line
        self.column = column  # 1-based, informational only; not part of str(err)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text

    def __reduce__(self):  # keep pickling (multiprocessing index builds) working
        return (
            _rebuild_error,
            (self.path, self.line, self.message, self.hint, self.source_line, self.column),
        )


def _rebuild_error(path, line, message, hint, source_line, column):
    return FrontMatterError(path, line, message, hint, source_line, column=column)


@dataclass
class PageSource:
    """A page file split and parsed.

    ``header`` is JSON-serialisable (plain dict/list/str/int/float/bool/None, dates as ISO
    strings); ``body_line`` is the 1-based file line where ``body`` starts; ``error`` is
    set when the header could not be read, and ``header`` is then ``{}``.
    """

    header: dict
    body: str
    body_line: int
    has_header: bool
    error: FrontMatterError | None = None
    #: problems Grav tolerates (its fallback YAML parser reads them); the header is usable
    warnings: list[FrontMatterError] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Splitting
# ---------------------------------------------------------------------------

_FRONT_MATTER_RE = re.compile(r"^---\n(.+?)\n---\n*(.*)$", re.S | re.I)
_PHP_LTRIM = " \t\n\r\0\x0b"


def _normalise_newlines(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _split(text: str) -> tuple[str | None, str, int, int]:
    """Return (header_text, body, body_line, header_first_line); header_first_line is 0
    when there is no header."""
    text = _normalise_newlines(text)
    trimmed = text.lstrip(_PHP_LTRIM)
    offset = len(text) - len(trimmed)
    match = _FRONT_MATTER_RE.match(trimmed)
    if match is None:
        return None, text, 1, 0
    leading_lines = text.count("\n", 0, offset)
    header_line = leading_lines + 2  # the line after the opening ---
    body_line = 1 + text.count("\n", 0, offset + match.start(2))
    return match.group(1), match.group(2), body_line, header_line


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Split page text the way Grav (rockettheme ``MarkdownFile``) does.

    CR LF / CR become LF, a leading UTF-8 BOM is removed (a deliberate difference: Grav
    keeps it), leading whitespace is skipped, and the header is matched by
    ``^---\\n(.+?)\\n---\\n*(.*)$`` (DOTALL, case-insensitive): it closes at the first line
    starting with ``---`` and the newlines after that line are dropped. Without a match
    (an empty header included) the result is ``(None, text, 1)`` with the line endings
    normalised. ``body_line`` is the 1-based line of the file where the body starts.
    """
    header, body, body_line, _ = _split(text)
    return header, body, body_line


# ---------------------------------------------------------------------------
# YAML loading
# ---------------------------------------------------------------------------

_TIMESTAMP_RE = re.compile(
    r"""^(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})
    (?:(?:[Tt]|[ \t]+)(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})
    (?:\.(?P<fraction>[0-9]*))?
    (?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9]{1,2})(?::?(?P<tz_minute>[0-9]{2}))?))?)?$""",
    re.X,
)


def _timestamp_to_iso(text: str) -> str:
    """Normalise a YAML timestamp scalar to ISO 8601; return it unchanged when invalid."""
    m = _TIMESTAMP_RE.match(text)
    if m is None:
        return text
    try:
        day = _dt.date(int(m["year"]), int(m["month"]), int(m["day"]))
    except ValueError:
        return text
    if m["hour"] is None:
        return day.isoformat()
    hour, minute, second = int(m["hour"]), int(m["minute"]), int(m["second"])
    if hour > 23 or minute > 59 or second > 59:
        return text
    out = f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}"
    fraction = (m["fraction"] or "").rstrip()
    if fraction:
        out += "." + fraction[:6].ljust(6, "0")
    if m["tz"]:
        if m["tz"] == "Z":
            out += "+00:00"
        else:
            tz_hour = int(m["tz_hour"])
            tz_minute = int(m["tz_minute"] or 0)
            if tz_hour > 23 or tz_minute > 59:
                return text
            out += f"{m['tz_sign']}{tz_hour:02d}:{tz_minute:02d}"
    return out


class _GravConstructor(SafeConstructor):
    """Safe constructor with Grav's (PHP array) semantics for mappings."""

    def check_mapping_key(self, node, key_node, mapping, key, value) -> bool:
        return True  # duplicates are handled in construct_mapping

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        """Build a dict with string keys and PHP's duplicate-key rule.

        Symfony YAML 4.4 refuses duplicate keys; Grav then re-reads the header with its
        Symfony 2.8 based fallback parser, where the first value wins unless it is null
        (``isset``). Keys written in the mapping override keys merged in with ``<<``.
        """
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, f"expected a mapping node, but found {node.id!s}", node.start_mark)
        self.flatten_mapping(node)  # '<<' merge keys; their pairs come first in node.value
        merged = len(node.merge) if getattr(node, "merge", None) else 0
        mapping: dict[str, Any] = {}
        written: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, ScalarNode):
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "a list or mapping cannot be used as a key",
                    key_node.start_mark,
                )
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                if isinstance(key, int) and not isinstance(key, bool):
                    key = str(key)
                else:
                    key = str(key_node.value)
            # merged pairs come first, ordered by ruamel so that later ones override
            from_merge = index < merged
            if key in written and mapping[key] is not None:
                continue  # duplicate key: the first (non-null) value wins
            mapping[key] = self.construct_object(value_node, deep=deep)
            if not from_merge:
                written.add(key)
        return mapping

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        return _timestamp_to_iso(str(node.value))

    def construct_yaml_binary(self, node: Any) -> Any:
        data = SafeConstructor.construct_yaml_binary(self, node)
        return data.decode("utf-8", errors="replace")


_GravConstructor.add_constructor("tag:yaml.org,2002:timestamp", _GravConstructor.construct_yaml_timestamp)
_GravConstructor.add_constructor("tag:yaml.org,2002:binary", _GravConstructor.construct_yaml_binary)


class _Resolver12(Resolver):
    """The YAML 1.2 implicit resolvers, fixed at class level (no per-load table build)."""

    @property
    def processing_version(self) -> Any:
        return (1, 2)


if _CParser is not None:

    class _FastLoader(_CParser, _GravConstructor, _Resolver12):  # type: ignore[misc, valid-type]
        """libyaml reader/scanner/parser/composer + our constructor, one object per load.

        Mirrors what ``YAML.load`` builds for ``typ='safe'`` on every call, but the class
        is created once. Instances are never shared, so this is thread-safe.
        """

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            self._parser = self._composer = self
            _GravConstructor.__init__(self, loader=self)
            self.allow_duplicate_keys = True
            _Resolver12.__init__(self, loadumper=self)

else:  # pragma: no cover
    _FastLoader = None


def _pure_yaml() -> YAML:
    """A fresh pure-Python safe loader.

    Used only for documents the C parser rejects (and for very deep ones), so a new
    object per call costs little and leaves no state behind after a failed load.
    """
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = True
    yaml.Constructor = _GravConstructor
    return yaml


def _load_fast(text: str) -> Any:
    loader = _FastLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _load_pure(text: str) -> Any:
    return _pure_yaml().load(text)


# libyaml's composer recurses in C and crashes the process on very deep nesting (near
# 1000 levels on a thread with a 256 KiB stack). Deeper documents go to the pure parser,
# and beyond _MAX_DEPTH nobody tries.
_FAST_MAX_DEPTH = 100
_MAX_DEPTH = 250
_MAX_REPAIRS = 1000
_MAX_NODES = 1_000_000
_RESERVED_START = "@`%"


def _flow_context(lines: list[str], line_no: int, col: int) -> bool:
    """Guess whether column ``col`` of line ``line_no`` is inside a flow collection."""
    depth = 0
    quote = None
    line = lines[line_no]
    prev = " "
    i = 0
    while i < col:
        c = line[i]
        if quote == "'":
            if c == "'":
                if i + 1 < col and line[i + 1] == "'":
                    i += 1
                else:
                    quote = None
        elif quote == '"':
            if c == "\\":
                i += 1
            elif c == '"':
                quote = None
        elif c in "'\"" and prev in " \t[{,:":
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth = max(0, depth - 1)
        prev = c
        i += 1
    if depth > 0:
        return True
    before = line[:col].strip()
    if before in ("", ",") or before.endswith(","):
        for j in range(line_no - 1, -1, -1):
            previous = lines[j].rstrip()
            if previous.strip() and not previous.lstrip().startswith("#"):
                return previous[-1] in "[{,"
    return False


def _plain_scalar_end(line: str, col: int, flow: bool) -> int:
    n = len(line)
    i = col + 1
    while i < n:
        c = line[i]
        if c == "#" and line[i - 1] in " \t":
            return i
        if c == ":" and (i + 1 == n or line[i + 1] in " \t" or (flow and line[i + 1] in ",[]{}")):
            return i
        if flow and c in ",[]{}":
            return i
        i += 1
    return n


def _repair_reserved(text: str, exc: Exception) -> str | None:
    """Quote the plain scalar at which the parser stopped, if it starts with @ ` or %."""
    if not isinstance(exc, MarkedYAMLError) or exc.problem_mark is None:
        return None
    if "cannot start any token" not in (exc.problem or ""):
        return None
    index = exc.problem_mark.index
    if not (0 <= index < len(text)) or text[index] not in _RESERVED_START:
        return None
    line_start = text.rfind("\n", 0, index) + 1
    col = index - line_start
    lines = text.split("\n")
    line_no = text.count("\n", 0, index)
    line = lines[line_no]
    if text[index] == "%" and col == 0:
        return None  # a directive, not a scalar
    end = _plain_scalar_end(line, col, _flow_context(lines, line_no, col))
    scalar = line[col:end].rstrip(" \t")
    quoted = "'" + scalar.replace("'", "''") + "'"
    lines[line_no] = line[:col] + quoted + line[col + len(scalar) :]
    return "\n".join(lines)


class _LoadFailed(Exception):
    """A load that failed; ``text`` is the document after the repairs made so far."""

    def __init__(self, error: BaseException, text: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.text = text


def _load_repairing(text: str, load) -> Any:
    repairs = 0
    while True:
        try:
            return load(text)
        except MarkedYAMLError as exc:
            repaired = _repair_reserved(text, exc) if repairs < _MAX_REPAIRS else None
            if repaired is None:
                raise _LoadFailed(exc, text) from None
            text = repaired
            repairs += 1
        except Exception as exc:  # noqa: BLE001
            raise _LoadFailed(exc, text) from None


_LEADING_TABS_RE = re.compile(r"^\t+", re.M)


def _expand_leading_tabs(text: str) -> str:
    if "\t" not in text:
        return text
    return _LEADING_TABS_RE.sub(lambda m: "    " * len(m.group(0)), text)


_BRACKETS_RE = re.compile(r"[\[\]{}]")
_COMPACT_RE = re.compile(r"(?:[-?][ \t]+){2,}")


def _nesting(text: str) -> int:
    """Upper estimate of how deep a document nests within one line's worth of syntax:
    the deepest bracket nesting plus the longest run of compact ``- - -``/``? ?``
    indicators. Quotes are ignored, so unbalanced brackets in strings count too."""
    depth = deepest = 0
    if "[" in text or "{" in text:
        for m in _BRACKETS_RE.finditer(text):
            if m.group(0) in "[{":
                depth += 1
                if depth > deepest:
                    deepest = depth
            elif depth:
                depth -= 1
    compact = 0
    if "- " in text or "? " in text:
        for m in _COMPACT_RE.finditer(text):
            run = m.group(0)
            compact = max(compact, run.count("-") + run.count("?"))
    return deepest + compact


def _load(text: str) -> Any:
    """Load one YAML document; raise the pure parser's exception when it is invalid."""
    nesting = _nesting(text)
    if nesting > _MAX_DEPTH:
        raise RecursionError("nested too deeply")
    if _FastLoader is not None and nesting <= _FAST_MAX_DEPTH:
        try:
            return _load_repairing(text, _load_fast)
        except _LoadFailed as failed:
            # the pure parser decides (libyaml and ruamel differ in corner cases) and
            # explains; it starts from the repairs already made
            text = failed.text
    return _load_repairing(text, _load_pure)


class _TooBig(Exception):
    pass


class _Cyclic(Exception):
    pass


def _to_plain(value: Any) -> Any:
    """Copy ``value`` into plain dict/list/str/int/float/bool/None."""
    budget = [_MAX_NODES]
    active: set[int] = set()

    def conv(obj: Any) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooBig
        if obj is None or isinstance(obj, (str, bool, int, float)):
            return obj
        if isinstance(obj, dict):
            ident = id(obj)
            if ident in active:
                raise _Cyclic
            active.add(ident)
            out = {k if isinstance(k, str) else str(k): conv(v) for k, v in obj.items()}
            active.discard(ident)
            return out
        if isinstance(obj, (list, tuple)):
            ident = id(obj)
            if ident in active:
                raise _Cyclic
            active.add(ident)
            out_list = [conv(v) for v in obj]
            active.discard(ident)
            return out_list
        if isinstance(obj, (set, frozenset)):
            return [conv(v) for v in sorted(obj, key=str)]
        if isinstance(obj, (bytes, bytearray)):
            return bytes(obj).decode("utf-8", errors="replace")
        if hasattr(obj, "isoformat"):
            return obj.isoformat()
        return str(obj)

    return conv(value)


# ---------------------------------------------------------------------------
# Error messages
# ---------------------------------------------------------------------------

_KEY_VALUE_RE = re.compile(r"^(?P<dash>(?:-\s+)*)(?P<key>[^\s#'\"][^:#]*?|'[^']*'|\"[^\"]*\"):\s+(?P<value>.*)$")


def _line_of(text: str, index: int) -> int:
    """0-based line of character ``index`` (clamped to the last non-empty line)."""
    lines = text.split("\n")
    if index >= len(text):
        last = len(lines) - 1
        while last > 0 and not lines[last].strip():
            last -= 1
        return last
    return text.count("\n", 0, max(index, 0))


def _quote_hint(source: str) -> str:
    m = _KEY_VALUE_RE.match(source.strip())
    if m is None:
        return "put the value in quotes"
    value = m["value"].rstrip()
    value = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'quote the value: {m["dash"]}{m["key"]}: "{value}"'


def _describe(
    exc: MarkedYAMLError, prepared: str, original_lines: list[str]
) -> tuple[int, int | None, str, str | None]:
    """Return (0-based line, 1-based column, message, hint) for a YAML parse error.

    ``prepared`` is the text the parser saw (tabs expanded, reserved scalars quoted);
    the hints quote the line as the author wrote it.
    """
    problem = exc.problem or ""
    context = exc.context or ""
    mark = exc.problem_mark if exc.problem_mark is not None else exc.context_mark
    if "end of stream" in problem and exc.context_mark is not None:
        mark = exc.context_mark
    if "could not find expected ':'" in problem and exc.context_mark is not None:
        mark = exc.context_mark
    if mark is None:
        return 0, None, (f"{context}: {problem}" if context else problem) or "invalid YAML", None
    index = min(max(mark.index, 0), len(prepared))
    line_no = _line_of(prepared, index)
    lines = prepared.split("\n")
    line = lines[line_no] if line_no < len(lines) else ""
    column = index - (prepared.rfind("\n", 0, index) + 1) + 1 if index < len(prepared) else None

    written = original_lines[line_no] if line_no < len(original_lines) else line
    if "mapping values are not allowed" in problem:
        body = line.lstrip(" ")
        dash = re.match(r"(?:-\s+)*", body).group(0)  # type: ignore[union-attr]
        first_colon = body.find(":", len(dash))
        mark_col = index - (prepared.rfind("\n", 0, index) + 1)
        if first_colon >= 0 and (len(line) - len(body)) + first_colon == mark_col:
            return (
                line_no,
                column,
                "unexpected indentation",
                "a key must line up with the keys above it; check the spaces at the start "
                "of this line and whether the line above ends a value early",
            )
        return line_no, column, 'a value contains ": " but is not quoted', _quote_hint(written)
    if "cannot start any token" in problem:
        if "'\\t'" in problem:
            return line_no, column, "a tab is used for indentation", "indent with spaces instead of tabs"
        char = prepared[index] if index < len(prepared) else "?"
        return line_no, column, f"a value cannot start with {char!r}", _quote_hint(written)
    if "while scanning a quoted scalar" in context and "end of stream" in problem:
        return line_no, column, "a quoted value is never closed", "add the closing quote"
    if "unknown escape character" in problem or "expected escape sequence" in problem:
        return (
            line_no,
            column,
            "unknown escape sequence in a double-quoted value",
            "use single quotes, or write each backslash as \\\\",
        )
    if "found undefined alias" in problem:
        name = problem.rsplit(" ", 1)[-1].strip("'")
        return (
            line_no,
            column,
            f"unknown alias *{name}",
            "define the anchor &" + name + " first, or quote the value if '*' is meant literally",
        )
    if "could not find expected ':'" in problem:
        return (
            line_no,
            column,
            "a line is not of the form 'key: value'",
            "put a space after the colon, or indent a continued value further",
        )
    if "expected a single document" in context or "expected a single document" in problem:
        for j in range(min(line_no, len(lines) - 1), -1, -1):
            if lines[j].startswith(("---", "...")):
                line_no, column = j, 1
                break
        return (
            line_no,
            column,
            "the front matter contains a second document ('---' or '...')",
            "remove the extra separator line",
        )
    if "cannot be used as a key" in problem:
        return line_no, column, problem, "quote the key"
    if "flow" in context and (
        "end of stream" in problem
        or "<stream end>" in problem
        or (exc.context_mark is not None and exc.context_mark.line != mark.line)
    ):
        if exc.context_mark is not None:
            line_no = _line_of(prepared, exc.context_mark.index)
            column = exc.context_mark.column + 1
        return line_no, column, "a [...] or {...} value is not closed", "add the missing ']' or '}'"
    if "flow" in context:
        return (
            line_no,
            column,
            "unexpected text inside a [...] or {...} value",
            "separate items with ', ' and quote items that contain ',', ':', '[', ']', '{' or '}'",
        )
    if "found '<scalar>'" in problem or "did not find expected key" in problem or "expected <block end>" in problem:
        indent = len(line) - len(line.lstrip(" "))
        if column is None or column - 1 <= indent:
            return (
                line_no,
                column,
                "unexpected indentation",
                "check the spaces at the start of this line",
            )
        before = line[: column - 1].rstrip()
        if before.endswith("'"):
            return (
                line_no,
                column,
                "unexpected text after a quoted value",
                "inside '...' write an apostrophe as '' (two single quotes), or quote the "
                "whole value with double quotes",
            )
        if before.endswith('"'):
            return (
                line_no,
                column,
                "unexpected text after a quoted value",
                'inside "..." write a double quote as \\", or quote the whole value with single quotes',
            )
        return line_no, column, "unexpected text after a value", "quote the whole value"
    if "could not determine a constructor for the tag" in problem:
        tag = problem.rsplit(" ", 1)[-1].strip("'")
        return line_no, column, f"unknown tag {tag}", "quote the value if the '!' is meant literally"
    message = f"{context}: {problem}" if context else problem
    return line_no, column, message or "invalid YAML", None


def _error(path: str, first_line: int, original: str, prepared: str, exc: BaseException) -> FrontMatterError:
    original_lines = original.split("\n")

    def source(line_no: int) -> str | None:
        return original_lines[line_no] if 0 <= line_no < len(original_lines) else None

    if isinstance(exc, ReaderError):
        line_no = _line_of(prepared, exc.position) if isinstance(exc.position, int) else 0
        char = exc.character
        if isinstance(char, int):
            message = f"control character U+{char:04X} is not allowed"
        else:
            message = f"character {char!r} is not allowed"
        return FrontMatterError(path, first_line + line_no, message, "remove it", source(line_no))
    if isinstance(exc, MarkedYAMLError):
        line_no, column, message, hint = _describe(exc, prepared, original_lines)
        return FrontMatterError(path, first_line + line_no, message, hint, source(line_no), column=column)
    if isinstance(exc, RecursionError):
        return FrontMatterError(path, None, "the YAML is nested too deeply")
    if isinstance(exc, _TooBig):
        return FrontMatterError(path, None, f"the YAML expands to more than {_MAX_NODES} values (aliases?)")
    if isinstance(exc, _Cyclic):
        return FrontMatterError(path, None, "the YAML refers to itself through an alias")
    if isinstance(exc, YAMLError):
        return FrontMatterError(path, None, f"invalid YAML: {exc}")
    return FrontMatterError(path, None, f"could not read the YAML: {type(exc).__name__}: {exc}")


def _first_content_line(text: str) -> int:
    for i, line in enumerate(text.split("\n")):
        if line.strip() and not line.lstrip().startswith("#"):
            return i
    return 0


def parse_yaml(text: str, *, path: str = "<string>", first_line: int = 1) -> dict:
    """Parse a YAML mapping with Grav's leniencies (see the module docstring).

    ``first_line`` is the line of the file where ``text`` starts, so that errors name file
    lines. An empty or comment-only document gives ``{}``; any other document whose top
    level is not a mapping, and any YAML error, raises :class:`FrontMatterError`.
    """
    path = str(path)
    if not text.strip(" \t\n\r"):
        return {}
    prepared = _expand_leading_tabs(text)
    try:
        try:
            data = _load(prepared)
        except _LoadFailed as failed:
            prepared = failed.text
            raise failed.error from None
        if data is None:
            return {}
        if not isinstance(data, dict):
            line_no = _first_content_line(text)
            kind = "a list" if isinstance(data, list) else "a single value"
            raise FrontMatterError(
                path,
                first_line + line_no,
                f"the YAML is {kind}, not 'key: value' lines",
                "write one 'key: value' per line, with a space after the colon",
                text.split("\n")[line_no],
            )
        return _to_plain(data)
    except FrontMatterError:
        raise
    except Exception as exc:  # noqa: BLE001 - every content problem becomes an error
        raise _error(path, first_line, text, prepared, exc) from None


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


#: C0 control characters other than tab and line ends: never meaningful in a page, and not
#: allowed in XML 1.0 (a feed or sitemap with one cannot be written). Dropped when read.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_controls(value: Any) -> Any:
    """``value`` (a parsed header or config) with control characters removed from every string."""
    if isinstance(value, str):
        return _CONTROLS.sub("", value) if _CONTROLS.search(value) else value
    if isinstance(value, dict):
        return {without_controls(k): without_controls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_controls(v) for v in value]
    return value


def parse_page_text(text: str, *, path: str = "<string>") -> PageSource:
    """Split and parse a page. YAML problems are returned in ``error`` (header ``{}``)."""
    page = _parse_page_text(text, path=path)
    page.header = without_controls(page.header)
    if _CONTROLS.search(page.body):
        page.body = _CONTROLS.sub("", page.body)
    return page


def _parse_page_text(text: str, *, path: str = "<string>") -> PageSource:
    path = str(path)
    header_text, body, body_line, header_line = _split(text)
    if header_text is None:
        trimmed = _normalise_newlines(text).lstrip(_PHP_LTRIM)
        if trimmed.startswith("---\n") and trimmed[4:].strip() and not re.search(r"^---", trimmed[4:], re.M):
            # Grav publishes such a page with its header as text; Qalam shows the notice of an
            # unreadable header instead (a header may hold notes not meant for readers).
            line = _normalise_newlines(text).count("\n", 0, len(text) - len(trimmed)) + 1
            err = FrontMatterError(path, line, "the header opened by '---' is never closed",
                                   "add a line with only '---' where the header ends")
            return PageSource(header={}, body=body, body_line=body_line, has_header=True, error=err)
        return PageSource(header={}, body=body, body_line=body_line, has_header=False)
    try:
        header = parse_yaml(header_text, path=path, first_line=header_line)
    except FrontMatterError as err:
        lenient = _parse_like_grav_fallback(header_text, path, header_line, err)
        if lenient is not None:
            header, warnings = lenient
            return PageSource(header=header, body=body, body_line=body_line, has_header=True, warnings=warnings)
        return PageSource(header={}, body=body, body_line=body_line, has_header=True, error=err)
    return PageSource(header=header, body=body, body_line=body_line, has_header=True)


_UNQUOTED_COLON = 'a value contains ": " but is not quoted'
_BLOCK_KEY_VALUE = re.compile(r"^(\s*(?:-\s+)?[^\s#'\"\[{][^:#]*?:[ \t]+)([^'\"\[{|>&*!#\s].*?)\s*$")


def _parse_like_grav_fallback(
    text: str, path: str, first_line: int, err: FrontMatterError
) -> tuple[dict, list[FrontMatterError]] | None:
    """Grav re-reads a header that Symfony YAML 4.4 rejects with its older fallback parser,
    which accepts an unquoted ``title: a: b`` (value ``'a: b'``). Do the same, but keep
    each repair as a warning so `qalam check` still asks for the value to be quoted."""
    warnings: list[FrontMatterError] = []
    lines = text.split("\n")
    for _ in range(50):
        if err.message != _UNQUOTED_COLON or err.line is None:
            return None
        index = err.line - first_line
        if not 0 <= index < len(lines):
            return None
        m = _BLOCK_KEY_VALUE.match(lines[index])
        if m is None:
            return None
        value = m.group(2)
        lines[index] = m.group(1) + "'" + value.replace("'", "''") + "'"
        warnings.append(
            FrontMatterError(path, err.line, err.message + " (read as Grav's fallback parser does)",
                             err.hint, err.source_line)
        )
        try:
            return parse_yaml("\n".join(lines), path=path, first_line=first_line), warnings
        except FrontMatterError as again:
            err = again
    return None


def _decode(raw: bytes, path: str) -> tuple[str, FrontMatterError | None]:
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        offset = exc.start
        before = raw[:offset]
        line = before.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
        err = FrontMatterError(
            path,
            line,
            f"not valid UTF-8: byte 0x{raw[offset]:02X} at offset {offset}",
            "save the file as UTF-8",
        )
        return raw.decode("utf-8-sig", errors="replace"), err


def read_page_file(
    path: str | os.PathLike, *, root: str | os.PathLike | None = None, max_bytes: int | None = None
) -> PageSource:
    """Read and parse a page file. Only ``OSError`` is raised (:class:`~.safefs.UnsafeFile` for a
    file outside ``root``, not regular, or over ``max_bytes``); content problems are reported in
    ``PageSource.error`` (bytes that are not UTF-8 included: the header is then ``{}`` and the
    body is decoded with U+FFFD replacements)."""
    from .safefs import DEFAULT_MAX_PAGE_BYTES, read_bytes

    name = os.fspath(path)
    raw = read_bytes(name, root if root is not None else os.path.dirname(os.path.abspath(name)),
                     max_bytes=max_bytes or DEFAULT_MAX_PAGE_BYTES,
                     too_large_hint="split it into several pages, or raise qalam.max_page_bytes in config/qalam.yaml")
    return parse_page_bytes(raw, name)


def parse_page_bytes(raw: bytes, name: str) -> PageSource:
    """Parse the bytes of a page file (see :func:`read_page_file`)."""
    text, decode_error = _decode(raw, str(name))
    page = parse_page_text(text, path=str(name))
    if decode_error is not None:
        page.header = {}
        page.error = decode_error
    return page


def load_yaml_file(path: str | os.PathLike, *, root: str | os.PathLike | None = None) -> dict:
    """Read a YAML configuration file (``site.yaml``, ``system.yaml`` ...).

    Same leniencies as page headers; an empty file gives ``{}``; problems raise
    :class:`FrontMatterError` (I/O problems, and files refused by :mod:`.safefs` — outside
    ``root``, not regular, too big — raise ``OSError``).
    """
    from .safefs import MAX_CONFIG_BYTES, read_bytes

    name = os.fspath(path)
    raw = read_bytes(name, root if root is not None else os.path.dirname(os.path.abspath(name)),
                     max_bytes=MAX_CONFIG_BYTES)
    text, decode_error = _decode(raw, str(name))
    if decode_error is not None:
        raise decode_error
    return without_controls(parse_yaml(_normalise_newlines(text), path=str(name), first_line=1))
