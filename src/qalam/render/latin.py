"""The Latin-script (2021 alphabet) edition of a rendered Kazakh page (docs/kazakh.md)."""

from __future__ import annotations

from qalam.lang.translit import to_latin
from qalam.lang.translit_html import transliterate_html


def latin_edition(site, html: str, lang: str) -> str:
    """The page in the 2021 Latin alphabet: text converted, markup/URLs/code kept, links stay Latin."""
    return transliterate_html(html, to_latin, lambda url: site.latin_url(url, lang))
