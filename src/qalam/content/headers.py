"""The shapes of page header keys Qalam reads, checked once when a page is built.

A header is read at request time (listings, feeds, dates, routes), so a value of the wrong
shape — ``content.order.custom: true`` where a list is read, ``taxonomy: tag`` where a mapping
is — must never reach that code: :func:`conform` drops it (the page degrades to the default
behaviour) and returns a problem for ``qalam check`` naming the key and the fix
(docs/security.md, class 9). Keys Qalam does not read are kept as they are, for Twig.
"""

from __future__ import annotations

from typing import Any

# Shapes: "scalar" (text, number, yes/no), "list" (of scalars), "map" (of anything),
# "scalars" (a scalar or a list of scalars), "map-or-scalar", "items" (a collection's items),
# or a dict of sub-keys for a mapping whose own keys are checked too.
SCALAR, LIST, MAP, SCALARS, MAP_OR_SCALAR, ANY_LIST = "scalar", "list", "map", "scalars", "map-or-scalar", "any-list"

SHAPES: dict[str, Any] = {
    **{k: SCALAR for k in (
        "title", "menu", "slug", "template", "redirect", "external_url", "media_order", "order_by", "order_dir",
        "dateformat", "date", "publish_date", "unpublish_date", "modified", "published", "visible", "routable",
        "cache_enable", "never_cache_twig", "twig_first", "markdown_extra", "redirect_default_route",
        "header_image", "views", "body_classes", "hide_from_post_list", "continue_link", "language",
    )},
    "order_manual": LIST,
    "taxonomy": "taxonomy",
    "routes": {"default": SCALAR, "canonical": SCALAR, "aliases": SCALARS},
    "content": {
        "items": "items", "order": {"by": SCALAR, "dir": SCALAR, "custom": LIST}, "filter": MAP,
        "limit": SCALAR, "pagination": SCALAR, "dateRange": {"start": SCALAR, "end": SCALAR, "field": SCALAR},
        "url_taxonomy_filters": SCALAR,
    },
    "process": {"markdown": SCALAR, "twig": SCALAR},
    "markdown": {"extra": SCALAR, "auto_line_breaks": SCALAR, "auto_url_links": SCALAR, "escape_markup": SCALAR,
                 "valid_link_attributes": SCALARS},
    "summary": {"enabled": SCALAR, "format": SCALAR, "size": SCALAR, "delimiter": SCALAR},
    "metadata": MAP,
    "sitemap": MAP,
    "lead_image": MAP_OR_SCALAR,
    "dateline": MAP_OR_SCALAR,
    "source": MAP_OR_SCALAR,
    "authors": ANY_LIST,
    "related": ANY_LIST,
}

_WHAT = {
    SCALAR: "a single value (text, number or yes/no)",
    LIST: "a list of values (e.g. [a, b])",
    MAP: "a mapping (key: value lines)",
    SCALARS: "a value or a list of values",
    MAP_OR_SCALAR: "a value or a mapping",
    ANY_LIST: "a value or a list",
    "items": "'@self.children', another @-collection, or a list/mapping of them",
    "taxonomy": "a mapping of taxonomy names to values or lists (e.g. tag: [a, b])",
}


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def _fits(value: Any, shape: str) -> bool:
    if shape == SCALAR:
        return _scalar(value)
    if shape == LIST:  # of single values
        return isinstance(value, list) and all(_scalar(v) for v in value)
    if shape == MAP:
        return isinstance(value, dict)
    if shape == SCALARS:
        return _scalar(value) or (isinstance(value, list) and all(_scalar(v) for v in value))
    if shape == MAP_OR_SCALAR:
        return _scalar(value) or isinstance(value, dict)
    if shape == ANY_LIST:
        return _scalar(value) or isinstance(value, (list, dict))
    if shape == "items":
        return isinstance(value, (str, dict, list))
    if shape == "taxonomy":
        return isinstance(value, dict) and all(
            _scalar(v) or (isinstance(v, list) and all(_scalar(x) for x in v)) for v in value.values())
    return True


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value) if not isinstance(value, str) else repr(value[:40])


def conform(header: dict) -> tuple[dict, list[tuple[str, str]]]:
    """(header with wrongly shaped values dropped, [(dotted key, problem)])."""
    problems: list[tuple[str, str]] = []

    def walk(value: dict, shapes: dict, prefix: str, top: str | None) -> dict:
        out = dict(value)
        for key in [k for k in value if k in shapes]:  # the header's keys Qalam reads, not all of SHAPES
            shape = shapes[key]
            item = out[key]
            name = f"{prefix}{key}"
            if isinstance(shape, dict):
                if item is None:
                    continue
                if not isinstance(item, dict):
                    problems.append((name, f"{name}: must be a mapping, not {_describe(item)}; ignored"))
                    del out[key]
                    continue
                out[key] = walk(item, shape, f"{name}.", top or key)
            elif not _fits(item, shape):
                problems.append((name, f"{name}: must be {_WHAT[shape]}, not {_describe(item)}; ignored"))
                del out[key]
            elif shape == SCALARS and not isinstance(item, list) and item is not None:
                out[key] = [item]  # one value where a list is read: a list of one
        return out

    if not isinstance(header, dict):
        return {}, [("", "the header must be a mapping of keys to values; ignored")]
    return walk(header, SHAPES, "", None), problems
