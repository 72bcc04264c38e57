"""The editor's interface translations: every string translated in Kazakh and Russian, .mo up to date."""

from __future__ import annotations

import gettext

import pytest

from qalam.web.editor import i18n


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_string_is_translated(lang):
    catalog = i18n.load(lang)
    missing = [m for m in i18n.messages() if m not in catalog or not catalog[m].string]
    assert missing == [], f"translate in {i18n.po_path(lang)} (then run python -m qalam.web.editor.i18n): {missing}"
    placeholders = [m.id for m in catalog if m.id and m.string and ("%(" in m.id) != ("%(" in m.string)]
    assert placeholders == []


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_compiled_catalog_matches_the_po_file(lang):
    with i18n.po_path(lang).with_suffix(".mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    catalog = i18n.load(lang)
    stale = [m.id for m in catalog if m.id and m.string and compiled.gettext(m.id) != m.string]
    assert stale == [], "run: python -m qalam.web.editor.i18n"
