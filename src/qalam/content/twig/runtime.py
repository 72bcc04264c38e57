"""Runtime values and state: PHP-like values, the render state and its caps, helpers called by translated templates."""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

from jinja2.runtime import Undefined, missing
from markupsafe import Markup, escape

from .limits import MAX_ITEMS, MAX_OUTPUT_CHARS, MAX_WORK_CHARS, MAX_WORK_ITEMS, TwigLimitError, _LOG


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
