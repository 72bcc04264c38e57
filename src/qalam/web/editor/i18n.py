"""The editor's interface translations: find the strings, keep the .po files, compile the .mo files.

The editor speaks Kazakh by default, and Russian and English on request (Django i18n, English
message ids). Translators edit ``src/qalam/web/locale/<lang>/LC_MESSAGES/django.po``; then

    python -m qalam.web.editor.i18n

adds strings new in the templates or the code to every .po file (empty, to be translated) and
compiles the .mo files Django reads, with Babel (no GNU gettext needed). A test fails when a
string has no translation or a .mo file is older than its .po.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent
LOCALE = WEB / "locale"
LANGUAGES = ("kk", "ru")
SOURCES = [*sorted((WEB / "templates" / "editor").glob("*.html")), WEB / "editor" / "views.py"]

_TRANSLATE = re.compile(r"""\{%\s*(?:translate|trans)\s+(?:"([^"]*)"|'([^']*)')""")
_BLOCK = re.compile(r"\{%\s*blocktranslate(?:\s+[^%]*)?%\}(.*?)\{%\s*endblocktranslate\s*%\}", re.S)
_VAR = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_GETTEXT = re.compile(r"""\b_\(\s*"((?:[^"\\]|\\.)*)"\s*\)""")


_FIXED = __import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").timezone.utc)


def messages() -> list[str]:
    """Every message id of the editor, in the order first seen."""
    found: dict[str, None] = {}
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            for m in _TRANSLATE.finditer(text):
                found.setdefault(m.group(1) if m.group(1) is not None else m.group(2))
            for m in _BLOCK.finditer(text):
                found.setdefault(_VAR.sub(lambda v: f"%({v.group(1)})s", m.group(1)))
        else:
            for m in _GETTEXT.finditer(text):
                found.setdefault(m.group(1).encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8"))
    return list(found)


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "django.po"


def load(lang: str):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    path = po_path(lang)
    if not path.exists():
        catalog = Catalog(locale=lang, project="Qalam editor", version="1", charset="utf-8",
                          copyright_holder="the Qalam authors (MIT)", fuzzy=False)
    else:
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
    catalog.project, catalog.version, catalog.fuzzy = "Qalam editor", "1", False
    catalog.copyright_holder = "the Qalam authors (MIT)"
    return catalog


def compile_mo(lang: str) -> bytes:
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    catalog = load(lang)
    catalog.revision_date = catalog.creation_date = _FIXED  # the same .po always gives the same .mo
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def update() -> None:
    from babel.messages.pofile import write_po

    ids = messages()
    for lang in LANGUAGES:
        catalog = load(lang)
        for msgid in ids:
            if msgid not in catalog:
                catalog.add(msgid, "")
        for message in list(catalog):
            if message.id and message.id not in ids:
                catalog.delete(message.id)
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog.revision_date = catalog.creation_date = _FIXED
        buf = io.BytesIO()
        write_po(buf, catalog, width=0, omit_header=False, sort_output=False, ignore_obsolete=True)
        path.write_bytes(buf.getvalue())
        path.with_suffix(".mo").write_bytes(compile_mo(lang))
        missing = [m.id for m in catalog if m.id and not m.string]
        print(f"{lang}: {len(ids)} messages, {len(missing)} without a translation", file=sys.stderr)


if __name__ == "__main__":
    update()
