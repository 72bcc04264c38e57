"""Kazakh-first text tools: normalisation, scripts, language detection, stemming, search analysis, slugs.

Dates live in :mod:`qalam.lang.dates` (import it directly; it needs Babel).  See docs/kazakh.md.
"""

from __future__ import annotations

from .analyze import Token, analyze
from .detect import detect_language
from .normalize import fold_case, normalize
from .slug import slugify
from .stem import stem
from .translit import loose_key, script_key, to_cyrillic, to_latin

__all__ = [
    "Token",
    "analyze",
    "detect_language",
    "fold_case",
    "loose_key",
    "normalize",
    "script_key",
    "slugify",
    "stem",
    "to_cyrillic",
    "to_latin",
]
