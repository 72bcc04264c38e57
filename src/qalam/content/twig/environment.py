"""The Jinja2 code generator and sandboxed environment with Twig semantics."""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Mapping
from typing import Any, Callable

from jinja2 import nodes as jnodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.runtime import Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_eval_context
from markupsafe import Markup, escape

from .limits import MAX_INT_BITS, MAX_ITEMS, MAX_OUTPUT_CHARS, SAFE_STR_METHODS, TwigLimitError
from .dicts import _dotted_get
from .runtime import (
    _account, _is_missing_name, _missing_function, _php_cmp, _php_eq, _php_str, _safe_float, _tick, _to_number,
    _twig_in, _undef, _warn_once,
)


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
