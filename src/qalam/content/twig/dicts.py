"""TwigDict: a dict with attribute access and dotted get, for Grav-style config in a context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

from jinja2.runtime import Undefined


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
