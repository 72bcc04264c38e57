"""Comparing two versions of a page: a word-level diff of the text and the header fields changed."""

from __future__ import annotations

import difflib
import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.U)


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text or "")


def word_diff(old: str, new: str) -> SafeString:
    """HTML of ``new`` with the words removed since ``old`` in <del> and the added ones in <ins>."""
    a, b = _tokens(old), _tokens(new)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(out))  # every piece of text above is escaped


def _flat(header: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (header or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, name + "."))
        elif isinstance(value, list):
            out[name] = ", ".join(str(v) for v in value)
        else:
            out[name] = "" if value is None else str(value)
    return out


def changed_fields(old: dict, new: dict) -> list[dict]:
    """[{"field", "old", "new"}] for every header field whose value differs."""
    a, b = _flat(old), _flat(new)
    return [{"field": k, "old": a.get(k, ""), "new": b.get(k, "")}
            for k in sorted(set(a) | set(b)) if a.get(k, "") != b.get(k, "")]
