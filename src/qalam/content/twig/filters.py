"""Twig's filters and tests (Grav's included), each within the limits."""

from __future__ import annotations

import base64
import calendar
import functools
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from jinja2.runtime import Undefined
from jinja2.utils import pass_eval_context
from markupsafe import Markup, escape

from qalam.lang.dates import zone

from .limits import MAX_FORMAT_WIDTH, MAX_ITEMS, MAX_JSON_NODES, MAX_NESTING, MAX_OUTPUT_CHARS, TwigLimitError
from .runtime import (
    _MissingCall, _is_empty, _limited, _php_bool, _php_cmp, _php_eq, _php_str, _require_arrow, _to_number,
    _twig_ends_with, _twig_in, _twig_starts_with, _undef,
)


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
