"""TwigRenderer: compile (cached), render with limits, error boxes instead of exceptions."""

from __future__ import annotations

import functools
import hashlib
import html
import inspect
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Callable

from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Namespace, Undefined, missing
from markupsafe import Markup, escape

from qalam.lang.dates import format_php_date, zone

from .limits import (
    MAX_OUTPUT_CHARS, MAX_RANGE, MAX_SOURCE_CHARS, MAX_STEPS, TIME_LIMIT, TwigLimitError, TwigSyntaxError,
    _FILENAME, _LOG,
)
from .translate import _Translator
from .runtime import (
    _Arrow, _STATE, _State, _TwigUndefined, _capped, _is_empty, _limited, _make_range, _php_bool, _php_cmp,
    _php_str, _require_arrow, _to_number, _twig_coalesce, _twig_ends_with, _twig_items, _twig_iter,
    _twig_starts_with, _undef,
)
from .environment import _Registry, _TwigEnvironment, _finalize
from .filters import (
    _nicetime, _to_datetime, _tz_arg, f_abs, f_array, f_array_unique, f_base64_decode, f_base64_encode, f_basename,
    f_batch, f_bool, f_capitalize, f_contains, f_default, f_defined, f_dirname, f_ends_with, f_escape, f_first,
    f_float, f_format, f_int, f_join, f_json_decode, f_json_encode, f_keys, f_ksort, f_last, f_length, f_lower,
    f_ltrim, f_md5, f_merge, f_nicefilesize, f_nl2br, f_number_format, f_raw, f_replace, f_reverse, f_round,
    f_rtrim, f_safe_email, f_safe_truncate, f_slice, f_sort, f_spaceless, f_split, f_starts_with, f_string,
    f_striptags, f_title, f_trans, f_trim, f_truncate, f_upper, f_url_encode, t_divisibleby, t_even, t_iterable,
    t_null, t_odd, t_sameas,
)


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
